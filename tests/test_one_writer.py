"""One writer per checkout: every step that changes things holds a lock on the state directory;
a second command waits a moment, then says who holds it. Two `package` runs started together
leave one tag, one release commit and complete artifacts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from asf_release.ledger import Ledger
from tests.release_fixtures import TARBALL, VERSION, Release, keyed, release

__all__ = ["keyed", "release"]

HOLD = """
import sys, time
from pathlib import Path
from asf_release import lock
with lock.writer(Path(sys.argv[1]), "asf-release stage 2.11.0 --rc 1", wait=5):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _start(keyed: Release, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "asf_release", "-C", str(keyed.project), *args],
        env={**keyed.sandbox.env(), "ASF_RELEASE_LOCK_WAIT": "120"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def test_two_package_runs_at_once_leave_one_consistent_release(keyed: Release) -> None:
    runs = [_start(keyed, "package", VERSION), _start(keyed, "package", VERSION)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    for code, stdout, stderr in results:
        assert code == 0 and "Traceback" not in stderr, stdout + stderr
    assert any("already" in stdout for _, stdout, _ in results)  # the second found it done
    assert keyed.git("tag", "--list", "v2.11.0-rc*") == "v2.11.0-rc1"
    assert len(keyed.release_commits()) == 1
    assert sorted(p.name for p in keyed.out.iterdir()) == [TARBALL, f"{TARBALL}.asc", f"{TARBALL}.sha512"]
    assert (keyed.out / TARBALL).read_bytes() == keyed.plain_archive("v2.11.0-rc1")
    with Ledger(keyed.project / ".git" / "asf-release" / "ledger.sqlite3") as ledger:
        kinds = [e.kind.value for e in ledger.events(VERSION, "package")]
    assert kinds == ["intent", "result"]  # the second run did nothing, so it wrote nothing


def test_a_second_command_says_who_holds_the_checkout(keyed: Release) -> None:
    state = keyed.project / ".git" / "asf-release"
    state.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state), "60"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        done = keyed.cli("package", VERSION, env={"ASF_RELEASE_LOCK_WAIT": "1"})
        waited = time.monotonic() - started
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"pid {holder.pid}" in done.stderr and "asf-release stage 2.11.0 --rc 1" in done.stderr
        assert "since" in done.stderr and "Traceback" not in done.stderr
        assert waited >= 1
        assert keyed.git("tag", "--list", "v2.11.0*") == ""  # nothing was done
        dry = keyed.cli("package", VERSION, "--dry-run", env={"ASF_RELEASE_LOCK_WAIT": "0"})
        assert dry.returncode == 0, dry.stderr  # a dry run changes nothing: it needs no lock
    finally:
        holder.kill()
        holder.wait()
    done = keyed.cli("package", VERSION)  # the holder died: its lock died with it
    assert done.returncode == 0, done.stderr


def test_a_bad_wait_is_a_usage_error(keyed: Release) -> None:
    done = keyed.cli("package", VERSION, env={"ASF_RELEASE_LOCK_WAIT": "soon"})
    assert done.returncode == 2 and "ASF_RELEASE_LOCK_WAIT" in done.stderr
    assert os.environ.get("ASF_RELEASE_LOCK_WAIT") is None
    assert not Path(keyed.out).exists()
