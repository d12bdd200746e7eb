from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_cli, short_dir


def _world(base: Path) -> dict[str, str]:
    """What the demo leaves behind: refs, svn history, captured mail."""
    project = base / "project"

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True).stdout

    svn_log = subprocess.run(
        ["svn", "log", "--quiet", f"file://{base / 'svn' / 'dist'}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    mbox = base / "mail" / "captured.mbox"
    website = subprocess.run(
        ["git", "show-ref"], cwd=base / "website.git", capture_output=True, text=True, check=False
    ).stdout
    return {
        "website": website,
        "refs": git("show-ref"),
        "origin": subprocess.run(
            ["git", "show-ref"], cwd=base / "origin.git", capture_output=True, text=True, check=False
        ).stdout,
        "svn": svn_log,
        "mail": str(mbox.read_text().count("\nMessage-ID:") if mbox.exists() else 0),
    }


def test_the_demo_runs_end_to_end_and_resumes_without_duplicating(tmp_path: Path) -> None:
    base = short_dir("asfr-demo-")
    try:
        first = run_cli("demo", "--dir", str(base), cwd=tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "created: sample project" in first.stdout
        assert "Look at:" in first.stdout and "ledger" in first.stdout
        # the by-hand line: one file to source, then any command acts inside the sandbox
        assert f"by hand:  . {base / 'env.sh'} && asf-release -C {base / 'project'}" in first.stdout
        by_hand = subprocess.run(
            [
                "bash",
                "-c",
                f". {base / 'env.sh'} && {sys.executable} -m asf_release -C project status 2.11.0",
            ],
            cwd=base,
            capture_output=True,
            text=True,
            check=False,
        )
        assert by_hand.returncode == 0 and "Announce the release" in by_hand.stdout, by_hand.stderr
        exported = subprocess.run(
            ["bash", "-c", f". {base / 'env.sh'} && printenv ASF_RELEASE_CONFIG ASF_RELEASE_SVN_PASSWORD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert exported[0] == str(base / "user-config.toml") and exported[1]  # writing commands work too
        after_first = _world(base)
        # the whole seed, to the end: published, tagged, on the website's branch, announced
        assert "refs/tags/v2.11.0\n" in after_first["origin"]
        assert (
            "Release 2.11.0"
            in subprocess.run(
                ["svn", "log", f"file://{base / 'svn' / 'dist' / 'release' / 'kvrocks' / '2.11.0'}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        assert "refs/heads/release-2.11.0" in after_first["website"]
        assert "sent to announce@apache.org" in first.stdout
        assert (
            "Announce the release: done" in first.stdout and "Publish to dist/release: done" in first.stdout
        )

        second = run_cli("demo", "--dir", str(base), cwd=tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "reused the sandbox" in second.stdout
        assert _world(base) == after_first
        _assert_each_step_said_once(second.stdout)

        _assert_serve_stops_every_server_on_sigterm(base, tmp_path)
        assert _world(base) == after_first
    finally:
        subprocess.run(["gpgconf", "--homedir", str(base / "gnupg"), "--kill", "all"], check=False)
        subprocess.run(["rm", "-rf", str(base)], check=False)


def _stages(text: str) -> dict[str, list[str]]:
    """The demo's printout, stage by stage: the stage's title line, then its lines."""
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith(("▶ ", "==> ")):  # "==>" under --plain or NO_COLOR
            current = stages.setdefault(line, [])
            assert not current, f"stage printed twice: {line}"
        elif line.strip():
            current.append(line.strip())
    return stages


def _assert_each_step_said_once(text: str) -> None:
    """A rerun finds every step done and says so once: no line twice in a stage, one "already
    done" per line, no second rendering of the same outcome."""
    assert "(already done)" not in text and "already done: already done" not in text
    stages = _stages(text)
    assert len(stages) >= 15
    for title, lines in stages.items():
        repeated = {line for line in lines if lines.count(line) > 1}
        assert not repeated, (title, repeated)
        assert all(line.count("already done") <= 1 for line in lines), title
    keys = next(lines for title, lines in stages.items() if "Check the signing key" in title)
    assert sum("RSA 4096" in line for line in keys) == 1
    for title in ("Propose the release", "Create the release branch", "Package the release candidate"):
        said = next(lines for t, lines in stages.items() if title in t)
        assert said[0].startswith("already done: "), (title, said)


def _svnserve_of(base: Path) -> list[int]:
    """svnserve processes serving this sandbox's repository, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"svnserve") and str(base).encode() in b" ".join(argv):
            found.append(int(entry.name))
    return found


def _assert_serve_stops_every_server_on_sigterm(base: Path, cwd: Path) -> None:
    serving = subprocess.Popen(
        [sys.executable, "-m", "asf_release", "demo", "--dir", str(base), "--serve"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert serving.stdout is not None
    lines = []
    for line in serving.stdout:  # the demo resumes, then serves until stopped
        lines.append(line)
        if line.startswith("Serving"):
            break
    assert lines and lines[-1].startswith("Serving"), "".join(lines)
    port = int(lines[-1].split("svn://127.0.0.1:", 1)[1].split("/", 1)[0])
    assert _svnserve_of(base), "svnserve runs while the demo serves"
    os.kill(serving.pid, signal.SIGTERM)  # as `kill PID` or a service manager stops it
    rest, errors = serving.communicate(timeout=60)
    assert serving.returncode == 0, rest + errors
    assert "Traceback" not in errors
    assert _svnserve_of(base) == [], "svnserve was left running"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the svn port still answers"
