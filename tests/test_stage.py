from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.release_fixtures import TARBALL, VERSION, Release

RC_DIR = "dev/kvrocks/2.11.0-rc1"
FILES = [TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512"]


@pytest.fixture
def packaged(keyed: Release) -> Release:
    done = keyed.cli("package", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    return keyed


def staged_files(release: Release) -> dict[str, bytes]:
    names = release.svn("list", f"{release.dist}/{RC_DIR}").split()
    return {
        name: subprocess.run(
            ["svn", "cat", f"{release.dist}/{RC_DIR}/{name}"], capture_output=True, check=True
        ).stdout
        for name in names
    }


def assert_staged_once(release: Release) -> None:
    assert staged_files(release) == {name: (release.out / name).read_bytes() for name in FILES}
    assert len(release.svn_revisions(RC_DIR)) == 1
    origin = release.git("show-ref", "--tags", "v2.11.0-rc1", cwd=release.sandbox.origin_path)
    assert origin.split()[0] == release.git("rev-parse", "v2.11.0-rc1")


def test_stage_commits_the_candidate_and_pushes_its_tag(packaged: Release) -> None:
    done = packaged.cli("stage", VERSION, "--rc", "1", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_staged_once(packaged)
    message = packaged.svn("log", "--limit", "1", f"{packaged.dist}/{RC_DIR}")
    assert "Prepare for 2.11.0-rc1" in message
    facts = json.loads(done.stdout)["facts"]
    assert facts["url"].endswith("/dist/dev/kvrocks/2.11.0-rc1") and sorted(facts["files"]) == FILES
    # the working copy holds the RC directory only, not the rest of dist/dev
    wc = packaged.project / ".git" / "asf-release" / "svn" / "dev"
    assert sorted(p.name for p in wc.iterdir() if p.name != ".svn") == ["2.11.0-rc1"]


def test_stage_again_changes_nothing(packaged: Release) -> None:
    assert packaged.cli("stage", VERSION, "--rc", "1").returncode == 0
    again = packaged.cli("stage", VERSION, "--rc", "1")
    assert again.returncode == 0, again.stderr
    assert "already" in again.stdout
    assert_staged_once(packaged)


def test_dry_run_shows_commands_and_stages_nothing(packaged: Release) -> None:
    done = packaged.cli("stage", VERSION, "--rc", "1", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "svn checkout --depth empty" in done.stdout and "svn commit" in done.stdout
    assert "git push origin refs/tags/v2.11.0-rc1" in done.stdout
    assert (
        subprocess.run(
            ["svn", "list", f"{packaged.dist}/{RC_DIR}"], capture_output=True, check=False
        ).returncode
        != 0
    )


def test_stage_refuses_what_was_not_packaged(keyed: Release) -> None:
    done = keyed.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 2
    assert "has not been packaged" in done.stderr and "asf-release package 2.11.0 --rc 1" in done.stderr


def test_stage_refuses_artifacts_changed_after_the_checks(packaged: Release) -> None:
    with (packaged.out / TARBALL).open("ab") as handle:
        handle.write(b"tampered")
    done = packaged.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 2 and "changed since package checked it" in done.stderr


def _foreign_file(release: Release) -> None:
    """Another candidate's file already in the staging directory."""
    tmp = release.sandbox.base / "foreign"
    tmp.mkdir()
    (tmp / "apache-kvrocks-2.11.0-src.tar.gz.old").write_text("from an earlier candidate\n")
    subprocess.run(
        ["svn", "import", "-q", "-m", "an earlier candidate", str(tmp), f"{release.dist}/{RC_DIR}"],
        check=True,
        capture_output=True,
    )


def test_another_candidates_files_are_replaced_only_when_asked(packaged: Release) -> None:
    _foreign_file(packaged)
    refused = packaged.cli("stage", VERSION, "--rc", "1")
    assert refused.returncode == 2 and "--replace" in refused.stderr and ".old" in refused.stderr
    done = packaged.cli("stage", VERSION, "--rc", "1", "--replace")
    assert done.returncode == 0, done.stderr
    assert sorted(staged_files(packaged)) == FILES
    log = packaged.svn("log", "--verbose", "--limit", "1", f"{packaged.dist}/{RC_DIR}")
    assert "   D /dev/kvrocks/2.11.0-rc1/apache-kvrocks-2.11.0-src.tar.gz.old" in log
    assert f"   A /dev/kvrocks/2.11.0-rc1/{TARBALL}" in log  # removed and added in one commit


@pytest.mark.parametrize(
    "crash_at", ["stage:added", "during svn --non-interactive --username rm --password-from-stdin commit"]
)
def test_a_kill_during_staging_is_finished_by_the_next_run(packaged: Release, crash_at: str) -> None:
    killed = packaged.cli("stage", VERSION, "--rc", "1", crash_at=crash_at)
    assert killed.returncode == -9
    done = packaged.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_staged_once(packaged)
    status = json.loads(packaged.cli("status", VERSION, "--json").stdout)
    assert {s["step"]: s["state"] for s in status["steps"]}["stage"] == "done"


def test_stage_refuses_when_the_remote_tag_points_elsewhere(packaged: Release) -> None:
    origin: Path = packaged.sandbox.origin_path
    other = packaged.git("rev-parse", "2.11~1")
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=Someone",
            "-c",
            "user.email=someone@example.org",
            "tag",
            "-a",
            "v2.11.0-rc1",
            "-m",
            "elsewhere",
            other,
        ],
        cwd=origin,
        check=True,
    )
    done = packaged.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 2 and "never moved" in done.stderr
    assert (
        subprocess.run(
            ["svn", "list", f"{packaged.dist}/{RC_DIR}"], capture_output=True, check=False
        ).returncode
        != 0
    )


def test_status_follows_the_release_through_package_and_stage(packaged: Release) -> None:
    def states() -> dict[str, str]:
        report = json.loads(packaged.cli("status", VERSION, "--json").stdout)
        return {s["step"]: s["state"] for s in report["steps"]}

    assert states()["keys"] == "done" and states()["package"] == "done" and states()["stage"] == "pending"
    assert packaged.cli("stage", VERSION, "--rc", "1").returncode == 0
    assert states()["stage"] == "done"


def test_stage_brings_the_remote_release_branch_to_the_tag(packaged: Release) -> None:
    assert packaged.cli("stage", VERSION, "--rc", "1").returncode == 0
    remote = packaged.git("rev-parse", "refs/heads/2.11", cwd=packaged.sandbox.origin_path)
    assert remote == packaged.git("rev-parse", "v2.11.0-rc1^{commit}")


def test_a_remote_branch_with_other_commits_is_left_alone(packaged: Release) -> None:
    other = packaged.sandbox.base / "other-clone"
    subprocess.run(
        ["git", "clone", "-q", "--branch", "2.11", str(packaged.sandbox.origin_path), str(other)], check=True
    )
    (other / "README.md").write_text("someone else's change\n")
    subprocess.run(
        ["git", "-c", "user.name=Someone", "-c", "user.email=s@example.org", "commit", "-qam", "elsewhere"],
        cwd=other,
        check=True,
    )
    subprocess.run(["git", "push", "-q", "origin", "2.11"], cwd=other, check=True)
    theirs = packaged.git("rev-parse", "HEAD", cwd=other)
    done = packaged.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stderr
    assert "left as it is" in done.stdout
    assert packaged.git("rev-parse", "refs/heads/2.11", cwd=packaged.sandbox.origin_path) == theirs
    assert_staged_once(packaged)
