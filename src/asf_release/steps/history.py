"""The git history a release is made of: its line, the release it follows, and which commits are
already on its branch (compared by patch id, as `git cherry` does, and by `cherry picked from`
trailers, so a commit picked by hand is recognised).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from asf_release.adapters.git import Commit, Git
from asf_release.context import Context
from asf_release.errors import Refused
from asf_release.profile import Profile
from asf_release.version import ReleaseKind, Version

_PICKED_FROM = re.compile(r"\(cherry picked from commit (?P<sha>[0-9a-f]{40})\)")


@dataclass(frozen=True)
class Line:
    """Where a release comes from: its branch, the release before it, and where its history starts."""

    version: Version
    branch: str  # the release branch, X.Y
    branch_head: str | None  # the local branch's commit, None when it does not exist yet
    unstable: str  # the development branch's name
    unstable_head: str
    previous: Version | None  # the release this one follows
    previous_tag: str | None
    # Where the commits this release adds start: for a feature release, the point where the
    # previous line's branch left unstable; for a patch release, the previous release's tag.
    base: str | None

    @property
    def kind(self) -> ReleaseKind:
        return self.version.kind

    @property
    def is_feature(self) -> bool:
        return self.version.kind is ReleaseKind.FEATURE

    def since_base(self, head: str) -> str:
        """A revision range: the commits of head after the base (all of head without a base)."""
        return f"{self.base}..{head}" if self.base else head


def resolve(ctx: Context, version: Version, *, validate: bool = True) -> Line:
    """The release's line; with validate, refuse a version that cannot be released next.

    A feature release must be newer than every release; a patch release needs its line's branch
    and a release of that line to follow.
    """
    git = ctx.git
    names = ctx.names
    unstable = ctx.profile.git.unstable_branch
    unstable_head = git.branch_commit(unstable)
    if unstable_head is None:
        raise Refused(
            f"there is no branch '{unstable}' in this checkout",
            f"fetch it (git fetch {ctx.profile.git.remote} {unstable}:{unstable}), or name the "
            "development branch in git.unstable_branch",
        )
    released = names.final_versions(git.tags())
    branch = names.release_branch(version)
    branch_head = git.branch_commit(branch)
    if version.kind is ReleaseKind.FEATURE:
        if validate and released and version <= released[-1]:
            raise Refused(
                f"{version} is not greater than the latest release, {released[-1]}",
                f"propose a newer version, such as {Version(released[-1].major, released[-1].minor + 1, 0)}",
            )
        earlier = [v for v in released if v.line < version.line]
        previous = earlier[-1] if earlier else None
    else:
        same_line = [v for v in released if v.line == version.line]
        if validate:
            _check_patch(ctx, version, branch, branch_head, same_line)
        older = [v for v in same_line if v < version]  # once released, the version follows the one before
        previous = older[-1] if older else None
    previous_tag = names.final_tag(previous) if previous else None
    base: str | None = None
    if previous_tag:
        base = (
            git.merge_base(unstable_head, previous_tag)
            if version.kind is ReleaseKind.FEATURE
            else previous_tag
        )
    return Line(version, branch, branch_head, unstable, unstable_head, previous, previous_tag, base)


def _check_patch(
    ctx: Context, version: Version, branch: str, branch_head: str | None, same_line: list[Version]
) -> None:
    remote = ctx.profile.git.remote
    if branch_head is None:
        tracked = ctx.git.rev(f"refs/remotes/{remote}/{branch}")
        hint = (
            f"{remote} has it: create yours with git branch {branch} {remote}/{branch}"
            if tracked
            else f"a patch release is made on its line's branch; propose {version.major}.{version.minor}.0 "
            "first if the line is new"
        )
        raise Refused(f"{version} is a patch release, and there is no release branch {branch}", hint)
    if not same_line:
        raise Refused(
            f"{version} is a patch release, and {branch} has no release yet",
            f"the first release of a line is {version.major}.{version.minor}.0",
        )
    if version <= same_line[-1]:
        latest = same_line[-1]
        raise Refused(
            f"{version} is not greater than {latest}, the latest release of {branch}",
            f"propose {Version(latest.major, latest.minor, latest.patch + 1)}",
        )


def commits(git: Git, revision_range: str) -> list[Commit]:
    """The commits of a range, oldest first, merges left out."""
    return git.log(revision_range, "--no-merges", "--reverse")


def twins(git: Git, branch: str, head: str) -> tuple[set[str], set[str]]:
    """(commits of head, since it forked from branch, that branch already carries; commits of
    branch, since the fork, that head carries). Compared by patch id and by -x trailers."""
    branch_sha, head_sha = git.rev(branch), git.rev(head)
    if branch_sha is None or head_sha is None:
        return set(), set()
    on_branch, on_head = _twins(git.root, branch_sha, head_sha)
    return set(on_branch), set(on_head)


def clear_cache() -> None:
    """Forget the remembered comparisons (for measurements)."""
    _twins.cache_clear()


@functools.lru_cache(maxsize=32)
def _twins(root: Path, branch: str, head: str) -> tuple[frozenset[str], frozenset[str]]:
    # keyed by commit ids, which never change meaning: safe to remember within a process
    git = Git(root)
    branch_side, head_side = git.cherry_marks(branch, head)
    on_branch = {sha for sha, alone in head_side.items() if not alone}
    on_head = {sha for sha, alone in branch_side.items() if not alone}
    fork = git.merge_base(branch, head)
    if fork:
        for sha, body in git.log_bodies(f"{fork}..{branch}"):
            for found in _PICKED_FROM.finditer(body):
                on_branch.add(found["sha"])
                on_head.add(sha)
    return frozenset(on_branch), frozenset(on_head)


def remote_behind(git: Git, remote: str, branch: str) -> int:
    """How many commits the remote-tracking branch has that the local one lacks (no network)."""
    tracked = git.rev(f"refs/remotes/{remote}/{branch}")
    local = git.branch_commit(branch)
    if not tracked or not local or tracked == local:
        return 0
    return int(git.out("rev-list", "--count", f"{local}..{tracked}"))


def release_commit_pattern(profile: Profile) -> re.Pattern[str]:
    """Matches the subjects of the commits that write the version file (release commits)."""
    template = profile.version_file.commit_message
    parts = re.split(r"(\{[a-z_]+\})", template)
    regex = "".join(".+?" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")
