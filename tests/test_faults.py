"""Faults of the machine, met for real: a damaged ledger, a state directory that cannot be made,
a full disk (a small tmpfs, mounted for the test) while packaging or in the ledger, svnserve
killed in the middle of a commit. Each ends in a message with a hint and exit 2 or 3, never a
traceback, never an artifact that looks complete and is not; and the next run finishes the job."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from asf_release.sandbox.services import port_is_free
from tests.release_fixtures import TARBALL, VERSION, Release, keyed, release
from tests.test_stage import RC_DIR, assert_staged_once, packaged

__all__ = ["keyed", "packaged", "release"]

NO_TRACEBACK = "Traceback"


# --- the ledger ------------------------------------------------------------------------------------
def _damage(ledger: Path, how: str) -> None:
    if how == "garbage":
        ledger.write_bytes(b"this is not a database\n" * 100)
    elif how == "truncated":
        data = ledger.read_bytes()
        ledger.write_bytes(data[: len(data) // 3])
    else:
        db = sqlite3.connect(ledger, isolation_level=None)
        if how == "table missing":
            db.execute("DROP TABLE events")
        else:
            db.execute(
                "INSERT INTO events (at, release, rc, step, kind, data) VALUES (?, ?, ?, ?, ?, ?)",
                ("2026-01-01T00:00:00+00:00", VERSION, 1, "package", "result", "{not json"),
            )
        db.close()  # the last connection: its write-ahead log is folded into the file
        return
    for extra in ("-wal", "-shm"):  # what a copy of the file alone, or a crash of the disk, leaves
        Path(f"{ledger}{extra}").unlink(missing_ok=True)


@pytest.mark.parametrize("how", ["garbage", "truncated", "table missing", "row not json"])
def test_a_damaged_ledger_is_said_and_moving_it_aside_lets_the_release_go_on(
    keyed: Release, how: str
) -> None:
    assert keyed.cli("package", VERSION).returncode == 0
    ledger = keyed.project / ".git" / "asf-release" / "ledger.sqlite3"
    _damage(ledger, how)
    for command in (["status", VERSION], ["package", VERSION]):
        done = keyed.cli(*command)
        assert done.returncode == 2, (how, command, done.stdout + done.stderr)
        assert NO_TRACEBACK not in done.stderr and "ledger" in done.stderr and "mv " in done.stderr
    assert ledger.exists()  # never replaced behind the person's back
    ledger.rename(ledger.with_name("ledger.sqlite3.damaged"))
    done = keyed.cli("package", VERSION)  # the world says what is done; the step finishes
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(keyed.release_commits()) == 1 and keyed.git("tag", "--list", "v2.11.0-rc*") == "v2.11.0-rc1"


def test_a_state_directory_that_cannot_be_made_is_a_configuration_error(
    keyed: Release, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    for where in (blocker / "state", Path("/proc/asf-release-state")):
        done = keyed.cli("package", VERSION, env={"ASF_RELEASE_STATE_DIR": str(where)})
        assert done.returncode == 2, done.stdout + done.stderr
        assert "state directory" in done.stderr and "ASF_RELEASE_STATE_DIR" in done.stderr
        assert NO_TRACEBACK not in done.stderr
    assert keyed.git("tag", "--list", "v2.11.0*") == ""


# --- a full disk -----------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 8 KiB mounted for the test (root only): ENOSPC from the kernel, not from a fake."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8k,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def _resize(mount: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(mount)], check=True, capture_output=True)


def _complete_or_absent(release: Release, out: Path) -> None:
    """Nothing half-written under a final name, no temporary file left behind."""
    names = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert all(name in (TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512") for name in names), names
    tarball = out / TARBALL
    if tarball.exists():
        assert tarball.read_bytes() == release.plain_archive("v2.11.0-rc1")
    if (out / f"{TARBALL}.sha512").exists():
        assert (out / f"{TARBALL}.sha512").read_text().endswith(f"  {TARBALL}\n")
    if (out / f"{TARBALL}.asc").exists():
        verified = subprocess.run(
            [
                "gpg",
                "--homedir",
                str(release.sandbox.gnupg),
                "--batch",
                "--verify",
                f"{TARBALL}.asc",
                TARBALL,
            ],
            cwd=out,
            capture_output=True,
            check=False,
        )
        assert verified.returncode == 0, verified.stderr


def test_a_full_disk_while_packaging_fails_cleanly_at_every_stage_and_the_next_run_finishes(
    keyed: Release, small_disk: Path
) -> None:
    out = small_disk / "artifacts"
    failures = 0
    # the tarball is some 18 KiB: each size lets one more file (or part of one) be written
    for size in ("8k", "12k", "16k", "20k", "24k", "28k", "32k"):
        _resize(small_disk, size)
        done = keyed.cli("package", VERSION, "--out", str(out))
        assert NO_TRACEBACK not in done.stderr, done.stderr
        if done.returncode == 0:
            break
        failures += 1
        assert done.returncode == 3, (size, done.stdout + done.stderr)
        assert "no space left" in done.stderr.lower() and "free" in done.stderr.lower(), done.stderr
        _complete_or_absent(keyed, out)
    else:
        _resize(small_disk, "1m")
        done = keyed.cli("package", VERSION, "--out", str(out))
        assert done.returncode == 0, done.stdout + done.stderr
    assert failures >= 3  # the tarball, then the signature or the checksum file did not fit
    _complete_or_absent(keyed, out)
    assert sorted(p.name for p in out.iterdir()) == [TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512"]
    assert len(keyed.release_commits()) == 1 and keyed.git("tag", "--list", "v2.11.0-rc*") == "v2.11.0-rc1"


def test_a_full_disk_under_the_ledger_fails_cleanly_and_the_next_run_finishes(
    keyed: Release, small_disk: Path
) -> None:
    _resize(small_disk, "256k")
    state = small_disk / "state"
    shutil.copytree(keyed.project / ".git" / "asf-release", state)  # the ledger keys add wrote
    filler = small_disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass
    env = {"ASF_RELEASE_STATE_DIR": str(state)}
    done = keyed.cli("package", VERSION, env=env)
    assert done.returncode == 3, done.stdout + done.stderr
    assert NO_TRACEBACK not in done.stderr and "no space left" in done.stderr.lower()
    _complete_or_absent(keyed, state / "artifacts" / f"{VERSION}-rc1")
    filler.unlink()
    done = keyed.cli("package", VERSION, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    status = keyed.cli("status", VERSION, "--json", env=env)
    assert status.returncode == 0 and '"package"' in status.stdout
    assert len(keyed.release_commits()) == 1


# --- svnserve killed in the middle of a commit -----------------------------------------------------
@pytest.mark.parametrize("hook", ["pre-commit", "post-commit"])
def test_svnserve_killed_mid_commit_then_stage_again_stages_once(packaged: Release, hook: str) -> None:
    server = packaged.sandbox.svn
    process = server._process
    assert process is not None
    script = server.repository / "hooks" / hook
    # the hook runs in svnserve's child for this connection: it kills that child and the server
    script.write_text(f"#!/bin/sh\nkill -9 {process.pid} $PPID\nexit 1\n")
    script.chmod(0o755)
    done = packaged.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 3, done.stdout + done.stderr
    assert NO_TRACEBACK not in done.stderr and "svn" in done.stderr
    process.wait(timeout=30)
    script.unlink()
    deadline = time.monotonic() + 30
    while not port_is_free(server.port) and time.monotonic() < deadline:
        time.sleep(0.2)  # until the killed server's children have let go of its port
    server.start(server.port)
    done = packaged.cli("stage", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert_staged_once(packaged)
    revisions = packaged.svn_revisions(RC_DIR)
    assert len(revisions) == 1, revisions
    assert os.path.isdir(packaged.project / ".git" / "asf-release")
