from __future__ import annotations

import subprocess
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
    finally:
        subprocess.run(["gpgconf", "--homedir", str(base / "gnupg"), "--kill", "all"], check=False)
        subprocess.run(["rm", "-rf", str(base)], check=False)
