"""publish as a release manager runs it: the real command, svnserve, git and the ledger.

One svn commit moves the voted candidate; the final tag goes on the voted commit; nothing is done
twice, whatever stops the command; what was not voted on is never published.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from asf_release.steps.process import release_status
from asf_release.version import Version
from tests.publish_fixtures import call_vote, context, make_candidate, pass_vote
from tests.release_fixtures import TARBALL, VERSION, Release

DEV = "dev/kvrocks/2.11.0-rc1"
RELEASED = "release/kvrocks/2.11.0"
FILES = sorted([TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512"])


@pytest.fixture
def voted(release: Release) -> Release:
    make_candidate(release, VERSION)
    pass_vote(release, VERSION)
    return release


def ls(release: Release, path: str) -> list[str] | None:
    done = subprocess.run(
        ["svn", "ls", f"{release.dist}/{path}"], capture_output=True, text=True, check=False
    )
    return sorted(done.stdout.split()) if done.returncode == 0 else None


def head_revision(release: Release) -> int:
    return int(release.svn("info", "--show-item", "revision", release.dist).strip())


def tag_commit(release: Release, tag: str, cwd: Path | None = None) -> str | None:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{commit}}"],
        cwd=cwd or release.project,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


def states(release: Release, version: str = VERSION) -> dict[str, tuple[str, str, str]]:
    ctx = context(release)
    try:
        report = release_status(ctx, Version.parse(version), 1)
        return {s.name: (s.state.value, s.detail, s.command) for s in report.steps}
    finally:
        ctx.close()


def assert_published_once(release: Release, before: int) -> None:
    assert ls(release, DEV) is None
    assert ls(release, RELEASED) == FILES
    for name in FILES:
        released = subprocess.run(
            ["svn", "cat", f"{release.dist}/{RELEASED}/{name}"], capture_output=True, check=True
        ).stdout
        assert released == (release.out / name).read_bytes()
    assert head_revision(release) == before + 1  # one commit
    rc_commit = release.git("rev-parse", "v2.11.0-rc1^{commit}")
    assert tag_commit(release, "v2.11.0") == rc_commit
    assert release.git("cat-file", "-t", "v2.11.0") == "tag"  # annotated
    assert tag_commit(release, "v2.11.0", release.sandbox.origin_path) == rc_commit


def test_publish_refuses_before_the_vote_passed(release: Release) -> None:
    make_candidate(release, VERSION)
    refused = release.cli("publish", VERSION)
    assert refused.returncode == 1 and "no tally or [RESULT] says the vote passed" in refused.stderr
    call_vote(release, VERSION)  # replies are in, but the 72 hours are not over
    release.cli("tally", VERSION, "--rc", "1")
    refused = release.cli("publish", VERSION, "--rc", "1")
    assert refused.returncode == 1, refused.stderr
    assert "has not passed (last count: open)" in refused.stderr and "asf-release tally" in refused.stderr
    assert ls(release, DEV) == FILES and ls(release, RELEASED) is None
    assert tag_commit(release, "v2.11.0") is None


def test_publish_moves_the_candidate_in_one_commit_then_tags_and_does_nothing_twice(voted: Release) -> None:
    before = head_revision(voted)
    planned = voted.cli("publish", VERSION, "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert "$ svnmucc --non-interactive --message 'Release 2.11.0' --revision" in planned.stdout
    assert (
        f"mv {voted.sandbox.svn.dev_url()}/2.11.0-rc1 {voted.sandbox.svn.release_url()}/2.11.0"
        in planned.stdout
    )
    assert "superseded" not in planned.stdout  # 2.10.1 is another line: it stays
    assert head_revision(voted) == before and tag_commit(voted, "v2.11.0") is None

    done = voted.cli("publish", VERSION, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    facts = json.loads(done.stdout)["facts"]
    assert facts["tag"] == "v2.11.0" and facts["revision"] == before + 1
    assert_published_once(voted, before)
    log = voted.svn("log", "--verbose", "--limit", "1", voted.dist)
    assert "Release 2.11.0" in log and f"D /{DEV}" in log and f"A /{RELEASED} (from /{DEV}" in log
    assert ls(voted, "release/kvrocks/2.10.1") is not None

    again = voted.cli("publish", VERSION)
    assert again.returncode == 0 and "already done" in again.stdout
    assert_published_once(voted, before)
    stage_again = voted.cli("stage", VERSION, "--rc", "1")
    assert stage_again.returncode == 0 and "published" in stage_again.stdout
    assert ls(voted, DEV) is None  # never staged again

    now = states(voted)
    assert now["stage"][0] == "done" and "published" in now["stage"][1]
    assert now["publish"][0] == "done" and "v2.11.0 pushed" in now["publish"][1]
    assert now["website"][0] == "pending" and now["website"][2] == "asf-release website 2.11.0 --push"
    status = voted.cli("status", VERSION)
    assert "asf-release website 2.11.0 --push" in status.stdout and "asf-release publish" in status.stdout


def test_a_staged_file_changed_after_the_vote_is_never_published(voted: Release, tmp_path: Path) -> None:
    forged = tmp_path / f"{TARBALL}.sha512"
    forged.write_text(f"{'0' * 128}  {TARBALL}\n")
    subprocess.run(
        ["svnmucc", "-m", "fix the checksum", "put", str(forged), f"{voted.dist}/{DEV}/{TARBALL}.sha512"],
        check=True,
        capture_output=True,
    )
    before = head_revision(voted)
    refused = voted.cli("publish", VERSION)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"{TARBALL}.sha512 changed after the vote" in refused.stderr
    assert head_revision(voted) == before and ls(voted, RELEASED) is None
    assert tag_commit(voted, "v2.11.0") is None


def test_a_file_added_to_the_candidate_after_the_vote_is_refused(voted: Release, tmp_path: Path) -> None:
    extra = tmp_path / "NOTES.txt"
    extra.write_text("late addition\n")
    subprocess.run(
        ["svnmucc", "-m", "add notes", "put", str(extra), f"{voted.dist}/{DEV}/NOTES.txt"],
        check=True,
        capture_output=True,
    )
    refused = voted.cli("publish", VERSION)
    assert refused.returncode == 2 and "not voted on: NOTES.txt" in refused.stderr
    assert ls(voted, RELEASED) is None


def test_a_final_tag_already_on_another_commit_is_never_moved(voted: Release) -> None:
    elsewhere = voted.git("rev-parse", "v2.11.0-rc1^{commit}~1")
    voted.git("tag", "--annotate", "v2.11.0", "--message", "made by someone else", elsewhere)
    voted.git("push", "--quiet", "origin", "refs/tags/v2.11.0")
    voted.git("tag", "--delete", "v2.11.0")  # only the remote has it: still found
    before = head_revision(voted)
    refused = voted.cli("publish", VERSION)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "origin has v2.11.0 on commit" in refused.stderr and "never moved" in refused.stderr
    assert head_revision(voted) == before and ls(voted, RELEASED) is None  # nothing moved either
    assert tag_commit(voted, "v2.11.0", voted.sandbox.origin_path) == elsewhere


@pytest.mark.parametrize("point", ["during svnmucc", "publish:moved", "publish:tagged"])
def test_a_publish_stopped_anywhere_is_finished_by_the_next_run(voted: Release, point: str) -> None:
    before = head_revision(voted)
    crashed = voted.cli("publish", VERSION, crash_at=point)
    assert crashed.returncode != 0
    ctx = context(voted)
    try:  # the intent is in the ledger, with no result: the next run knows to look and finish
        assert ctx.ledger.history(VERSION).step("publish", 1).state.value == "interrupted"
    finally:
        ctx.close()
    done = voted.cli("publish", VERSION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_published_once(voted, before)


def test_a_candidate_moved_by_hand_is_published_for_stage_and_status(voted: Release) -> None:
    subprocess.run(
        ["svn", "mv", "-q", "-m", "Release 2.11.0", f"{voted.dist}/{DEV}", f"{voted.dist}/{RELEASED}"],
        check=True,
    )
    before = head_revision(voted)
    now = states(voted)
    assert now["stage"][0] == "done", now["stage"]
    assert now["publish"][0] == "pending" and "v2.11.0 is not made" in now["publish"][1]
    stage_again = voted.cli("stage", VERSION, "--rc", "1")
    assert stage_again.returncode == 0, stage_again.stderr
    assert ls(voted, DEV) is None and head_revision(voted) == before  # nothing uploaded again
    done = voted.cli("publish", VERSION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "already holds the release" in done.stdout
    assert_published_once(voted, before - 1)  # the person's svn mv was the one commit


def test_a_patch_release_replaces_its_line_and_becomes_the_previous_release(sandbox) -> None:  # type: ignore[no-untyped-def]
    assert sandbox.project is not None
    sandbox.project.git("checkout", "--quiet", "2.10")
    release = Release(sandbox)
    release.out = release.project / ".git" / "asf-release" / "artifacts" / "2.10.2-rc1"
    make_candidate(release, "2.10.2")
    pass_vote(release, "2.10.2")
    planned = release.cli("publish", "2.10.2", "--dry-run")
    assert "superseded: " in planned.stdout and "release/kvrocks/2.10.1" in planned.stdout
    before = head_revision(release)
    done = release.cli("publish", "2.10.2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "removed the superseded 2.10.1" in done.stdout
    assert ls(release, "release/kvrocks/2.10.1") is None and ls(release, "release/kvrocks/2.10.2") is not None
    assert head_revision(release) == before + 1  # moved and removed in the same commit

    proposed = release.cli("propose", "2.10.3", "--dry-run")
    assert proposed.returncode == 0, proposed.stdout + proposed.stderr
    assert "after 2.10.2" in proposed.stdout or "since 2.10.2" in proposed.stdout, proposed.stdout
    again = release.cli("propose", "2.10.2", "--dry-run")
    assert again.returncode == 2 and "not greater than 2.10.2, the latest release of 2.10" in again.stderr
