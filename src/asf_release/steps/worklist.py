"""The cherry-pick worklist: the commits on unstable since the release branch left it that the
branch does not carry yet, each with its state. A feature release has it during its cherry-pick
period; a patch release has it too, for fixes only.

A commit is on the branch when history.compare finds its twin there (-x line, patch id, PR number,
or subject and a close diff); one that only shares its subject with a branch commit is to be
checked by hand. Fixes (the profile's proposal.auto_pick_types) are accepted without asking;
anything else waits for the release manager's approval with a reason, or a rejection. Every
decision is a DECISION event in the ledger (step "cherry-pick"), the latest one per commit
counting. After the deadline only fixes may still go in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from asf_release.adapters.git import Commit
from asf_release.context import Context
from asf_release.errors import Refused, UsageError
from asf_release.ledger import Event, EventKind
from asf_release.steps import conventional, history
from asf_release.steps.conventional import Kind
from asf_release.version import ReleaseKind, Version

STEP = "cherry-pick"
PROPOSE_STEP = "propose"
MAX_REASON = 2000


class PickState(StrEnum):
    PICKED = "on the branch"  # the branch carries it (see Item.twin for how it was found)
    CHECK = "check by hand"  # shares its subject with a branch commit, not its change
    AUTO = "queued"  # a fix: accepted without asking
    APPROVED = "approved"
    WAITING = "waiting"  # needs a reason and the release manager's approval
    REJECTED = "rejected"
    NO_FEATURES = "not in a patch"  # a patch release takes no new features
    TOO_LATE = "too late"  # the period is over: only fixes may still go in

    @property
    def accepted(self) -> bool:
        return self in (PickState.AUTO, PickState.APPROVED)


@dataclass(frozen=True)
class Item:
    commit: Commit
    kind: Kind
    state: PickState
    reason: str = ""
    conflicts: tuple[str, ...] = ()  # files that conflicted when --apply last tried it
    twin: history.Twin | None = None  # the branch's copy, for a commit on the branch
    namesake: str = ""  # the branch commit with the same subject, for a commit to check by hand

    @property
    def sha(self) -> str:
        return self.commit.sha

    def to_json(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "subject": self.commit.subject,
            "author": self.commit.author,
            "type": self.kind.type,
            "group": self.kind.group.value,
            "pull_requests": conventional.pull_requests(self.commit.subject),
            "state": self.state.value,
            "accepted": self.state.accepted,
            "reason": self.reason,
            "conflicts": list(self.conflicts),
            "twin": {"sha": self.twin.sha, "how": self.twin.how.value} if self.twin else None,
            "namesake": self.namesake or None,
        }


@dataclass(frozen=True)
class Worklist:
    version: Version
    branch: str
    fork: str  # where the release branch left unstable
    unstable: str
    deadline: date | None
    today: date
    items: list[Item] = field(default_factory=list)

    @property
    def period_over(self) -> bool:
        return self.deadline is not None and self.today > self.deadline

    @property
    def pending(self) -> list[Item]:
        """The commits not on the branch."""
        return [i for i in self.items if i.state is not PickState.PICKED]

    @property
    def to_apply(self) -> list[Item]:
        return [i for i in self.items if i.state.accepted]

    @property
    def waiting(self) -> list[Item]:
        return [i for i in self.items if i.state is PickState.WAITING]

    @property
    def to_check(self) -> list[Item]:
        return [i for i in self.items if i.state is PickState.CHECK]

    def count(self, state: PickState) -> int:
        return sum(1 for i in self.items if i.state is state)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": str(self.version),
            "branch": self.branch,
            "fork": self.fork,
            "unstable": self.unstable,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "period_over": self.period_over,
            "items": [i.to_json() for i in self.items],
        }


@dataclass(frozen=True)
class Decision:
    sha: str
    verdict: str  # approve, reject, auto
    reason: str


def decisions(events: list[Event]) -> dict[str, Decision]:
    """The latest approve/reject per commit (auto records say what was queued, and when)."""
    latest: dict[str, Decision] = {}
    for event in events:
        data = event.data
        if event.kind is EventKind.DECISION and "commit" in data:
            verdict = str(data.get("decision", ""))
            if verdict in ("approve", "reject") or data["commit"] not in latest:
                latest[data["commit"]] = Decision(data["commit"], verdict, str(data.get("reason", "")))
    return latest


def deadline(ctx: Context, version: Version) -> date | None:
    """The end of the cherry-pick period: the latest one set here, else the proposal's."""
    if version.kind is ReleaseKind.PATCH:
        return None
    for event in reversed(ctx.ledger.events(str(version), STEP)):
        if event.kind is EventKind.DECISION and event.data.get("deadline"):
            return date.fromisoformat(str(event.data["deadline"]))
    proposed = ctx.ledger.history(str(version)).facts(PROPOSE_STEP).get("deadline")
    return date.fromisoformat(str(proposed)) if proposed else None


def build(ctx: Context, version: Version, line: history.Line | None = None) -> Worklist:
    """The worklist as the world and the ledger say it is now (line: when already resolved)."""
    line = line or history.resolve(ctx, version, validate=False)
    if line.branch_head is None:
        raise Refused(
            f"there is no release branch {line.branch} yet",
            f"create it first: asf-release branch {version} --push",
        )
    git = ctx.git
    fork = git.merge_base(line.branch_head, line.unstable_head) or line.branch_head
    found = history.compare(git, line.branch, line.unstable)
    events = ctx.ledger.events(str(version), STEP)
    empty = {str(e.data["empty"]) for e in events if e.kind is EventKind.NOTE and "empty" in e.data}
    conflicts = _conflicts(events)
    chosen = decisions(events)
    end = deadline(ctx, version)
    today = ctx.now().date()
    over = end is not None and today > end
    auto_types = ctx.profile.proposal.auto_pick_types
    items = []
    for commit in history.commits(git, f"{fork}..{line.unstable_head}"):
        kind = conventional.classify(commit.subject, commit.body)
        decision = chosen.get(commit.sha)
        reason = decision.reason if decision else ""
        auto = conventional.is_auto_pick(kind, auto_types)
        twin = found.on_branch.get(commit.sha)
        namesake = found.doubtful.get(commit.sha, "")
        if twin is not None:
            state, reason = PickState.PICKED, twin.describe(line.branch)
        elif commit.sha in empty:
            state, reason = PickState.PICKED, f"on {line.branch}: picking it changed nothing"
        elif decision and decision.verdict == "reject":
            state = PickState.REJECTED
        elif version.kind is ReleaseKind.PATCH and conventional.is_feature(kind):
            state, reason = PickState.NO_FEATURES, "a patch release takes no new features"
        elif decision and decision.verdict == "approve":
            state = PickState.APPROVED
        elif namesake:
            state = PickState.CHECK
            reason = (
                f"same subject as {line.branch}'s {namesake[:8]}, but not the same change: "
                "look whether that one carries it, then --approve or --reject"
            )
        elif auto:
            state, reason = PickState.AUTO, reason or _auto_reason(kind)
        elif over:
            state = PickState.TOO_LATE
        else:
            state = PickState.WAITING
        items.append(Item(commit, kind, state, reason, conflicts.get(commit.sha, ()), twin, namesake))
    return Worklist(version, line.branch, fork, line.unstable, end, today, items)


def _auto_reason(kind: Kind) -> str:
    what = "a security fix" if kind.group is conventional.Group.SECURITY else f"type '{kind.type}'"
    return f"{what}: picked without asking"


def _conflicts(events: list[Event]) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for event in events:
        if event.kind is EventKind.NOTE and "conflict" in event.data:
            found[str(event.data["conflict"])] = tuple(event.data.get("files", ()))
        elif event.kind is EventKind.NOTE and "picked" in event.data:
            found.pop(str(event.data["picked"]), None)
    return found


def record_auto(ctx: Context, worklist: Worklist) -> None:
    """Keep a DECISION for each fix queued without asking, once, when it is first seen."""
    known = {str(e.data.get("commit")) for e in ctx.ledger.events(str(worklist.version), STEP)}
    for item in worklist.items:
        if item.state is PickState.AUTO and item.sha not in known:
            _record(ctx, worklist.version, {"commit": item.sha, "decision": "auto", "reason": item.reason})


def decide(ctx: Context, version: Version, commit: str, *, approve: bool, reason: str) -> Item:
    """Approve or reject a commit of the worklist, with the release manager's reason."""
    reason = _reason(reason)
    worklist = build(ctx, version)
    item = _find(ctx, worklist, commit)
    if item.state is PickState.PICKED:
        raise Refused(
            f"{item.sha[:10]} is already on {worklist.branch}",
            "to take it out, revert it on the branch by hand (git revert)",
        )
    if approve and item.state is PickState.NO_FEATURES:
        raise Refused(
            f"{item.sha[:10]} is a new feature, and {version} is a patch release",
            "features go into the next feature release; patch releases take fixes only",
        )
    if (
        approve
        and worklist.period_over
        and not conventional.is_auto_pick(item.kind, ctx.profile.proposal.auto_pick_types)
    ):
        assert worklist.deadline is not None
        raise Refused(
            f"the cherry-pick period ended on {worklist.deadline.isoformat()}: only fixes may still go in",
            f"to extend it, tell the list and run: asf-release cherry-pick {version} --deadline DATE "
            "--reason TEXT",
        )
    verdict = "approve" if approve else "reject"
    earlier = decisions(ctx.ledger.events(str(version), STEP)).get(item.sha)
    if earlier and (earlier.verdict, earlier.reason) == (verdict, reason):
        return item  # the same decision twice is one decision
    _record(ctx, version, {"commit": item.sha, "decision": verdict, "reason": reason})
    record_auto(ctx, worklist)
    return next(i for i in build(ctx, version).items if i.sha == item.sha)


def set_deadline(ctx: Context, version: Version, when: date, reason: str) -> date:
    """Move the end of the cherry-pick period (the release manager says why)."""
    reason = _reason(reason)
    if version.kind is ReleaseKind.PATCH:
        raise UsageError(
            f"{version} is a patch release: it has no cherry-pick period", "only X.Y.0 releases have one"
        )
    check_deadline(when, ctx.now().date())
    _record(ctx, version, {"deadline": when.isoformat(), "reason": reason})
    return when


def check_deadline(when: date, today: date) -> None:
    if when < today:
        raise UsageError(
            f"the deadline {when.isoformat()} is in the past (today is {today.isoformat()}, UTC)",
            "give today or a later day as YYYY-MM-DD",
        )


def _record(ctx: Context, version: Version, data: Mapping[str, Any]) -> None:
    ctx.ledger.append(str(version), STEP, EventKind.DECISION, data, at=ctx.now())


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise UsageError(
            "a decision needs a reason", 'say why with --reason "...": it is kept with the decision'
        )
    if len(text) > MAX_REASON:
        raise UsageError(
            f"the reason is too long ({len(text)} characters)", f"keep it under {MAX_REASON} characters"
        )
    return text


def _find(ctx: Context, worklist: Worklist, commit: str) -> Item:
    wanted = commit.strip().lower()
    if len(wanted) < 4 or any(c not in "0123456789abcdef" for c in wanted):
        full = ctx.git.rev(commit)
        if full is None:
            raise UsageError(f"'{commit}' is not a commit", "give the commit's id (at least 4 hex digits)")
        wanted = full
    matches = [i for i in worklist.items if i.sha.startswith(wanted)]
    if len(matches) > 1:
        raise UsageError(
            f"'{commit}' matches {len(matches)} commits of the worklist",
            "give more digits: " + ", ".join(i.sha[:12] for i in matches),
        )
    if not matches:
        raise Refused(
            f"'{commit}' is not in the worklist of {worklist.version}",
            f"the worklist holds the commits on {worklist.unstable} since {worklist.branch} left it "
            f"({worklist.fork[:10]}); see them with: asf-release cherry-pick {worklist.version} --list",
        )
    return matches[0]


def parse_day(text: str, option: str = "--deadline") -> date:
    """A calendar day given as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option} '{text}' is not a date", "give it as YYYY-MM-DD, such as 2025-06-30"
        ) from None
