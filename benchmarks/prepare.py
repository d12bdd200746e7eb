"""propose and cherry-pick --list against the plain git commands a release manager runs by hand.

On the sample project grown by COMMITS conventional commits on unstable (the release branch 2.11
cut halfway for the worklist) with one in BACKPORT_EVERY of them backported to 2.10 by hand (no
-x, adapted: half keep their PR number, half only their subject), times in one run, best of
REPEAT:

  feature proposal  asf-release propose 2.11.0 --dry-run  vs  git merge-base + git log
  patch proposal    asf-release propose 2.10.2 --dry-run  vs  git cherry -v (twice) + git log
  worklist          asf-release cherry-pick 2.11.0 --list vs  git cherry -v 2.11 unstable
  matching          history.compare(2.10, unstable)       vs  git cherry -v 2.10 unstable

both in-process (the library, what the command adds to git) and as the command (with Python's
start-up), and prints the ratios. "matching" is the backport recognition alone: -x lines, patch
ids, PR numbers and subjects with a close diff, against git's patch ids alone.

With --repo, the same on a real checkout (branches unstable and X.Y, release tags), for the patch
release PATCH (default: the next one of the latest line) and the next feature release:

    .venv/bin/python -m benchmarks.prepare [COMMITS] [REPEAT]
    .venv/bin/python -m benchmarks.prepare --repo /tmp/kvrocks [--patch 2.10.2] [--repeat 5]
"""

from __future__ import annotations

import argparse
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
BACKPORT_EVERY = 20
TARGET_SECONDS = 1.0


def grow(project: Path, commits: int, first_number: int) -> None:
    """Add commits on unstable with git fast-import (quick, and real commits all the same), and
    backport some of them to 2.10 by hand: another patch, the same PR number or subject."""
    unstable_tip = _git(project, "rev-parse", "unstable")
    branch_tip = _git(project, "rev-parse", "2.10")
    stream = []
    backports = []
    for index in range(commits):
        number = first_number + index
        subject = f"{TYPES[index % len(TYPES)]}: change number {number}"
        path = f"bench/file{number % 97}.txt"
        stream.append(
            _commit("unstable", f"{subject} (#{number})", path, f"change {number}\n", number, index == 0)
        )
        stream[-1] = stream[-1].replace("@FROM@", unstable_tip)
        if index % BACKPORT_EVERY == 1:  # a fix
            keep_number = (index // BACKPORT_EVERY) % 2 == 0
            message = f"{subject} (#{number})" if keep_number else subject
            backports.append((message, path, f"change {number}\n// adapted to 2.10\n", number))
    for position, (message, path, content, number) in enumerate(backports):
        stream.append(
            _commit("2.10", message, path, content, number, position == 0).replace("@FROM@", branch_tip)
        )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=project, input="".join(stream).encode(), check=True)
    _git(project, "reset", "--quiet", "--hard", "unstable")


def _commit(branch: str, message: str, path: str, content: str, number: int, first: bool) -> str:
    when = 1_700_000_000 + number * 60
    data = message + "\n"
    return (
        f"commit refs/heads/{branch}\n"
        f"author Bench <bench@example.org> {when} +0000\n"
        f"committer Bench <bench@example.org> {when} +0000\n"
        f"data {len(data.encode())}\n{data}"
        + ("from @FROM@\n" if first else "")
        + f"M 100644 inline {path}\ndata {len(content.encode())}\n{content}\n"
    )


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
    command: Callable[[], object] | None = None,
) -> None:
    plain_s = best(repeat, plain)
    library_s = best(repeat, library)
    line = f"{title:34}{plain_s:11.3f}s{library_s:9.3f}s{library_s / plain_s:6.1f}x"
    if command is not None:
        command_s = best(repeat, command)
        verdict = "" if command_s < TARGET_SECONDS else f"  over {TARGET_SECONDS:.0f} s"
        line += f"{command_s:9.3f}s{command_s / plain_s:6.1f}x{verdict}"
    print(line)


class Runner:
    """The three ways of doing the same work on one checkout: by hand, the library, the command."""

    def __init__(self, project: Path, env: dict[str, str]) -> None:
        self.project = project
        self.env = env
        self.ctx = Context.load(project, env=env)

    def cli(self, *args: str) -> Callable[[], object]:
        argv = [sys.executable, "-m", "asf_release", "-C", str(self.project), *args]
        return lambda: subprocess.run(argv, env=self.env, capture_output=True, check=True)

    def by_hand(self, *commands: tuple[str, ...]) -> Callable[[], object]:
        return lambda: [_git(self.project, *command) for command in commands]

    @staticmethod
    def library(action: Callable[[], object]) -> Callable[[], object]:
        def fresh() -> object:
            history.clear_cache()  # no comparison remembered from a run before
            return action()

        return fresh

    def header(self, what: str, repeat: int) -> None:
        start_up = best(repeat, self.cli("--version"))
        print(f"{what}, best of {repeat}; the command's start-up alone (--version): {start_up:.3f}s")
        print(f"{'':34}{'git by hand':>12}{'library':>10}{'ratio':>7}{'command':>10}{'ratio':>7}")

    def feature(self, repeat: int, version: Version, previous_tag: str) -> None:
        base = _git(self.project, "merge-base", "unstable", previous_tag)
        _measure(
            repeat,
            f"feature proposal ({version})",
            self.by_hand(
                ("merge-base", "unstable", previous_tag),
                ("log", "--no-merges", "--format=%H %s", f"{base}..unstable"),
            ),
            self.library(lambda: proposal.build(self.ctx, version, None)),
            self.cli("propose", str(version), "--dry-run"),
        )

    def patch(self, repeat: int, version: Version, previous_tag: str, branch: str) -> None:
        _measure(
            repeat,
            f"patch proposal ({version})",
            self.by_hand(
                ("cherry", "-v", previous_tag, "unstable"),
                ("cherry", "-v", branch, "unstable"),
                ("log", "--no-merges", "--format=%H %s", f"{previous_tag}..{branch}"),
            ),
            self.library(lambda: proposal.build(self.ctx, version, None)),
            self.cli("propose", str(version), "--dry-run"),
        )

    def worklist(self, repeat: int, version: Version, branch: str, size: int) -> None:
        _measure(
            repeat,
            f"worklist of {size} ({version})",
            self.by_hand(("cherry", "-v", branch, "unstable")),
            self.library(lambda: worklist.build(self.ctx, version)),
            self.cli("cherry-pick", str(version), "--list"),
        )

    def matching(self, repeat: int, branch: str) -> history.Comparison:
        _measure(
            repeat,
            f"matching ({branch} vs unstable)",
            self.by_hand(("cherry", "-v", branch, "unstable")),
            self.library(lambda: history.compare(self.ctx.git, branch, "unstable")),
        )
        return history.compare(self.ctx.git, branch, "unstable")


def synthetic(commits: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="asfr-bench-") as temp:
        base = Path(temp)
        builtin = profile_module.load(None, env={})
        project = sample_project.create(base / "project", builtin, files=60).path
        grow(project, commits, 5000)
        runner = Runner(project, {**os.environ, "ASF_RELEASE_STATE_DIR": str(base / "state")})
        runner.header(
            f"{commits} commits on unstable, {commits // BACKPORT_EVERY} backported by hand", repeat
        )
        runner.feature(repeat, Version(2, 11, 0), "v2.10.1")
        runner.patch(repeat, Version(2, 10, 2), "v2.10.1", "2.10")
        found = runner.matching(repeat, "2.10")
        _explain(found)
        # the branch is cut halfway: the later half is the period's worklist
        _git(project, "branch", "2.11", f"unstable~{commits // 2}")
        runner.worklist(repeat, Version(2, 11, 0), "2.11", commits // 2)
        runner.ctx.close()


def real(path: Path, patch: Version | None, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="asfr-bench-") as state:
        runner = Runner(path, {**os.environ, "ASF_RELEASE_STATE_DIR": state})
        names = runner.ctx.names
        released = names.final_versions(runner.ctx.git.tags())
        latest = released[-1]
        patch = patch or Version(latest.major, latest.minor, latest.patch + 1)
        previous = max(v for v in released if v.line == patch.line)
        branch = names.release_branch(patch)
        on_branch = _git(path, "rev-list", "--count", branch)
        runner.header(f"{path}: {branch} holds {on_branch} commits", repeat)
        runner.feature(repeat, Version(latest.major, latest.minor + 1, 0), names.final_tag(latest))
        runner.patch(repeat, patch, names.final_tag(previous), branch)
        size = len(worklist.build(runner.ctx, patch).items)
        runner.worklist(repeat, patch, branch, size)
        _explain(runner.matching(repeat, branch))
        runner.ctx.close()


def _explain(found: history.Comparison) -> None:
    hows: dict[str, int] = {}
    for twin in found.on_branch.values():
        hows[twin.how.value] = hows.get(twin.how.value, 0) + 1
    shown = ", ".join(f"{count} {how}" for how, count in hows.items()) or "none"
    print(f"{'':34}  found on the branch: {shown}; {len(found.doubtful)} to check by hand")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("commits", nargs="?", type=int, default=2000)
    parser.add_argument("repeat", nargs="?", type=int, default=3)
    parser.add_argument("--repo", type=Path, help="a real checkout instead of the sample project")
    parser.add_argument("--patch", help="the patch release to time with --repo (default: the next one)")
    parser.add_argument("--repeat", dest="repeat_option", type=int)
    args = parser.parse_args()
    compile_sources()
    repeat = args.repeat_option or args.repeat
    if args.repo:
        real(args.repo.resolve(), Version.parse(args.patch) if args.patch else None, repeat)
    else:
        synthetic(args.commits, repeat)


if __name__ == "__main__":
    main()
