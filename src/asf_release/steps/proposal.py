"""The release proposal's content: the commits a release adds, grouped, each with its mark.

For a feature release: unstable since the previous line's branch point. For a patch release: the
commits after the previous release that are on the branch or still on unstable only (compared by
patch id). Every commit is listed once; the marks say what the release manager does with it.
"""

from __future__ import annotations

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
    LEFT_OUT = "left-out"  # not in this release


@dataclass(frozen=True)
class Entry:
    commit: Commit
    kind: Kind
    mark: Mark
    note: str = ""  # why, when the mark needs a reason (left out, revert)


@dataclass(frozen=True)
class Proposal:
    line: history.Line
    entries: list[Entry]
    deadline: date | None
    branch_exists: bool
    branch_start: str  # where the branch left (or will leave) unstable
    unstable_behind: int  # commits origin's unstable has that the local one lacks

    @property
    def version(self) -> Version:
        return self.line.version

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
            "commits": [
                {
                    "sha": e.commit.sha,
                    "subject": e.commit.subject,
                    "author": e.commit.author,
                    "group": e.kind.group.value,
                    "type": e.kind.type,
                    "pull_requests": conventional.pull_requests(e.commit.subject),
                    "mark": e.mark.value,
                    "note": e.note,
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
    entries: list[Entry] = []

    def add(commit: Commit, mark: Mark, note: str = "") -> None:
        if not releasing.match(commit.subject):
            entries.append(Entry(commit, conventional.classify(commit.subject, commit.body), mark, note))

    behind = history.remote_behind(git, ctx.profile.git.remote, line.unstable)
    if line.is_feature and line.branch_head is None:
        for commit in history.commits(git, line.since_base(line.unstable_head)):
            add(commit, Mark.WITH_BRANCH)
        return Proposal(line, entries, deadline, False, line.unstable_head, behind)

    if line.branch_head is None:  # a patch release without its branch is refused by resolve()
        raise Refused(f"there is no release branch {line.branch}")
    fork = git.merge_base(line.branch_head, line.unstable_head) or line.branch_head
    released: set[str] = set()
    if line.is_feature:
        for commit in history.commits(git, line.since_base(fork)):
            add(commit, Mark.ON_BRANCH)
        branch_only_since = fork
    else:
        assert line.previous_tag is not None
        released, _ = history.twins(git, line.previous_tag, line.unstable)
        branch_only_since = line.previous_tag
    items = worklist.build(ctx, version).items
    for item in items:
        if item.sha in released:
            continue  # already shipped in the previous release
        mark, note = _mark_of(item.state, item.reason)
        add(item.commit, mark, note)
    _, on_unstable = history.twins(git, line.branch, line.unstable)
    for commit in history.commits(git, f"{branch_only_since}..{line.branch_head}"):
        if commit.sha in on_unstable:
            continue  # listed above as its unstable original
        kind = conventional.classify(commit.subject, commit.body)
        if not line.is_feature and conventional.is_feature(kind):
            add(commit, Mark.REVERT, "a patch release takes no new features")
        else:
            add(commit, Mark.ON_BRANCH)
    return Proposal(line, entries, deadline, True, fork, behind)


def _mark_of(state: PickState, reason: str) -> tuple[Mark, str]:
    if state is PickState.PICKED:
        return Mark.ON_BRANCH, ""
    if state.accepted:
        return Mark.CHERRY_PICK, ""
    if state is PickState.WAITING:
        return Mark.ASK, ""
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
        Mark.LEFT_OUT: ("left out", "not in this release"),
    }


def template_values(ctx: Context, proposal: Proposal, *, markdown: bool) -> dict[str, Any]:
    """Everything proposal.j2 (or a project's replacement) may use."""
    profile = ctx.profile
    line = proposal.line
    labels = _labels(line)
    groups = []
    for group in Group:
        members = [e for e in proposal.entries if e.kind.group is group]
        if members:
            groups.append(
                {
                    "key": group.value,
                    "title": group.heading,
                    "commits": [_commit_values(ctx, e, labels, markdown) for e in members],
                }
            )
    used = [m for m in Mark if proposal.count(m)]
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
        "commit_count": len(proposal.entries),
        "groups": groups,
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
    prs = [
        {"number": n, "url": profile.fmt("git.pull_request_url", number=n)}
        for n in conventional.pull_requests(subject)
    ]
    if markdown:
        pieces = []
        for text, number in conventional.split_pull_requests(subject):
            if number is None:
                pieces.append(md_escape(text))
            else:
                pieces.append(f"([#{number}]({profile.fmt('git.pull_request_url', number=number)}))")
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
        "note": md_escape(entry.note) if markdown else entry.note,
    }
