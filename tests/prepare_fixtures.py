"""Fixtures for propose, branch and cherry-pick: a private copy of the sample project and its
origin (real git), and a context on it whose clock the test sets."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from asf_release.context import Context
from asf_release.sandbox.environment import Sandbox
from asf_release.sandbox.sample_project import SampleProject, add_period_commits

TODAY = date(2026, 3, 2)


@dataclass
class Repo:
    """The sample project (unstable, 2.9, 2.10, tags up to v2.10.1) and its bare origin."""

    path: Path
    origin: Path
    project: SampleProject
    today: date = TODAY

    def git(self, *args: str, cwd: Path | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=cwd or self.path, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def context(self, env: dict[str, str] | None = None) -> Context:
        ctx = Context.load(self.path, env=env if env is not None else dict(os.environ))
        ctx.now = lambda: datetime.combine(self.today, time(12, 0), UTC)
        return ctx

    def env_with_sender(self) -> dict[str, str]:
        """The environment with a personal config naming the release manager (for emails)."""
        config = self.path.parent / "config.toml"
        config.write_text('[release_manager]\nname = "Riley Morgan"\napache_id = "rm"\n')
        return {**os.environ, "ASF_RELEASE_CONFIG": str(config)}

    def sha(self, number: str, branch: str = "unstable") -> str:
        """The commit on branch whose subject ends with (#number)."""
        for line in self.git("log", "--format=%H %s", branch).splitlines():
            if line.endswith(f"(#{number})"):
                return line.split(" ", 1)[0]
        raise AssertionError(f"no commit for #{number} on {branch}")

    def period(self) -> dict[str, str]:
        return add_period_commits(self.project)

    def remote_branch(self, name: str) -> str | None:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{name}"],
            cwd=self.origin,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or None


@pytest.fixture
def repo(sandbox_template: Sandbox, tmp_path: Path) -> Iterator[Repo]:
    path = tmp_path / "project"
    origin = tmp_path / "origin.git"
    shutil.copytree(sandbox_template.project_path, path, symlinks=True)
    shutil.copytree(sandbox_template.origin_path, origin, symlinks=True)
    subprocess.run(["git", "remote", "set-url", "origin", str(origin)], cwd=path, check=True)
    assert sandbox_template.project is not None
    project = SampleProject(path, origin, sandbox_template.profile, sandbox_template.project.anchor)
    yield Repo(path, origin, project)
