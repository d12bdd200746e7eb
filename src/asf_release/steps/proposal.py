"""The release proposal's content: the commits a release adds, grouped, each with its mark.

For a feature release: unstable since the previous line's branch point. For a patch release: the
commits after the previous release that are on the branch or still on unstable only. Commits are
compared by -x line, patch id, PR number, and subject with a close diff (history.compare). Every
commit is listed once; the marks say what the release manager does with it. What a release of the
previous line already shipped is listed apart, under that release; a patch release sums up the
features it leaves to the next feature release in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from asf_release.adapters.git import Commit
from asf_release.context import Context
from asf_release.errors import Refused, UsageError
from asf_release.steps import conventional, history, worklist
from asf_release.steps.conventional import Group, Kind
from asf_release.steps.worklist import PickState
from asf_release.version import ReleaseKind, Version


class Mark(StrEnum):
    WITH_BRANCH = "with-branch"  # on unstable; comes with the new branch when it is created
    ON_BRANCH = "on-branch"  # already on the release branch
    CHERRY_PICK = "cherry-pick"  # must be cherry-picked into the branch (a fix, or approved)
    ASK = "needs-approval"  # goes in only with a reason and the release manager's yes
    REVERT = "revert"  # on the branch, but must be reverted or rebased out
    CHECK = "check-by-hand"  # shares its subject with a branch commit, not its change
    LEFT_OUT = "left-out"  # not in this release


# marks that ask nothing of anyone: not repeated for what an earlier release already shipped
_SETTLED = (Mark.WITH_BRANCH, Mark.ON_BRANCH)


@dataclass(frozen=True)
class Entry:
    commit: Commit
    kind: Kind
    mark: Mark
    note: str = ""  # why, when the mark needs a reason (left out, revert), or where its twin is
    pull_requests: tuple[str, ...] = ()
    released: Version | None = None  # a release of the previous line already shipped it
    twin: history.Twin | None = None  # its copy on the branch (or in that release)


@dataclass(frozen=True)
class Proposal:
    line: history.Line
    entries: list[Entry]
    deadline: date | None
    branch_exists: bool
    branch_start: str  # where the branch left (or will leave) unstable
    unstable_behind: int  # commits origin's unstable has that the local one lacks
    features_waiting: int = 0  # a patch release: features of unstable left to the next feature release
    next_feature: Version | None = None

    @property
    def version(self) -> Version:
        return self.line.version

    @property
    def new(self) -> list[Entry]:
        """The commits no earlier release shipped."""
        return [e for e in self.entries if e.released is None]

    def released(self) -> dict[Version, list[Entry]]:
        """The commits an earlier release already shipped, by that release, oldest first."""
        found: dict[Version, list[Entry]] = {}
        for entry in self.entries:
            if entry.released is not None:
                found.setdefault(entry.released, []).append(entry)
        return dict(sorted(found.items()))

    def count(self, mark: Mark) -> int:
        return sum(1 for e in self.entries if e.mark is mark)

    def to_json(self) -> dict[str, Any]:
        line = self.line
        return {
            "version": str(line.version),
            "kind": line.kind.value,
            "previous": str(line.previous) if line.previous else None,
            "branch": line.branch,
            "branch_exists": self.branch_exists,
            "branch_start": self.branch_start,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "features_waiting": self.features_waiting,
            "next_feature": str(self.next_feature) if self.next_feature else None,
            "commits": [
                {
                    "sha": e.commit.sha,
                    "subject": e.commit.subject,
                    "author": e.commit.author,
                    "group": e.kind.group.value,
                    "type": e.kind.type,
                    "pull_requests": list(e.pull_requests),
                    "mark": e.mark.value,
                    "note": e.note,
                    "released_in": str(e.released) if e.released else None,
                    "twin": {"sha": e.twin.sha, "how": e.twin.how.value} if e.twin else None,
                }
                for e in self.entries
            ],
        }


def choose_deadline(ctx: Context, version: Version, given: date | None) -> date | None:
    """The cherry-pick deadline: the one given, else the one recorded, else N days from today."""
    today = ctx.now().date()
    if version.kind is ReleaseKind.PATCH:
        if given is not None:
            raise UsageError(
                f"{version} is a patch release: it has no cherry-pick period, so no deadline",
                "leave out --deadline",
            )
        return None
    if given is not None:
        worklist.check_deadline(given, today)
        return given
    return worklist.deadline(ctx, version) or today + timedelta(days=ctx.profile.proposal.cherry_pick_days)


def build(ctx: Context, version: Version, deadline: date | None) -> Proposal:
    line = history.resolve(ctx, version)
    git = ctx.git
    releasing = history.release_commit_pattern(ctx.profile)
    previous = (
        history.previously_shipped(ctx, line.previous, line.unstable_head, line.released)
        if line.previous
        else None
    )
    numbers: dict[str, tuple[str, ...]] = {}
    entries: list[Entry] = []

    def add(commit: Commit, mark: Mark, note: str = "", twin: history.Twin | None = None) -> None:
        if releasing.match(commit.subject):
            return
        kind = conventional.classify(commit.subject, commit.body)
        shipped = previous.shipped.get(commit.sha) if previous else None
        released = None
        if shipped is not None and previous is not None:
            released, twin = shipped.release, shipped.twin
            where = shipped.twin.describe(previous.branch)
            note = f"{where}; {note}" if note and mark not in _SETTLED else where
        elif previous and commit.sha in previous.doubtful and not note:
            release, namesake = previous.doubtful[commit.sha]
            note = (
                f"same subject as {previous.branch}'s {namesake[:8]} ({release}), but not the same "
                f"change: check by hand whether {release} has it"
            )
        prs = numbers.get(commit.sha) or tuple(conventional.pull_requests(commit.subject))
        entries.append(Entry(commit, kind, mark, note, prs, released, twin))

    behind = history.remote_behind(git, ctx.profile.git.remote, line.unstable)
    if line.is_feature and line.branch_head is None:
        if line.previous_tag:
            numbers.update(history.compare(git, line.previous_tag, line.unstable).pull_requests)
        for commit in history.commits(git, line.since_base(line.unstable_head)):
            add(commit, Mark.WITH_BRANCH)
        return Proposal(line, entries, deadline, False, line.unstable_head, behind)

    if line.branch_head is None:  # a patch release without its branch is refused by resolve()
        raise Refused(f"there is no release branch {line.branch}")
    fork = git.merge_base(line.branch_head, line.unstable_head) or line.branch_head
    found = history.compare(git, line.branch, line.unstable)
    numbers.update(found.pull_requests)
    if line.is_feature:
        if line.previous_tag:
            numbers.update(history.compare(git, line.previous_tag, line.unstable).pull_requests)
        for commit in history.commits(git, line.since_base(fork)):
            add(commit, Mark.ON_BRANCH)
        branch_only_since = fork
    else:
        assert line.previous_tag is not None
        branch_only_since = line.previous_tag
    features_waiting = 0
    for item in worklist.build(ctx, version, line).items:
        if item.state is PickState.NO_FEATURES:
            features_waiting += 1  # summed up in one line, never offered
            continue
        mark, note = _mark_of(item.state, item.reason)
        if item.twin is not None:
            note = item.twin.describe()  # the mark says "on X.Y"; the note says as which commit
        elif item.namesake:
            note = f"same subject as {line.branch}'s {item.namesake[:8]}, but not the same change"
        add(item.commit, mark, note, item.twin)
    for commit in history.commits(git, f"{branch_only_since}..{line.branch_head}"):
        if commit.sha in found.on_head:
            continue  # listed above as its unstable original
        kind = conventional.classify(commit.subject, commit.body)
        if not line.is_feature and conventional.is_feature(kind):
            add(commit, Mark.REVERT, "a patch release takes no new features")
        else:
            add(commit, Mark.ON_BRANCH)
    upcoming = None if line.is_feature else next_feature_release(line.released)
    return Proposal(line, entries, deadline, True, fork, behind, features_waiting, upcoming)


def next_feature_release(released: Sequence[Version]) -> Version | None:
    """The feature release the features of unstable wait for: after the latest release of all."""
    if not released:
        return None
    latest = max(released)
    return Version(latest.major, latest.minor + 1, 0)


def _mark_of(state: PickState, reason: str) -> tuple[Mark, str]:
    if state is PickState.PICKED:
        return Mark.ON_BRANCH, ""
    if state.accepted:
        return Mark.CHERRY_PICK, ""
    if state is PickState.WAITING:
        return Mark.ASK, ""
    if state is PickState.CHECK:
        return Mark.CHECK, ""
    if state is PickState.TOO_LATE:
        return Mark.LEFT_OUT, "after the cherry-pick deadline"
    return Mark.LEFT_OUT, reason


# --- what the template is given ---------------------------------------------------------------

_MD_SPECIAL = set("\\`*_[]<>#|~")


def md_escape(text: str) -> str:
    """Text shown as-is in GitHub Markdown (commit subjects come from anyone)."""
    return "".join(f"\\{c}" if c in _MD_SPECIAL else c for c in text)


def _labels(line: history.Line) -> dict[Mark, tuple[str, str]]:
    """Each mark's short label and its meaning, for the legend."""
    branch, unstable = line.branch, line.unstable
    return {
        Mark.WITH_BRANCH: (
            f"comes with {branch}",
            f"on {unstable} now; in the release once {branch} is created from it",
        ),
        Mark.ON_BRANCH: (f"on {branch}", f"already on the release branch {branch}"),
        Mark.CHERRY_PICK: ("cherry-pick", f"to be cherry-picked from {unstable} into {branch}"),
        Mark.ASK: (
            "needs approval",
            f"goes into {branch} only if someone states a reason and the release manager agrees",
        ),
        Mark.REVERT: (
            "revert",
            f"on {branch}, but it must not ship: revert it or rebase it out of {branch}",
        ),
        Mark.CHECK: (
            "check by hand",
            f"shares its subject with a commit of {branch}, not its change: look whether {branch} "
            "already carries it",
        ),
        Mark.LEFT_OUT: ("left out", "not in this release"),
    }


def template_values(ctx: Context, proposal: Proposal, *, markdown: bool) -> dict[str, Any]:
    """Everything proposal.j2 (or a project's replacement) may use."""
    profile = ctx.profile
    line = proposal.line
    labels = _labels(line)
    groups = []
    listed = proposal.new
    for group in Group:
        members = [e for e in listed if e.kind.group is group]
        if members:
            groups.append(
                {
                    "key": group.value,
                    "title": group.heading,
                    "commits": [_commit_values(ctx, e, labels, markdown) for e in members],
                }
            )
    released = [
        {
            "version": str(version),
            "url": profile.fmt("git.tag_url", tag=ctx.names.final_tag(version)),
            "commits": [_commit_values(ctx, e, labels, markdown) for e in members],
        }
        for version, members in proposal.released().items()
    ]
    shown = [*listed, *(e for e in proposal.entries if e.released and e.mark not in _SETTLED)]
    used = [m for m in Mark if any(e.mark is m for e in shown)]
    previous_url = ""
    if line.previous_tag:
        previous_url = profile.fmt("git.tag_url", tag=line.previous_tag)
    return {
        "markdown": markdown,
        "product": profile.project.product,
        "version": str(line.version),
        "kind": line.kind.value,
        "is_feature": line.is_feature,
        "previous": str(line.previous) if line.previous else "",
        "previous_tag": line.previous_tag or "",
        "previous_url": previous_url,
        "branch": line.branch,
        "unstable": line.unstable,
        "branch_exists": proposal.branch_exists,
        "branch_start": proposal.branch_start[:10],
        "branch_start_url": profile.fmt("git.commit_url", sha=proposal.branch_start),
        "deadline": proposal.deadline.isoformat() if proposal.deadline else "",
        "commit_count": len(listed),
        "groups": groups,
        "released": released,
        "released_count": len(proposal.entries) - len(listed),
        "previous_branch": ctx.names.release_branch(line.previous) if line.previous else "",
        "features_waiting": proposal.features_waiting,
        "next_feature": str(proposal.next_feature) if proposal.next_feature else "",
        "legend": [{"mark": m.value, "label": labels[m][0], "meaning": labels[m][1]} for m in used],
        "counts": {m.value: proposal.count(m) for m in Mark},
        "sender_name": profile.release_manager.name,
        "dev_list": profile.mail.dev_list,
    }


def _commit_values(
    ctx: Context, entry: Entry, labels: dict[Mark, tuple[str, str]], markdown: bool
) -> dict[str, Any]:
    profile = ctx.profile
    subject = entry.commit.subject
    prs = [{"number": n, "url": profile.fmt("git.pull_request_url", number=n)} for n in entry.pull_requests]
    if markdown:
        pieces = []
        for text, number in conventional.split_pull_requests(subject):
            if number is None:
                pieces.append(md_escape(text))
            else:
                pieces.append(f"([#{number}]({profile.fmt('git.pull_request_url', number=number)}))")
        named = {number for _, number in conventional.split_pull_requests(subject) if number}
        for pr in prs:  # a commit merged with its PR's merge commit: its subject does not say which
            if pr["number"] not in named:
                pieces.append(f" ([#{pr['number']}]({pr['url']}))")
        text = "".join(pieces)
    else:
        text = subject
    url = profile.fmt("git.commit_url", sha=entry.commit.sha)
    return {
        "sha": entry.commit.sha,
        "short": entry.commit.sha[:10],
        "subject": subject,
        "text": text,
        "url": url,
        "link": prs[0]["url"] if prs else url,
        "pull_requests": prs,
        "author": entry.commit.author,
        "breaking": entry.kind.breaking,
        "mark": entry.mark.value,
        "label": labels[entry.mark][0],
        "settled": entry.mark in _SETTLED,
        "note": md_escape(entry.note) if markdown else entry.note,
    }
