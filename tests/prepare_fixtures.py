"""Fixtures for propose, branch and cherry-pick: a private copy of the sample project and its
origin (real git), and a context on it whose clock the test sets; `backports` grows that copy with
every way a change reaches a release branch (see add_backports)."""

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

    def commit(self, subject: str, files: dict[str, str], *, append: bool = True) -> str:
        """Commit on the checked-out branch: each file gets the text appended (or replaced)."""
        for name, text in files.items():
            path = self.path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            before = path.read_text() if append and path.exists() else ""
            path.write_text(before + text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", subject)
        return self.git("rev-parse", "HEAD")

    def release(self, version: str) -> None:
        """The release commit on the checked-out line's branch, tagged as its RC 1 and final."""
        profile = self.project.profile
        message = profile.fmt("version_file.commit_message", version=version)
        self.commit(message, {profile.version_file.path: version}, append=False)
        for tag in (
            profile.fmt("git.rc_tag", version=version, rc=1),
            profile.fmt("git.final_tag", version=version),
        ):
            self.git("tag", "--annotate", tag, "--message", f"Release {version}")

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


STORAGE = "src/storage/storage.cc"
TYPES = "src/types/types.cc"
CONFIG = "src/config/config.cc"
SERVER = "src/server/server.cc"


@dataclass(frozen=True)
class Backports:
    """The commits add_backports made, by what they stand for."""

    adapted: str  # #1040 on unstable; on 2.10 adapted by hand, same PR number, another patch
    adapted_copy: str
    picked: str  # #1041 on unstable; on 2.10 picked with -x, then changed while resolving
    picked_copy: str
    merged: tuple[str, str]  # the two commits of PR #1044, merged with a merge commit
    merged_copy: str  # the same PR squashed into one commit on 2.10
    by_subject: str  # #1043 on unstable; on 2.10 by hand, same subject and file, no PR number
    by_subject_copy: str
    namesake: str  # #1042 on unstable; 2.10 has another fix with the same subject (#1039)
    namesake_copy: str


def add_backports(repo: Repo) -> Backports:
    """Grow the sample's history with the ways a change reaches 2.10, then release 2.10.2.

    unstable: #1040, #1041, #1042, #1043 and PR #1044 (two commits and a merge commit).
    2.10: #1040 adapted by hand, #1041 picked with -x and changed, #1044 squashed -> v2.10.2;
    then #1043 by hand without its PR number, and #1039, another fix with #1042's subject.
    """
    unstable = {
        "1040": repo.commit(
            "fix(storage): retry the flush when the disk is full (#1040)",
            {STORAGE: "// retry the flush when the disk is full\n// and log each retry\n"},
        ),
        "1041": repo.commit(
            "fix(types): keep the TTL when a hash field is renamed (#1041)",
            {TYPES: "// keep the TTL on rename\n"},
        ),
        "1042": repo.commit(
            "fix(server): close idle clients after the timeout (#1042)",
            {SERVER: "// close idle clients on timeout\n"},
        ),
        "1043": repo.commit(
            "fix(config): refuse a negative maxclients value (#1043)",
            {CONFIG: "// maxclients >= 0\n// say which value was refused\n"},
        ),
    }
    repo.git("checkout", "--quiet", "-b", "dana/expire")
    merged = (
        repo.commit("round the expire time up", {TYPES: "// round the expire time up\n"}),
        repo.commit("test the expire rounding", {"tests/gocase/unit/expire_test.go": "package unit\n"}),
    )
    repo.git("checkout", "--quiet", "unstable")
    repo.git("merge", "--quiet", "--no-ff", "dana/expire", "-m", "Merge pull request #1044 from dana/expire")
    repo.git("branch", "--quiet", "-D", "dana/expire")

    repo.git("checkout", "--quiet", "2.10")
    adapted_copy = repo.commit(
        "fix(storage): retry the flush when the disk is full (#1040)",
        {STORAGE: "// retry the flush when the disk is full\n"},
    )
    # the pick conflicts (2.10 lacks #1021's line next to it); resolved by hand, -x line kept
    before = (repo.path / TYPES).read_text()
    picking = ["git", "cherry-pick", "-x", unstable["1041"]]
    assert subprocess.run(picking, cwd=repo.path, capture_output=True, check=False).returncode != 0
    (repo.path / TYPES).write_text(before + "// keep the TTL on rename, as 2.10 names it\n")
    repo.git("add", TYPES)
    repo.git("commit", "--quiet", "--no-edit")
    picked_copy = repo.git("rev-parse", "HEAD")
    merged_copy = repo.commit(
        "fix(types): round the expire time up (#1044)", {TYPES: "// round the expire up\n"}
    )
    repo.release("2.10.2")
    by_subject_copy = repo.commit(
        "fix(config): refuse a negative maxclients value", {CONFIG: "// maxclients >= 0\n"}
    )
    namesake_copy = repo.commit(
        "fix(server): close idle clients after the timeout (#1039)",
        {"src/server/idle.cc": "// idle timeout 300\n"},
    )
    repo.git("checkout", "--quiet", "unstable")
    return Backports(
        unstable["1040"],
        adapted_copy,
        unstable["1041"],
        picked_copy,
        merged,
        merged_copy,
        unstable["1043"],
        by_subject_copy,
        unstable["1042"],
        namesake_copy,
    )


@pytest.fixture
def backports(repo: Repo) -> tuple[Repo, Backports]:
    return repo, add_backports(repo)
