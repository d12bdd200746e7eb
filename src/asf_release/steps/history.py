"""The git history a release is made of: its line, the release it follows, and which commits are
already on its branch or in an earlier release.

A commit is recognised on the other side by a `cherry picked from` (-x) line, by its patch id (as
`git cherry` does), by its pull request number, or by its subject with a close diff: backports made
without -x, and adapted by hand, are found too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType

from asf_release.adapters.git import Change, Commit, Git, Node
from asf_release.context import Context
from asf_release.errors import Refused
from asf_release.profile import Profile
from asf_release.steps import conventional
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
    released: tuple[Version, ...] = ()  # every release the tags name, oldest first

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
    return Line(
        version, branch, branch_head, unstable, unstable_head, previous, previous_tag, base, tuple(released)
    )


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


class How(StrEnum):
    """How a commit was found on the other side, strongest evidence first."""

    TRAILER = "cherry-picked with -x"
    PATCH = "same patch"
    PULL_REQUEST = "same PR"
    SUBJECT = "same subject and files"


@dataclass(frozen=True)
class Twin:
    """The commit on the other side that carries the same change ("" when git found an equal
    patch but not which commit it is), and how it was recognised."""

    sha: str
    how: How

    def describe(self, where: str = "") -> str:
        """'on 2.10 as 504d0838, same PR' (without where: 'as 504d0838, same PR')."""
        found = f"as {self.sha[:8]}, {self.how}" if self.sha else str(self.how)
        if not where:
            return found
        return f"on {where} {found}" if self.sha else f"on {where}, {found}"


@dataclass(frozen=True)
class Comparison:
    """Which commits of head (since it forked from branch) branch carries, and the other way round."""

    fork: str | None
    on_branch: Mapping[str, Twin]  # a commit of head -> its twin on branch
    on_head: Mapping[str, Twin]  # a commit of branch -> its twin on head
    # a commit of head -> the commit of branch with the same subject but not the same change:
    # neither side can be trusted to say whether branch carries it
    doubtful: Mapping[str, str]
    pull_requests: Mapping[str, tuple[str, ...]]  # the PRs of every commit of both sides


_EMPTY = Comparison(
    None, MappingProxyType({}), MappingProxyType({}), MappingProxyType({}), MappingProxyType({})
)
_MIN_SUBJECT_WORDS = 3  # "fix typo", "update readme": too common to say two commits are one
_MIN_FILE_OVERLAP = 0.5  # of the smaller commit's files


def compare(git: Git, branch: str, head: str) -> Comparison:
    """Which commits of head branch already carries (and the other way round), by four rules, the
    strongest first: a `cherry picked from` (-x) line, the same patch id (as `git cherry`), the same
    pull request number (squash subject '(#1234)' or a 'Merge pull request #1234' merge), the same
    subject with a close diff (half the files in common, and an added line in common). A subject
    shared with a different change is not a match: it is `doubtful`."""
    branch_sha, head_sha = git.rev(branch), git.rev(head)
    if branch_sha is None or head_sha is None:
        return _EMPTY
    return _compare(git.root, branch_sha, head_sha)


def clear_cache() -> None:
    """Forget the remembered comparisons (for measurements)."""
    _compare.cache_clear()
    _read_side.cache_clear()


@functools.lru_cache(maxsize=32)
def _compare(root: Path, branch: str, head: str) -> Comparison:
    # keyed by commit ids, which never change meaning: safe to remember within a process
    git = Git(root)
    fork = git.merge_base(branch, head)
    head_side = _read_side(root, head, fork)
    branch_side = _read_side(root, branch, fork)
    branch_marks, head_marks = git.cherry_marks(branch, head)
    matcher = _Matcher(git, head_side, branch_side)
    matcher.by_trailers()
    matcher.by_patch(
        [sha for sha in head_side.commits if head_marks.get(sha) is False],
        [sha for sha in branch_side.commits if branch_marks.get(sha) is False],
    )
    matcher.by_pull_request()
    matcher.by_subject()
    # read-only views: the comparison is remembered and shared by every caller
    return Comparison(
        fork,
        MappingProxyType(matcher.on_branch),
        MappingProxyType(matcher.on_head),
        MappingProxyType(matcher.doubtful),
        MappingProxyType({**branch_side.pull_requests, **head_side.pull_requests}),
    )


@dataclass
class _Side:
    """One side of a comparison: its commits since the fork (merges left out), their messages,
    and the pull requests they came in by."""

    commits: list[str]
    messages: dict[str, str]
    pull_requests: dict[str, tuple[str, ...]]

    @classmethod
    def read(cls, git: Git, tip: str, fork: str | None) -> _Side:
        nodes = {node.sha: node for node in git.graph(f"{fork}..{tip}" if fork else tip)}
        commits = [sha for sha, node in nodes.items() if len(node.parents) <= 1]
        numbers = {sha: tuple(conventional.trailing_pull_requests(nodes[sha].subject)) for sha in commits}
        for sha, merged in _merged_pull_requests(nodes, tip).items():
            if sha in numbers and merged not in numbers[sha]:
                numbers[sha] += (merged,)
        return cls(commits, {sha: nodes[sha].message for sha in commits}, numbers)

    def subject(self, sha: str) -> str:
        return self.messages[sha].split("\n", 1)[0].strip()


@functools.lru_cache(maxsize=8)
def _read_side(root: Path, tip: str, fork: str | None) -> _Side:
    # unstable's side is the same against a release branch and against its latest tag: read it once
    return _Side.read(Git(root), tip, fork)


def _merged_pull_requests(nodes: Mapping[str, Node], tip: str) -> dict[str, str]:
    """The commits each 'Merge pull request #N' merge of the tip's first-parent line brought in.

    Oldest merge first, each claims what its second parent reaches that the line and the merges
    before it do not: the commits of that pull request.
    """
    line: list[str] = []
    sha: str | None = tip
    while sha is not None and sha in nodes:
        line.append(sha)
        parents = nodes[sha].parents
        sha = parents[0] if parents else None
    claimed = set(line)
    found: dict[str, str] = {}
    for merge in reversed(line):
        node = nodes[merge]
        if len(node.parents) < 2:
            continue
        number = conventional.merged_pull_request(node.subject)
        stack = list(node.parents[1:])
        while stack:
            sha = stack.pop()
            if sha in claimed or sha not in nodes:
                continue
            claimed.add(sha)
            if number:
                found[sha] = number
            stack.extend(nodes[sha].parents)
    return found


class _Matcher:
    """Pairs the commits of two sides, one rule after the other; the first rule to pair a commit
    names how it was found."""

    def __init__(self, git: Git, head: _Side, branch: _Side) -> None:
        self.git = git
        self.head = head
        self.branch = branch
        self.on_branch: dict[str, Twin] = {}
        self.on_head: dict[str, Twin] = {}
        self.doubtful: dict[str, str] = {}

    def pair(self, head_sha: str, branch_sha: str, how: How) -> None:
        self.on_branch.setdefault(head_sha, Twin(branch_sha, how))
        if branch_sha:
            self.on_head.setdefault(branch_sha, Twin(head_sha, how))

    def by_trailers(self) -> None:
        head_commits, branch_commits = set(self.head.commits), set(self.branch.commits)
        for sha in self.branch.commits:
            for found in _PICKED_FROM.finditer(self.branch.messages[sha]):
                if found["sha"] in head_commits:
                    self.pair(found["sha"], sha, How.TRAILER)
        for sha in self.head.commits:  # a fix made on the branch and picked forward with -x
            for found in _PICKED_FROM.finditer(self.head.messages[sha]):
                if found["sha"] in branch_commits:
                    self.pair(sha, found["sha"], How.TRAILER)

    def by_patch(self, head_same: list[str], branch_same: list[str]) -> None:
        """Pair the commits git found with an equal patch on the other side (it does not say which):
        by PR number or subject when that settles it, else by computing the patch ids."""
        head_left = [sha for sha in head_same if sha not in self.on_branch]
        branch_left = [sha for sha in branch_same if sha not in self.on_head]
        for keys in (self._pull_request_keys, self._subject_keys):
            head_left = self._pair_by(head_left, branch_same, keys(self.head), keys(self.branch))
            branch_left = [sha for sha in branch_left if sha not in self.on_head]
            branch_left = self._pair_by(
                branch_left, head_same, keys(self.branch), keys(self.head), backwards=True
            )
        if not head_left and not branch_left:
            return
        wanted = dict.fromkeys([*head_left, *branch_left])
        wanted.update(dict.fromkeys(branch_same if head_left else []))
        wanted.update(dict.fromkeys(head_same if branch_left else []))
        ids = self.git.patch_ids(list(wanted))

        def patch_id(sha: str) -> list[str]:
            return [ids[sha]] if sha in ids else []

        branch_by_id = _index(branch_same, patch_id)
        for sha in head_left:
            found = branch_by_id.get(ids.get(sha, ""), [])
            self.pair(sha, found[0] if found else "", How.PATCH)
        head_by_id = _index(head_same, patch_id)
        for sha in branch_left:
            found = head_by_id.get(ids.get(sha, ""), [])
            if found:
                self.pair(found[0], sha, How.PATCH)

    def _pair_by(
        self,
        needing: list[str],
        candidates: list[str],
        keys: Callable[[str], Iterable[str]],
        candidate_keys: Callable[[str], Iterable[str]],
        *,
        backwards: bool = False,
    ) -> list[str]:
        """Pair each commit whose key names exactly one candidate; return the others."""
        index = _index(candidates, candidate_keys)
        left = []
        for sha in needing:
            found = {other for key in keys(sha) for other in index.get(key, ())}
            if len(found) == 1:
                other = found.pop()
                if backwards:
                    self.pair(other, sha, How.PATCH)
                else:
                    self.pair(sha, other, How.PATCH)
            else:
                left.append(sha)
        return left

    @staticmethod
    def _pull_request_keys(side: _Side) -> Callable[[str], Iterable[str]]:
        return lambda sha: side.pull_requests.get(sha, ())

    @staticmethod
    def _subject_keys(side: _Side) -> Callable[[str], Iterable[str]]:
        return lambda sha: [side.subject(sha)]

    def by_pull_request(self) -> None:
        branch_index = _index(self.branch.commits, self._pull_request_keys(self.branch))
        for sha in self.head.commits:
            if sha not in self.on_branch:
                for number in self.head.pull_requests.get(sha, ()):
                    if number in branch_index:
                        self.pair(sha, branch_index[number][0], How.PULL_REQUEST)
                        break
        head_index = _index(self.head.commits, self._pull_request_keys(self.head))
        for sha in self.branch.commits:
            if sha not in self.on_head:
                for number in self.branch.pull_requests.get(sha, ()):
                    if number in head_index:
                        self.pair(head_index[number][0], sha, How.PULL_REQUEST)
                        break

    def by_subject(self) -> None:
        """The same subject once on each side, and a close diff; anything less certain is doubtful."""

        def normalised(side: _Side) -> Callable[[str], list[str]]:
            return lambda sha: [n] if (n := conventional.normalise_subject(side.subject(sha))) else []

        head_left = [sha for sha in self.head.commits if sha not in self.on_branch]
        branch_left = [sha for sha in self.branch.commits if sha not in self.on_head]
        head_index = _index(head_left, normalised(self.head))
        branch_index = _index(branch_left, normalised(self.branch))
        candidates: list[tuple[str, str]] = []
        for subject, heads in head_index.items():
            branches = branch_index.get(subject, [])
            if not branches:
                continue
            if len(heads) == 1 and len(branches) == 1 and len(subject.split()) >= _MIN_SUBJECT_WORDS:
                candidates.append((heads[0], branches[0]))
            else:
                for sha in heads:
                    self.doubtful[sha] = branches[0]
        changes = self.git.changes([sha for pair in candidates for sha in pair])
        for head_sha, branch_sha in candidates:
            if _close(changes[head_sha], changes[branch_sha]):
                self.pair(head_sha, branch_sha, How.SUBJECT)
            else:
                self.doubtful[head_sha] = branch_sha


def _index(shas: Iterable[str], keys: Callable[[str], Iterable[str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for sha in shas:
        for key in keys(sha):
            index.setdefault(key, []).append(sha)
    return index


def _close(one: Change, other: Change) -> bool:
    """Two diffs of the same change, however adapted: at least half of the smaller one's files in
    common, and (when both add lines) at least one added line in common."""
    if not one.files or not other.files:
        return False
    shared = len(one.files & other.files) / min(len(one.files), len(other.files))
    if shared < _MIN_FILE_OVERLAP:
        return False
    return not (one.added and other.added) or bool(one.added & other.added)


@dataclass(frozen=True)
class Shipped:
    """A commit of unstable that a release of an earlier line already carries."""

    release: Version
    twin: Twin


@dataclass(frozen=True)
class Previous:
    """What the releases of a line already shipped of unstable's commits."""

    branch: str  # the line's branch, X.Y
    shipped: Mapping[str, Shipped]  # a commit of unstable -> the first release that carried it
    doubtful: Mapping[str, tuple[Version, str]]  # a commit of unstable -> (release, its namesake there)


def previously_shipped(
    ctx: Context, latest: Version, head: str, released: Sequence[Version] = ()
) -> Previous:
    """The commits of head (unstable) that the releases of latest's line, up to latest, carry; each
    with the first release that had it. released: the releases, when the caller has read them."""
    git, names = ctx.git, ctx.names
    released = released or names.final_versions(git.tags())
    releases = [v for v in released if v.line == latest.line and v <= latest]
    branch = names.release_branch(latest)
    if not releases:
        return Previous(branch, {}, {})
    found = compare(git, names.final_tag(latest), head)
    contents: dict[Version, set[str]] = {}

    def release_of(sha: str) -> Version:
        for release in releases[:-1]:
            if release not in contents:
                since = (
                    f"{found.fork}..{names.final_tag(release)}" if found.fork else names.final_tag(release)
                )
                contents[release] = set(git.out("rev-list", since, "--").split())
            if sha in contents[release]:
                return release
        return releases[-1]

    shipped = {sha: Shipped(release_of(twin.sha), twin) for sha, twin in found.on_branch.items()}
    doubtful = {sha: (release_of(other), other) for sha, other in found.doubtful.items()}
    return Previous(branch, shipped, doubtful)


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
