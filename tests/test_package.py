from __future__ import annotations

import json
import subprocess

from asf_release.ledger import Ledger
from tests.release_fixtures import BRANCH, TARBALL, VERSION, Release


def test_package_builds_what_x_py_would_and_records_it(keyed: Release) -> None:
    done = keyed.cli("package", VERSION, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    facts = json.loads(done.stdout)["facts"]
    tag = "v2.11.0-rc1"
    # version file, release commit, annotated tag on it
    assert (keyed.project / "src" / "VERSION.txt").read_bytes() == b"2.11.0"
    assert (
        keyed.git("log", "-1", "--format=%s", BRANCH)
        == f"release: prepare source release apache-kvrocks-{VERSION}"
    )
    assert keyed.git("cat-file", "-t", tag) == "tag"
    assert keyed.git("rev-parse", f"{tag}^{{commit}}") == keyed.git("rev-parse", BRANCH) == facts["commit"]
    assert keyed.git("status", "--porcelain", "--untracked-files=no") == ""
    # the tarball is exactly git archive's, the checksum exactly shasum's, the signature good
    tarball = keyed.out / TARBALL
    assert tarball.read_bytes() == keyed.plain_archive(tag)
    shasum = subprocess.run(
        ["shasum", "-a", "512", TARBALL], cwd=keyed.out, capture_output=True, text=True, check=True
    ).stdout
    assert (keyed.out / f"{TARBALL}.sha512").read_text() == shasum
    verified = subprocess.run(
        [
            "gpg",
            "--homedir",
            str(keyed.sandbox.gnupg),
            "--batch",
            "--status-fd",
            "1",
            "--verify",
            f"{TARBALL}.asc",
            TARBALL,
        ],
        cwd=keyed.out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert f"VALIDSIG {keyed.sandbox.rm_fingerprint}" in verified.stdout
    assert facts["artifacts"][0]["sha512"] == shasum.split()[0]
    assert facts["signing_key"] == keyed.sandbox.rm_fingerprint and facts["tag"] == tag
    with Ledger(keyed.project / ".git" / "asf-release" / "ledger.sqlite3") as ledger:
        kinds = [(e.step, e.kind.value) for e in ledger.events(VERSION)]
    assert kinds == [("package", "intent"), ("package", "result")]


def test_package_again_does_nothing(keyed: Release) -> None:
    assert keyed.cli("package", VERSION).returncode == 0
    before = (keyed.git("show-ref"), (keyed.out / TARBALL).stat().st_mtime_ns)
    again = keyed.cli("package", VERSION)
    assert again.returncode == 0, again.stderr
    assert "already" in again.stdout or "signed, checksummed and checked" in again.stdout
    assert (keyed.git("show-ref"), (keyed.out / TARBALL).stat().st_mtime_ns) == before
    assert len(keyed.release_commits()) == 1


def test_dry_run_lists_the_commands_and_changes_nothing(keyed: Release) -> None:
    refs = keyed.git("show-ref")
    done = keyed.cli("package", VERSION, "--dry-run")
    assert done.returncode == 0, done.stderr
    for command in (
        "git commit --all",
        "git tag --annotate v2.11.0-rc1",
        "git archive --format=tar.gz",
        "gpg --armor --detach-sign",
        "shasum -a 512",
    ):
        assert command in done.stdout, command
    assert keyed.git("show-ref") == refs and not keyed.out.exists()
    assert (keyed.project / "src" / "VERSION.txt").read_text() == "unstable"


def test_a_kill_after_the_tag_is_finished_by_the_next_run(keyed: Release) -> None:
    killed = keyed.cli("package", VERSION, crash_at="package:tagged")
    assert killed.returncode == -9
    assert keyed.git("tag", "--list", "v2.11.0-rc1") == "v2.11.0-rc1" and not (keyed.out / TARBALL).exists()
    done = keyed.cli("package", VERSION)
    assert done.returncode == 0, done.stderr
    assert len(keyed.release_commits()) == 1
    assert (keyed.out / TARBALL).read_bytes() == keyed.plain_archive("v2.11.0-rc1")
    assert keyed.cli("status", VERSION, "--json").stdout.count('"state": "done"') >= 2


def test_a_kill_while_archiving_leaves_no_half_tarball_behind(keyed: Release) -> None:
    killed = keyed.cli("package", VERSION, crash_at="package:archiving")
    assert killed.returncode == -9
    assert not (keyed.out / TARBALL).exists()  # only a .partial, never the artifact's own name
    done = keyed.cli("package", VERSION)
    assert done.returncode == 0, done.stderr
    assert (keyed.out / TARBALL).read_bytes() == keyed.plain_archive("v2.11.0-rc1")
    assert sorted(p.name for p in keyed.out.iterdir()) == [TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512"]
    assert len(keyed.release_commits()) == 1


def test_a_kill_between_version_file_and_commit_resumes(keyed: Release) -> None:
    (keyed.project / "src" / "VERSION.txt").write_text(VERSION)  # what the first action leaves
    done = keyed.cli("package", VERSION)
    assert done.returncode == 0, done.stderr
    assert len(keyed.release_commits()) == 1


def test_refuses_a_dirty_tree(keyed: Release) -> None:
    (keyed.project / "README.md").write_text("changed\n")
    done = keyed.cli("package", VERSION)
    assert done.returncode == 2 and "uncommitted changes: README.md" in done.stderr
    assert keyed.git("tag", "--list", "v2.11.0*") == ""


def test_refuses_the_wrong_branch(keyed: Release) -> None:
    keyed.git("checkout", "--quiet", "unstable")
    done = keyed.cli("package", VERSION)
    assert done.returncode == 2
    assert "released from branch 2.11" in done.stderr and "git checkout 2.11" in done.stderr


def test_refuses_a_version_not_above_the_lines_last_release(keyed: Release) -> None:
    keyed.git("checkout", "--quiet", "2.10")
    released = keyed.cli("package", "2.10.1")
    assert released.returncode == 2 and "already released" in released.stderr
    older = keyed.cli("package", "2.10.0")
    assert older.returncode == 2 and "already released" in older.stderr
    keyed.git("tag", "--delete", "v2.10.1")
    keyed.git("tag", "-a", "v2.10.3", "-m", "a later release", "2.10")
    below = keyed.cli("package", "2.10.2")
    assert below.returncode == 2 and "not above 2.10.3" in below.stderr and "2.10.4" in below.stderr


def test_refuses_a_gap_in_rc_numbers(keyed: Release) -> None:
    done = keyed.cli("package", VERSION, "--rc", "3")
    assert done.returncode == 2 and "no gaps" in done.stderr and "--rc 1" in done.stderr


def test_refuses_an_rc_tag_on_another_commit(keyed: Release) -> None:
    keyed.git("tag", "-a", "v2.11.0-rc1", "-m", "made elsewhere", f"{BRANCH}~1")
    done = keyed.cli("package", VERSION, "--rc", "1")
    assert done.returncode == 2
    assert "already exists on commit" in done.stderr and "--rc 2" in done.stderr
    assert len(keyed.release_commits()) == 0


def test_the_projects_own_packaging_command(keyed: Release) -> None:
    config = (
        keyed.sandbox.user_config.read_text()
        + '\n[source]\npackage_command = "./x.py package source -v {version} -rc {rc}"\n'
    )
    other = keyed.sandbox.base / "with-xpy.toml"
    other.write_text(config)
    done = keyed.cli("package", VERSION, "--json", env={"ASF_RELEASE_CONFIG": str(other)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ran ./x.py package source -v 2.11.0 -rc 1" in json.loads(done.stdout)["details"]
    assert len(keyed.release_commits()) == 1
    assert keyed.git("cat-file", "-t", "v2.11.0-rc1") == "tag"
    assert (keyed.out / TARBALL).read_bytes() == keyed.plain_archive("v2.11.0-rc1")
    assert not (keyed.project / TARBALL).exists()  # moved out of the work tree
    assert (keyed.out / f"{TARBALL}.sha512").read_text().endswith(f"  {TARBALL}\n")
