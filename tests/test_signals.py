"""Ctrl-C, SIGTERM and bugs, with real processes and real signals: at every crash point of
crashpoints.py the command ends with a sentence (never a traceback) and its exit code, says how to
resume, and the rerun finishes the job without doing anything twice.

ASF_RELEASE_CRASH_WITH=INT sends SIGINT to the command's process group there, as Ctrl-C in a
terminal does; TERM sends SIGTERM to the process alone, as `kill` does; BUG raises an exception
nobody expects.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from asf_release.crashpoints import ENV, HOW
from asf_release.errors import ExitCode
from tests.conftest import run_cli
from tests.release_fixtures import TARBALL, VERSION, Release

SVN_COMMIT = "during svn --non-interactive --username rm --password-from-stdin commit"
RC_DIR = "dev/kvrocks/2.11.0-rc1"


def _stop(release: Release, *args: str, at: str, how: str) -> subprocess.CompletedProcess[str]:
    return release.cli(*args, env={ENV: at, HOW: how})


def _assert_told_how_to_resume(done: subprocess.CompletedProcess[str], code: int, *args: str) -> None:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"run again: asf-release -C {Path(args[1])} {' '.join(args[2:])}" in done.stderr, done.stderr
    assert f"where the release stands: asf-release -C {Path(args[1])} status {VERSION}" in done.stderr


def _packaged_once(release: Release) -> None:
    assert len(release.release_commits()) == 1
    assert release.git("tag", "--list", "v2.11.0*") == "v2.11.0-rc1"
    assert (release.out / TARBALL).read_bytes() == release.plain_archive("v2.11.0-rc1")
    assert sorted(p.name for p in release.out.iterdir()) == [TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512"]


@pytest.mark.parametrize(
    ("point", "how", "code"),
    [
        ("package:tagged", "INT", ExitCode.INTERRUPTED),
        ("package:archiving", "INT", ExitCode.INTERRUPTED),
        ("package:archiving", "TERM", ExitCode.TERMINATED),
    ],
)
def test_package_stopped_at_a_crash_point_says_how_to_resume_and_the_rerun_finishes(
    keyed: Release, point: str, how: str, code: int
) -> None:
    stopped = _stop(keyed, "package", VERSION, at=point, how=how)
    _assert_told_how_to_resume(stopped, code, "-C", str(keyed.project), "package", VERSION)
    assert "during package of 2.11.0-rc1" in stopped.stderr
    # the handler ran every `finally`: no half-written tarball or signature stays behind
    leftovers = (
        [p.name for p in keyed.out.iterdir() if p.name.endswith(".partial")] if keyed.out.exists() else []
    )
    assert leftovers == []
    status = keyed.cli("status", VERSION, "--json")
    assert '"state": "interrupted"' in status.stdout
    done = keyed.cli("package", VERSION)
    assert done.returncode == 0, done.stdout + done.stderr
    _packaged_once(keyed)


@pytest.mark.parametrize("point", ["stage:added", SVN_COMMIT])
def test_stage_interrupted_at_a_crash_point_is_finished_by_the_rerun(keyed: Release, point: str) -> None:
    assert keyed.cli("package", VERSION, "--rc", "1").returncode == 0
    stopped = _stop(keyed, "stage", VERSION, "--rc", "1", at=point, how="INT")
    _assert_told_how_to_resume(
        stopped, ExitCode.INTERRUPTED, "-C", str(keyed.project), "stage", VERSION, "--rc", "1"
    )
    done = keyed.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(keyed.svn_revisions(RC_DIR)) == 1
    names = keyed.svn("list", f"{keyed.dist}/{RC_DIR}").split()
    assert sorted(names) == [TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512"]
    origin = keyed.git("show-ref", "--tags", "v2.11.0-rc1", cwd=keyed.sandbox.origin_path)
    assert origin.split()[0] == keyed.git("rev-parse", "v2.11.0-rc1")


@pytest.mark.parametrize("how", ["INT", "TERM"])
def test_keys_add_interrupted_during_the_svn_commit_is_finished_by_the_rerun(
    release: Release, how: str
) -> None:
    stopped = _stop(release, "keys", "add", at=SVN_COMMIT, how=how)
    assert stopped.returncode in (ExitCode.INTERRUPTED, ExitCode.TERMINATED), stopped.stderr
    assert "Traceback" not in stopped.stderr and "run again: asf-release" in stopped.stderr
    done = release.cli("keys", "add")
    assert done.returncode == 0, done.stderr
    text = release.svn("cat", f"{release.dist}/release/kvrocks/KEYS")
    assert text.count("Riley Morgan <rm@apache.org>") == 2  # appended once: uid line and signature line


@pytest.mark.parametrize(("how", "code", "word"), [("INT", 130, "interrupted"), ("TERM", 143, "terminated")])
def test_a_signal_during_start_up_is_a_sentence_not_a_traceback(
    tmp_path: Path, how: str, code: int, word: str
) -> None:
    done = run_cli("status", cwd=tmp_path, env={**os.environ, ENV: "startup", HOW: how})
    assert done.returncode == code
    assert done.stderr.strip() == f"{word} while starting: nothing was done."


def test_sigterm_during_verify_removes_its_temporary_files_and_says_how_to_resume(
    keyed: Release, tmp_path: Path
) -> None:
    assert keyed.cli("package", VERSION, "--rc", "1").returncode == 0
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    # stopped while the build runs in the unpacked tree: the work directory is full then
    stopped = keyed.cli(
        "verify", str(keyed.out), env={"TMPDIR": str(scratch), ENV: "during ./x.py build", HOW: "TERM"}
    )
    assert stopped.returncode == ExitCode.TERMINATED, stopped.stdout + stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert f"run it again: asf-release -C {keyed.project} verify" in stopped.stderr
    assert list(scratch.iterdir()) == [], "verify's work directory was left behind"
    again = keyed.cli("verify", str(keyed.out), env={"TMPDIR": str(scratch)})
    assert again.returncode == 0, again.stdout + again.stderr
    assert list(scratch.iterdir()) == []


def test_a_bug_says_so_names_its_log_and_exits_4(keyed: Release) -> None:
    done = _stop(keyed, "package", VERSION, at="package:tagged", how="BUG")
    assert done.returncode == ExitCode.BUG, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "this is a bug in asf-release: InjectedBug" in done.stderr
    logs = list((keyed.project / ".git" / "asf-release" / "logs").glob("bug-*.log"))
    assert len(logs) == 1 and str(logs[0]) in done.stderr
    text = logs[0].read_text()
    assert "Traceback" in text and "InjectedBug" in text and f"asf-release -C {keyed.project} package" in text
    # --debug shows the traceback here too; the next run finishes what the bug interrupted
    debug = keyed.cli("--debug", "package", VERSION, env={ENV: "package:archiving", HOW: "BUG"})
    assert debug.returncode == ExitCode.BUG and "Traceback" in debug.stderr
    done = keyed.cli("package", VERSION)
    assert done.returncode == 0, done.stderr
    _packaged_once(keyed)
