"""propose and cherry-pick --list against the plain git commands a release manager runs by hand.

On the sample project grown by COMMITS conventional commits on unstable (the release branch 2.11
cut halfway for the worklist), times in one run, best of REPEAT:

  feature proposal  asf-release propose 2.11.0 --dry-run  vs  git merge-base + git log
  patch proposal    asf-release propose 2.10.2 --dry-run  vs  git cherry -v (twice) + git log
  worklist          asf-release cherry-pick 2.11.0 --list vs  git cherry -v 2.11 unstable

both in-process (the library, what the command adds to git) and as the command (with Python's
start-up), and prints the ratios.

    .venv/bin/python -m benchmarks.prepare [COMMITS] [REPEAT]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asf_release import profile as profile_module
from asf_release.context import Context
from asf_release.sandbox import sample_project
from asf_release.steps import history, proposal, worklist
from asf_release.version import Version
from benchmarks import compile_sources

TYPES = ["feat", "fix", "fix(security)", "perf", "docs", "ci", "build", "refactor", "chore", "fix"]


def grow(project: Path, commits: int, first_number: int) -> None:
    """Add commits on unstable with git fast-import (quick, and real commits all the same)."""
    tip = _git(project, "rev-parse", "unstable")
    stream = []
    for index in range(commits):
        number = first_number + index
        message = f"{TYPES[index % len(TYPES)]}: change number {number} (#{number})\n"
        content = f"change {number}\n"
        when = 1_700_000_000 + number * 60
        stream.append(
            "commit refs/heads/unstable\n"
            f"author Bench <bench@example.org> {when} +0000\n"
            f"committer Bench <bench@example.org> {when} +0000\n"
            f"data {len(message.encode())}\n{message}"
            + (f"from {tip}\n" if index == 0 else "")
            + f"M 100644 inline bench/file{number % 97}.txt\ndata {len(content.encode())}\n{content}\n"
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=project, input="".join(stream).encode(), check=True)
    _git(project, "reset", "--quiet", "--hard", "unstable")


def _git(project: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def best(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times)


def _measure(
    repeat: int,
    title: str,
    plain: Callable[[], object],
    library: Callable[[], object],
    command: Callable[[], object],
) -> None:
    plain_s = best(repeat, plain)
    library_s = best(repeat, library)
    command_s = best(repeat, command)
    print(
        f"{title:32}{plain_s:11.3f}s{library_s:9.3f}s{library_s / plain_s:6.1f}x"
        f"{command_s:9.3f}s{command_s / plain_s:6.1f}x"
    )


def main() -> None:
    compile_sources()
    commits = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory(prefix="asfr-bench-") as temp:
        base = Path(temp)
        builtin = profile_module.load(None, env={})
        project = sample_project.create(base / "project", builtin, files=60).path
        grow(project, commits, 5000)
        env = {**os.environ, "ASF_RELEASE_STATE_DIR": str(base / "state")}
        ctx = Context.load(project, env=env)

        def cli(*args: str) -> Callable[[], object]:
            argv = [sys.executable, "-m", "asf_release", "-C", str(project), *args]
            return lambda: subprocess.run(argv, env=env, capture_output=True, check=True)

        def by_hand(*commands: tuple[str, ...]) -> Callable[[], object]:
            return lambda: [_git(project, *command) for command in commands]

        def library(action: Callable[[], object]) -> Callable[[], object]:
            return lambda: (history.clear_cache(), action())  # no comparison remembered from a run before

        base_commit = _git(project, "merge-base", "unstable", "v2.10.1")
        print(f"{commits} commits on unstable, best of {repeat}")
        print(f"{'':32}{'git by hand':>12}{'library':>10}{'ratio':>7}{'command':>10}{'ratio':>7}")
        _measure(
            repeat,
            "feature proposal (2.11.0)",
            by_hand(
                ("merge-base", "unstable", "v2.10.1"),
                ("log", "--no-merges", "--format=%H %s", f"{base_commit}..unstable"),
            ),
            library(lambda: proposal.build(ctx, Version(2, 11, 0), None)),
            cli("propose", "2.11.0", "--dry-run"),
        )
        _measure(
            repeat,
            "patch proposal (2.10.2)",
            by_hand(
                ("cherry", "-v", "v2.10.1", "unstable"),
                ("cherry", "-v", "2.10", "unstable"),
                ("log", "--no-merges", "--format=%H %s", "v2.10.1..2.10"),
            ),
            library(lambda: proposal.build(ctx, Version(2, 10, 2), None)),
            cli("propose", "2.10.2", "--dry-run"),
        )
        # the branch is cut halfway: the later half is the period's worklist
        _git(project, "branch", "2.11", f"unstable~{commits // 2}")
        _measure(
            repeat,
            f"worklist of {commits // 2} (2.11.0)",
            by_hand(("cherry", "-v", "2.11", "unstable")),
            library(lambda: worklist.build(ctx, Version(2, 11, 0))),
            cli("cherry-pick", "2.11.0", "--list"),
        )
        ctx.close()


if __name__ == "__main__":
    main()
