"""Fixtures for the release manager's steps: a sandbox on the release branch, plain-tool helpers."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from asf_release.sandbox.environment import Sandbox
from tests.conftest import run_cli

VERSION = "2.11.0"
BRANCH = "2.11"
TOP = f"apache-kvrocks-{VERSION}-src"
TARBALL = f"{TOP}.tar.gz"


class Release:
    """A sandbox whose project is on the release branch, and ways to look at the world."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.project = sandbox.project_path
        self.out = self.project / ".git" / "asf-release" / "artifacts" / f"{VERSION}-rc1"

    def cli(
        self, *args: str, crash_at: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {**self.sandbox.env(), **(env or {})}
        if crash_at:
            environment["ASF_RELEASE_CRASH_AT"] = crash_at
        return run_cli("-C", str(self.project), *args, env=environment)

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=cwd or self.project, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def svn(self, *args: str) -> str:
        done = subprocess.run(["svn", "--non-interactive", *args], capture_output=True, text=True, check=True)
        return done.stdout

    @property
    def dist(self) -> str:
        return f"file://{self.sandbox.svn.repository}"

    def svn_revisions(self, path: str) -> list[str]:
        log = self.svn("log", "--quiet", f"{self.dist}/{path}")
        return [line.split()[0] for line in log.splitlines() if line.startswith("r")]

    def release_commits(self) -> list[str]:
        return self.git(
            "log", "--format=%H", f"--grep=^release: prepare source release apache-kvrocks-{VERSION}$", BRANCH
        ).split()

    def plain_archive(self, tag: str) -> bytes:
        """What `git archive` itself makes of the tag: the reference bytes."""
        return subprocess.run(
            ["git", "archive", "--format=tar.gz", f"--prefix={TOP}/", tag],
            cwd=self.project,
            capture_output=True,
            check=True,
        ).stdout


@pytest.fixture
def release(sandbox: Sandbox) -> Iterator[Release]:
    """The sandbox with the release branch created from unstable, as `asf-release branch` leaves it."""
    assert sandbox.project is not None
    sandbox.project.git("checkout", "--quiet", "-b", BRANCH, sandbox.profile.git.unstable_branch)
    sandbox.project.git("push", "--quiet", sandbox.profile.git.remote, BRANCH)
    yield Release(sandbox)


@pytest.fixture
def keyed(release: Release) -> Release:
    """The release branch, and the release manager's key already in KEYS."""
    done = release.cli("keys", "add")
    assert done.returncode == 0, done.stderr
    return release
