"""Ballots, the vote thread and the tally rules. Pure: data in, verdict out, no I/O.

Three questions, answered in order and each with its reasons:
1. which messages belong to the vote (select_thread): replies to the [VOTE] by In-Reply-To and
   References, then by subject; the [RESULT] closes the vote and later messages do not count;
2. what each message says (read_ballot): only the lines its sender wrote, not quoted text, not the
   template's checkboxes, not a signature; '+1', '+1 (binding)', '-0', '+0.5'...;
3. what the votes add up to (count): binding means on the PMC roster, whatever the message claims;
   one vote per person, the last; the profile's rule and minimum hours give the verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from asf_release.errors import UsageError
from asf_release.mailtext import Head, Sender, is_reply_subject, visible
from asf_release.roster import Roster, fold_name

# --- 1. the thread ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    root: Head
    replies: list[Head]  # the messages that may carry a vote, oldest first
    result: Head | None = None
    after_result: list[Head] = field(default_factory=list)
    by_subject: frozenset[str] = frozenset()  # Message-IDs joined by subject alone
    other_roots: list[Head] = field(default_factory=list)  # other [VOTE]s of this version, not counted
    root_by_subject: bool = False  # the VOTE's Message-ID was not known or not found
    rc: int | None = None  # the candidate the VOTE is for, when its subject or body names it
    ignored_results: list[Head] = field(default_factory=list)  # [RESULT]s from people who cannot close
    notes: list[str] = field(default_factory=list)  # why the VOTE and the [RESULT] are these


class AmbiguousVote(UsageError):
    """Several [VOTE] messages could be this candidate's, and nothing tells them apart."""

    def __init__(self, candidates: Sequence[Head], rc: int | None) -> None:
        listed = "; ".join(
            f"{head.message_id} from {head.sender.label()}"
            + (f", {head.date:%Y-%m-%d %H:%M %Z}" if head.date else "")
            for head in candidates
        )
        which = f"rc{rc}" if rc else "this version"
        super().__init__(
            f"{len(candidates)} [VOTE] messages could be the vote on {which}, and neither their subjects "
            f"nor their bodies name the release candidate: {listed}",
            "name the VOTE to count: --vote-message-id '<...>' (one of the Message-IDs above)",
        )
        self.candidates = list(candidates)


def _order(head: Head) -> tuple[float, int]:
    return (head.date.timestamp() if head.date else float("inf"), head.position)


def same_sender(one: Sender, other: Sender) -> bool:
    """The same address; an address an archive hid ('rm...@apache.org') needs the same visible
    start, the same domain, and the same name when both have one."""
    if not one.email or not other.email:
        return False
    if one.hidden == other.hidden:
        if one.email != other.email:
            return False
        return not one.hidden or not (one.name and other.name) or fold_name(one.name) == fold_name(other.name)
    hidden, full = (one, other) if one.hidden else (other, one)
    start, _, domain = hidden.email.partition("...@")
    return full.email.startswith(start) and full.email.endswith("@" + domain)


def select_thread(
    heads: Iterable[Head],
    *,
    vote_subject: re.Pattern[str],
    result_subject: re.Pattern[str],
    vote_id: str | None = None,
    rc: int | None = None,
    owner: Sender | None = None,
    rc_of: Callable[[Head], int | None] | None = None,
    may_close: Callable[[Sender], bool] | None = None,
    exclude: frozenset[str] = frozenset(),
) -> Selection | None:
    """The [VOTE] message, its replies and its [RESULT] among all heads; None without a VOTE.

    The VOTE is the message vote_id names (the ledger's, or --vote-message-id); else a message
    with the VOTE subject, for candidate rc (the RC its subject names, else the one its body
    names through rc_of), from owner (the address `vote` sent from; without one, the sender of
    the first such message): a later [VOTE] from anyone else never replaces it. Messages the
    ledger knows as other candidates' VOTEs (exclude) are never this one. A [RESULT] closes the
    count only when its sender is the VOTE's, or one may_close accepts (a PMC member)."""
    by_id: dict[str, Head] = {}
    children: dict[str, list[Head]] = {}
    candidates: list[Head] = []
    results: list[Head] = []
    same_subject: list[Head] = []
    for head in heads:
        by_id.setdefault(head.message_id, head)
        for parent in set(head.parents):
            children.setdefault(parent, []).append(head)
        subject = head.normalized_subject
        if vote_subject.match(subject):
            (same_subject if is_reply_subject(head.subject) else candidates).append(head)
        elif result_subject.match(subject) or _is_result_of(subject, vote_subject):
            results.append(head)
    notes: list[str] = []
    rcs: dict[str, int | None] = {}

    def rc_named(head: Head) -> int | None:
        if head.message_id not in rcs:
            found = vote_subject.match(head.normalized_subject)
            named = found.groupdict().get("rc") if found else None
            rcs[head.message_id] = int(named) if named else (rc_of(head) if rc_of else None)
        return rcs[head.message_id]

    root = by_id.get(vote_id) if vote_id else None
    root_by_subject = root is None
    if root is None:
        root = _vote_by_subject(candidates, exclude, rc, owner, rc_named, notes)
        if root is None:
            return None
    others = [c for c in candidates if c is not root]
    root_rc = rc_named(root)

    linked = _descendants(root, children, stop={c.message_id for c in others})
    start = _order(root)
    rivals = [c for c in others if same_sender(c.sender, root.sender) and _order(c) > start]
    joined = {
        h.message_id: h
        for h in same_subject
        if h.message_id not in linked
        and h is not root
        and _order(h) >= start
        and not any(p in by_id for p in h.parents)  # threaded elsewhere (another candidate's thread)
        and not any(r.normalized_subject == h.normalized_subject and _order(r) <= _order(h) for r in rivals)
    }
    members = {**linked, **joined}

    result, ignored = _closing_result(
        results, members, by_id, root, root_rc, start, result_subject, vote_subject, may_close
    )
    result_ids = {r.message_id for r in results}
    replies, after = [], []
    for head in sorted(members.values(), key=_order):
        if result is not None and _order(head) > _order(result):
            after.append(head)
        elif head.message_id not in result_ids:
            replies.append(head)
    for head in ignored:
        notes.append(
            f"a [RESULT] from {head.sender.label()} is ignored: only the VOTE's sender or a PMC member "
            "closes the vote"
        )
    return Selection(
        root,
        replies,
        result,
        after,
        frozenset(joined),
        sorted(others, key=_order),
        root_by_subject,
        root_rc,
        ignored,
        notes,
    )


def _vote_by_subject(
    candidates: list[Head],
    exclude: frozenset[str],
    rc: int | None,
    owner: Sender | None,
    rc_named: Callable[[Head], int | None],
    notes: list[str],
) -> Head | None:
    """The VOTE among the messages with its subject (see select_thread), or None."""
    pool = sorted((c for c in candidates if c.message_id not in exclude), key=_order)
    if not pool:
        return None
    if rc is None:  # no candidate asked for: the newest one's
        wanted = rc_named(pool[-1])
        group = [c for c in pool if rc_named(c) == wanted]
    else:
        group = [c for c in pool if rc_named(c) == rc] or [c for c in pool if rc_named(c) is None]
        if not group:
            return None
    first = owner or group[0].sender
    own = [c for c in group if same_sender(c.sender, first)]
    for stranger in (c for c in group if c not in own):
        when = f" ({stranger.date:%Y-%m-%d %H:%M %Z})" if stranger.date else ""
        notes.append(
            f"a [VOTE] with this subject from {stranger.sender.label()}{when} is not counted: the vote is the "
            f"one {'sent by asf-release' if owner else 'sent first'}, from {first.label()}"
        )
    if not own:
        return None
    if len(own) > 1 and rc_named(own[-1]) is None:
        raise AmbiguousVote(own, rc)
    if len(own) > 1:
        notes.append(f"the VOTE was sent {len(own)} times; the latest counts")
    root = own[-1]
    if rc is not None and rc_named(root) is None:
        notes.append(f"neither the VOTE's subject nor its body names a release candidate: taken as rc{rc}'s")
    return root


def _descendants(root: Head, children: dict[str, list[Head]], stop: set[str]) -> dict[str, Head]:
    """Every reply below root, by threading headers; another [VOTE]'s own thread is not entered."""
    linked: dict[str, Head] = {}
    queue = [root.message_id]
    while queue:
        for child in children.get(queue.pop(), []):
            if child.message_id not in linked and child is not root and child.message_id not in stop:
                linked[child.message_id] = child
                queue.append(child.message_id)
    return linked


def _closing_result(
    results: list[Head],
    members: dict[str, Head],
    by_id: dict[str, Head],
    root: Head,
    root_rc: int | None,
    start: tuple[float, int],
    result_subject: re.Pattern[str],
    vote_subject: re.Pattern[str],
    may_close: Callable[[Sender], bool] | None,
) -> tuple[Head | None, list[Head]]:
    """The [RESULT] that closes this vote, and those before it from people who cannot close it."""
    own = []
    for head in results:
        if is_reply_subject(head.subject):
            continue
        threaded_here = head.message_id in members
        unthreaded = not any(p in by_id for p in head.parents) and _order(head) >= start
        if not (threaded_here or unthreaded):
            continue
        found = result_subject.match(head.normalized_subject) or vote_subject.match(
            head.normalized_subject.removeprefix("[result]").strip()
        )
        named = found.groupdict().get("rc") if found else None
        if named and root_rc is not None and int(named) != root_rc:
            continue  # another candidate's result
        own.append(head)
    ignored: list[Head] = []
    for head in sorted(own, key=_order):
        if same_sender(head.sender, root.sender) or (may_close is not None and may_close(head.sender)):
            return head, ignored
        ignored.append(head)
    return None, ignored


def _is_result_of(subject: str, vote_subject: re.Pattern[str]) -> bool:
    """'[result] [vote] ...' or '[result][vote] ...' for this vote, whatever the profile says."""
    found = re.match(r"^\[result\]\s*(.*)$", subject)
    return bool(found and vote_subject.match(found.group(1)))


# --- 2. one message ---------------------------------------------------------------------------


class Claim(StrEnum):
    BINDING = "binding"
    NON_BINDING = "non-binding"
    NONE = ""


@dataclass(frozen=True)
class Reading:
    """What one message says: its vote (if any) and why."""

    raw: str | None  # the vote as written: "+1", "-0", "+0.5"
    claim: Claim = Claim.NONE
    line: str = ""
    notes: tuple[str, ...] = ()

    @property
    def value(self) -> Decimal | None:
        return Decimal(self.raw) if self.raw is not None else None

    @property
    def sign(self) -> str | None:
        """'+1', '0' or '-1': fractional votes count by their sign, +0 and -0 as 0."""
        if self.value is None:
            return None
        return "+1" if self.value > 0 else "-1" if self.value < 0 else "0"


_NUMBER = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"
# A vote at the start of a line: "+1", "- +1 (binding)", "[X] +1 approve", "Vote: -1", "+0.5".
_LINE_VOTE = re.compile(
    r"^\s*(?:[*•]\s+|-\s+(?=[+-]))?(?:\[\s*[xX✓✔☑✅]\s*\]\s*)?(?:(?:my\s+)?vote\s*(?:is)?\s*[:=]?\s*)?"
    rf"(?P<vote>{_NUMBER})(?P<rest>(?:[^\w.%]|\.(?!\d)).*|)$",
    re.I,
)
# A vote inside a sentence: only with words that make it a vote.
_SENTENCE_VOTES = [
    re.compile(
        r"(?:\bmy\s+(?:vote\s+(?:is\s+)?)?|\bi\s+vote\s+|\bvoting\s+|\bvote\s*:\s*|\bi(?:'m|\s+am)\s+)"
        r"(?P<vote>[+-](?:\d+(?:\.\d+)?|\.\d+))(?![\d.]*\d)",
        re.I,
    ),
    re.compile(
        r"(?<![\w+\-.])(?P<vote>[+-](?:\d+(?:\.\d+)?|\.\d+))(?![\d.]*\d)\s*[(\[]?\s*(?:non[- ]?)?binding\b",
        re.I,
    ),
    re.compile(r"(?<![\w+\-.])(?P<vote>[+-](?:\d+(?:\.\d+)?|\.\d+))(?![\d.]*\d)\s+from\s+me\b", re.I),
]
_TEMPLATE_OPTION = re.compile(r"^\s*[-–:]?\s*(?:approve|no opinion|disapprove)\b", re.I)
_BARE_ZERO_REST = re.compile(r"^\s*(?:$|[(\[,.;:!]|-\s|–|(?:non[- ]?)?binding\b|no\s+opinion)", re.I)
_NON_BINDING = re.compile(r"\bnon[- ]?binding\b", re.I)
_BINDING = re.compile(r"\bbinding\b", re.I)


def read_ballot(text: str) -> Reading:
    """The vote in a message body (already decoded to text), with notes on what was set aside."""
    seen = visible(text)
    notes: list[str] = []
    found: list[tuple[str, str, str]] = []  # (raw, rest of line, line)
    options: list[tuple[str, str, str]] = []
    for line in seen.lines:
        match = _LINE_VOTE.match(line)
        if not match:
            continue
        raw, rest = match.group("vote"), match.group("rest")
        if not _is_vote_number(raw, rest):
            continue
        (
            options if _TEMPLATE_OPTION.match(rest) and "[" not in line[: match.start("vote")] else found
        ).append((raw, rest, line.strip()))
    if options and len({_canonical(o[0]) for o in options}) > 1:
        notes.append("the vote options were copied without one being marked: not read as a vote")
    elif not found:
        found = options  # one option line alone ("+1 approve") is that voter's choice
    if not found:
        for line in seen.lines:
            for pattern in _SENTENCE_VOTES:
                match = pattern.search(line)
                if match and _is_vote_number(match.group("vote"), "x"):
                    found.append((match.group("vote"), line[match.end("vote") :], line.strip()))
                    break
            if found:
                break
    if not found:
        if _quoted_vote(seen.quoted):
            notes.append("a vote appears only in quoted text: not counted")
        return Reading(None, notes=tuple(notes))
    raw, rest, line = found[0]
    distinct = list(dict.fromkeys(_canonical(r) for r, _, _ in found))
    if len(distinct) > 1:
        notes.append(f"several votes in one message ({', '.join(distinct)}): the first one counts")
    claim = _claim(rest) or _claim("\n".join(seen.lines)) or Claim.NONE
    return Reading(_canonical(raw), claim, line, tuple(notes))


def _is_vote_number(raw: str, rest: str) -> bool:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return False
    if abs(value) > 1:
        return False  # "+2", "+100", a date, a count
    if raw[0] not in "+-":
        return value == 0 and bool(_BARE_ZERO_REST.match(rest))  # a bare "0" only when alone
    return True


def _canonical(raw: str) -> str:
    """'+1.0' -> '+1', '.5' -> '+0.5', '0' -> '0': the vote as people write it."""
    value = Decimal(raw)
    sign = "-" if raw.startswith("-") else "+" if raw.startswith("+") or value > 0 else ""
    magnitude = format(abs(value).normalize(), "f")
    return f"{sign}{magnitude}"


def _claim(text: str) -> Claim | None:
    if _NON_BINDING.search(text):
        return Claim.NON_BINDING
    if _BINDING.search(text):
        return Claim.BINDING
    return None


def _quoted_vote(quoted: Sequence[str]) -> bool:
    for line in quoted:
        match = _LINE_VOTE.match(line.lstrip("> \t"))
        if (
            match
            and _is_vote_number(match.group("vote"), match.group("rest"))
            and not _TEMPLATE_OPTION.match(match.group("rest"))
        ):
            return True
    return False


# --- 3. the count -----------------------------------------------------------------------------


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    OPEN = "open"


@dataclass(frozen=True)
class Rule:
    """At least N binding +1 after the minimum hours, and then either no binding -1 at all (veto)
    or more binding +1 than binding -1. Which rule a profile names is data (profiles/rules)."""

    name: str
    min_binding_approvals: int
    min_hours: int
    veto: bool

    def describe(self) -> str:
        against = "no binding -1" if self.veto else "more binding +1 than binding -1"
        return f"at least {self.min_binding_approvals} binding +1 and {against}, after at least {self.min_hours} hours"

    def approved(self, plus: int, minus: int) -> bool:
        if plus < self.min_binding_approvals:
            return False
        return minus == 0 if self.veto else plus > minus

    def blocked(self, plus: int, minus: int) -> bool:
        """The binding -1s alone stop the release, whatever more +1s come."""
        return self.veto and minus > 0


@dataclass(frozen=True)
class Ballot:
    """One counted message: who sent it, when, and what it says."""

    head: Head
    reading: Reading


@dataclass(frozen=True)
class Voter:
    key: str  # the person: roster uid, else address
    name: str
    email: str
    vote: str  # "+1", "0", "-1"
    raw: str  # as written: "+0.5", "-0"
    binding: bool
    at: datetime | None
    message_id: str
    history: tuple[str, ...] = ()  # earlier votes of this person, oldest first
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "email": self.email,
            "vote": self.vote,
            "binding": self.binding,
            "raw": self.raw,
            "at": self.at.isoformat() if self.at else None,
            "message_id": self.message_id,
            "changed_from": list(self.history),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Skipped:
    """A message that counted for nothing, and why."""

    sender: str
    at: datetime | None
    reason: str


@dataclass(frozen=True)
class Unread:
    """A message of the vote whose text could not be read (the archive deleted or hides it): it
    may hold a vote, so the count may be incomplete. may_bind: its sender, if it is a vote, would
    vote binding (on the PMC roster, or unknown); person: the roster's uid of its sender, when
    known; superseded: that person wrote a readable vote after it, which counts whatever it said."""

    sender: str
    at: datetime | None
    message_id: str
    reason: str
    may_bind: bool = False
    person: str | None = None
    superseded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "at": self.at.isoformat() if self.at else None,
            "message_id": self.message_id,
            "reason": self.reason,
            "may_be_binding": self.may_bind,
            "superseded": self.superseded,
        }


@dataclass(frozen=True)
class Tally:
    verdict: Verdict
    rule: Rule
    voters: list[Voter]
    start: datetime
    now: datetime
    closed_at: datetime | None  # the [RESULT]'s date, when there is one
    missing: list[str] = field(default_factory=list)  # what keeps the vote open or failed
    notes: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # why the count may be incomplete

    @property
    def complete(self) -> bool:
        """Every message of the vote was read."""
        return not self.unread

    def counts(self, binding: bool) -> dict[str, int]:
        out = {"+1": 0, "0": 0, "-1": 0}
        for voter in self.voters:
            if voter.binding == binding:
                out[voter.vote] += 1
        return out

    @property
    def closes_at(self) -> datetime:
        return self.start + timedelta(hours=self.rule.min_hours)

    @property
    def hours_open(self) -> float:
        end = self.closed_at or self.now
        return (end - self.start).total_seconds() / 3600

    def names(self, vote: str, binding: bool) -> list[str]:
        return [v.name for v in self.voters if v.vote == vote and v.binding == binding]

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "binding": self.counts(True),
            "non_binding": self.counts(False),
            "voters": [v.to_json() for v in self.voters],
            "rule": self.rule.describe(),
            "start": self.start.isoformat(),
            "closes_at": self.closes_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "now": self.now.isoformat(),
            "missing": self.missing,
            "notes": self.notes,
            "skipped": [
                {"sender": s.sender, "at": s.at.isoformat() if s.at else None, "reason": s.reason}
                for s in self.skipped
            ],
            "complete": self.complete,
            "unread": [u.to_json() for u in self.unread],
            "warnings": self.warnings,
        }


def count(
    ballots: Sequence[Ballot],
    roster: Roster,
    rule: Rule,
    *,
    start: datetime,
    now: datetime,
    closed_at: datetime | None = None,
    notes: Sequence[str] = (),
    skipped: Sequence[Skipped] = (),
    unread: Sequence[tuple[Head, str]] = (),
) -> Tally:
    """Count the ballots (oldest first) of one thread into a verdict.

    notes and skipped come from reading the thread (joined by subject, after the RESULT...).
    unread: the messages of the vote whose text could not be read, and why. Each may be a vote: the
    tally then warns that the count may be incomplete, and does not say "passed" unless it would
    pass whatever they say (each one that may be binding taken as its sender's binding -1)."""
    latest: dict[str, Voter] = {}
    skipped = list(skipped)
    notes = list(notes)
    for ballot in ballots:
        head, reading = ballot.head, ballot.reading
        sender = head.sender
        if reading.sign is None or reading.raw is None:
            reason = "; ".join(reading.notes) or "no vote in this message"
            skipped.append(Skipped(sender.label(), head.date, reason))
            continue
        voter = _voter(ballot, sender, roster, reading.raw, reading.sign)
        earlier = latest.get(voter.key)
        if earlier is not None:
            history = (*earlier.history, earlier.raw)
            voter = replace(voter, history=history)
        latest[voter.key] = voter
    voters = sorted(latest.values(), key=lambda v: (not v.binding, v.at.timestamp() if v.at else 0))
    for voter in voters:
        if voter.history and voter.history[-1] != voter.raw:
            notes.append(f"{voter.name} changed their vote: {' → '.join((*voter.history, voter.raw))}")
    missed = [_unread(head, reason, roster, latest) for head, reason in unread]
    for item in missed:
        notes.append(
            f"a message of the thread could not be read: from {item.sender} ({item.message_id}): {item.reason}"
        )
    tally = Tally(Verdict.OPEN, rule, voters, start, now, closed_at, skipped=skipped, notes=notes)
    verdict, missing = _verdict(tally)
    warnings = _incomplete(missed, voters, rule)
    if verdict is Verdict.PASSED and not _passes_whatever_they_say(missed, voters, rule):
        verdict = Verdict.OPEN
        missing = [
            f"{_messages(missed, binding_only=True)} could not be read, and a binding -1 there would stop "
            "the release: read it in your own mailbox (or ask its sender) and tally from an mbox with "
            "--thread FILE; or declare the result with result --force --reason"
        ]
    return Tally(verdict, rule, voters, start, now, closed_at, missing, notes, skipped, missed, warnings)


def _unread(head: Head, reason: str, roster: Roster, latest: dict[str, Voter]) -> Unread:
    sender = head.sender
    found = roster.identify(sender) if sender.email else None
    person = found.member.uid if found is not None else None
    may_bind = not sender.email or (found is not None and found.member.pmc)
    later = latest.get(person or sender.email)
    superseded = later is not None and later.at is not None and head.date is not None and later.at > head.date
    label = sender.label() or "an unknown sender"
    return Unread(label, head.date, head.message_id, reason, may_bind, person, superseded)


def _open(missed: Sequence[Unread], binding_only: bool = False) -> list[Unread]:
    """The unread messages that may still change a count: not superseded by a later readable vote."""
    return [m for m in missed if not m.superseded and (m.may_bind or not binding_only)]


def _messages(missed: Sequence[Unread], binding_only: bool = False) -> str:
    pending = _open(missed, binding_only)
    who = ", ".join(dict.fromkeys(m.sender for m in pending))
    return f"{len(pending)} message{'s' if len(pending) != 1 else ''} from {who}"


def _passes_whatever_they_say(missed: Sequence[Unread], voters: Sequence[Voter], rule: Rule) -> bool:
    """Whether the vote passes even if every unread message that may bind is its sender's binding
    -1, replacing that person's readable vote. A sender the roster cannot name may be anyone on the
    PMC: at worst, one who voted +1 and turned."""
    plus = sum(1 for v in voters if v.binding and v.vote == "+1")
    minus = sum(1 for v in voters if v.binding and v.vote == "-1")
    votes_of = {v.key: v.vote for v in voters if v.binding}
    turned: set[str] = set()
    for item in _open(missed, binding_only=True):
        if item.person is None:
            plus, minus = max(plus - 1, 0), minus + 1
            continue
        if item.person in turned:
            continue
        turned.add(item.person)
        current = votes_of.get(item.person)
        if current == "+1":
            plus -= 1
        if current != "-1":
            minus += 1
    return rule.approved(plus, minus)


def _incomplete(missed: Sequence[Unread], voters: Sequence[Voter], rule: Rule) -> list[str]:
    if not missed:
        return []
    pending = _open(missed)
    if not pending:
        return [
            f"{len(missed)} message(s) of the thread could not be read; each sender voted again later, "
            "and the later vote counts"
        ]
    binding = _open(missed, binding_only=True)
    warning = f"the count may be incomplete: {_messages(missed)} could not be read, and may hold a vote"
    if binding and _passes_whatever_they_say(missed, voters, rule):
        warning += " (even as binding -1 votes they would not change the verdict)"
    elif not binding:
        warning += " (non-binding: the verdict does not depend on it)"
    return [warning]


def _voter(ballot: Ballot, sender: Sender, roster: Roster, raw: str, sign: str) -> Voter:
    reading = ballot.reading
    notes = list(reading.notes)
    found = roster.identify(sender)
    if found is not None:
        member = found.member
        binding = member.pmc
        key, name = member.uid, member.name
        if found.how != "address":
            notes.append(f"identified by {found.how}")
        if sender.email not in member.all_addresses and found.how == "address":
            notes.append(f"wrote from {sender.email}")
    else:
        binding = False
        name = sender.name or sender.email
        # an archive's hidden address ("da...@example.org") is shared by many people: add the name
        key = f"{sender.name} {sender.email}" if sender.hidden else sender.email or sender.name
        alike = roster.same_name(sender)
        if alike is not None:
            notes.append(
                f"same name as PMC member {alike.name} ({alike.uid}), but {sender.email or 'this address'} "
                "is not on the roster: counted as non-binding; add the address to a TOML roster if it is theirs"
            )
    if reading.claim is Claim.BINDING and not binding:
        notes.append("claims 'binding' but is not on the PMC roster: counted as non-binding")
    if reading.claim is Claim.NON_BINDING and binding:
        notes.append("wrote 'non-binding' but is on the PMC roster: counted as binding")
    if raw not in ("+1", "-1", "0", "+0", "-0"):
        notes.append(f"fractional vote {raw}: counted by its sign as {sign}")
    return Voter(
        key=key,
        name=name,
        email=sender.email,
        vote=sign,
        raw=raw,
        binding=binding,
        at=ballot.head.date,
        message_id=ballot.head.message_id,
        notes=tuple(notes),
    )


def _verdict(tally: Tally) -> tuple[Verdict, list[str]]:
    rule = tally.rule
    binding = tally.counts(True)
    plus, minus = binding["+1"], binding["-1"]
    end = tally.closed_at or tally.now
    time_left = tally.closes_at - end
    elapsed = time_left <= timedelta(0)
    missing: list[str] = []
    if not elapsed:
        what = "closed by the [RESULT]" if tally.closed_at else "still open"
        missing.append(
            f"{what} {_duration(end - tally.start)} after the start: "
            f"{_duration(time_left)} short of the {rule.min_hours}-hour minimum "
            f"(until {tally.closes_at.strftime('%Y-%m-%d %H:%M %Z')})"
        )
    if plus < rule.min_binding_approvals:
        more = rule.min_binding_approvals - plus
        missing.append(f"{more} more binding +1 (has {plus} of {rule.min_binding_approvals})")
    if minus and (rule.veto or plus <= minus):
        who = ", ".join(tally.names("-1", True))
        missing.append(
            f"binding -1 from {who}: "
            + ("the release cannot pass while it stands" if rule.veto else "as many as the +1s")
        )
    if elapsed and rule.approved(plus, minus):
        return Verdict.PASSED, []
    if tally.closed_at is not None:
        return Verdict.FAILED, missing
    if elapsed and (rule.blocked(plus, minus) or (plus >= rule.min_binding_approvals and plus <= minus)):
        return Verdict.FAILED, missing
    return Verdict.OPEN, missing


def _duration(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
