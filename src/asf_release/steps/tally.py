"""tally: read the vote thread and the PMC roster, count, and give the verdict with its reasons.

count_votes() needs no project and no ledger (a voter or an observer tallying a thread); the step
adds what the ledger knows (the VOTE's Message-ID and start) and records each tally.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from datetime import datetime
from pathlib import Path
from typing import Any

from asf_release import profile as profile_module
from asf_release import roster as roster_module
from asf_release import votes
from asf_release.adapters import http, lists
from asf_release.adapters.svn import Svn
from asf_release.context import Context
from asf_release.errors import ReleaseError, UsageError
from asf_release.ledger import EventKind
from asf_release.mailtext import Head, Sender, normalize_id, rc_in_body, subject_pattern
from asf_release.profile import Profile
from asf_release.progress import Progress
from asf_release.roster import Roster
from asf_release.steps import mailing
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.version import Version

MAX_ROSTER_BYTES = 32 << 20


@dataclass(frozen=True)
class VoteCount:
    tally: votes.Tally
    selection: votes.Selection
    thread: str  # where the thread was read
    thread_link: str  # the link people follow to read it
    roster: Roster
    rc: int | None

    @property
    def root(self) -> Head:
        return self.selection.root

    def summary(self) -> str:
        binding, other = self.tally.counts(True), self.tally.counts(False)
        counts = (
            f"binding +1 {binding['+1']}, 0 {binding['0']}, -1 {binding['-1']}; "
            f"non-binding +1 {other['+1']}, 0 {other['0']}, -1 {other['-1']}"
        )
        unread = f"; {len(self.tally.unread)} message(s) could not be read" if self.tally.unread else ""
        return f"{self.tally.verdict.value} ({counts}{unread})"

    def facts(self) -> dict[str, Any]:
        return {
            **self.tally.to_json(),
            "vote_message_id": self.root.message_id,
            "thread": self.thread,
            "thread_link": self.thread_link,
            "roster": self.roster.source,
        }


def subjects(profile: Profile, version: Version) -> tuple[Any, Any]:
    """The VOTE's and the RESULT's subjects as patterns: the RC number is captured, never required
    (which candidate a message is for is decided by select_thread)."""
    values: dict[str, str | None] = {k: str(v) for k, v in version.placeholders().items()}
    values["rc"] = None
    return (
        subject_pattern(profile.mail.vote_subject, values),
        subject_pattern(profile.mail.result_subject, values),
    )


def load_roster(
    profile: Profile, location: str, *, svn: Svn | None = None, deadline: http.Deadline | None = None
) -> Roster:
    """The PMC roster at location (committee-info.json or a TOML roster, and the committee-info it
    names), both reads within one deadline (http.READ_SECONDS when not given)."""
    committee = profile.fmt("vote.committee")
    deadline = deadline or http.Deadline(http.READ_SECONDS)
    found = roster_module.parse(
        http.read(location, max_bytes=MAX_ROSTER_BYTES, svn=svn, deadline=deadline), committee, location
    )
    if found.committee_info:
        base_location = _beside(found.committee_info, location)
        base = roster_module.parse(
            http.read(base_location, max_bytes=MAX_ROSTER_BYTES, svn=svn, deadline=deadline),
            committee,
            base_location,
        )
        found = found.merged(base)
    return found


def _beside(location: str, relative_to: str) -> str:
    """A path in a roster file is relative to that file."""
    if http.kind(location) != "file" or Path(location).expanduser().is_absolute():
        return location
    if http.kind(relative_to) == "file":
        return str(http.local_path(relative_to).parent / location)
    return urllib.parse.urljoin(relative_to, location)


def count_votes(
    profile: Profile,
    version: Version,
    rc: int | None,
    *,
    thread: str,
    roster: str,
    now: datetime,
    vote_id: str | None = None,
    vote_start: datetime | None = None,
    owner: str | None = None,
    exclude: frozenset[str] = frozenset(),
    progress: Progress | None = None,
    svn: Svn | None = None,
) -> VoteCount:
    """Tally the vote on version (rc, or the newest RC in the thread) from thread and roster.

    vote_id: the VOTE's Message-ID (the ledger's, or --vote-message-id); owner: the address the
    VOTE was sent from, when known; exclude: Message-IDs of other candidates' VOTEs."""
    people = load_roster(profile, roster, svn=svn)
    deadline = http.Deadline(profile.vote.max_thread_seconds, setting=lists.THREAD_SETTING)
    with lists.open_source(thread, progress=progress, deadline=deadline) as source:
        selection = _select(profile, version, rc, source, vote_id, owner, exclude, people)
        if selection is None:
            expected = profile.fmt("mail.vote_subject", **version.placeholders(), rc=rc or "N")
            whose = f" from {owner}" if owner else ""
            raise UsageError(
                f"no [VOTE] message{whose} for {version}{f'-rc{rc}' if rc else ''} in {thread}",
                f"check the thread given; the VOTE's subject is expected to be '{expected}' (or the same "
                "without the RC number, the RC then named in its body); or name it with --vote-message-id",
            )
        ballots = []
        unread: list[tuple[Head, str]] = []
        for head in selection.replies:
            body = source.body(head)
            if body.unreadable:
                unread.append((head, body.unreadable))
                continue
            reading = votes.read_ballot(body.text)
            if body.notes:
                reading = dc_replace(reading, notes=(*body.notes, *reading.notes))
            ballots.append(votes.Ballot(head, reading))
        thread_id = source.thread_id
        root_unreadable = source.body(selection.root).unreadable
    root = selection.root
    found_rc = rc if rc is not None else selection.rc
    notes = _selection_notes(selection, vote_id)
    if root_unreadable:
        notes.append(f"the [VOTE] message itself could not be read: {root_unreadable}")
    start = root.date or vote_start
    if start is None:
        raise UsageError(
            f"the [VOTE] message {root.message_id} has no date, so the vote's start is unknown"
            + (f" ({'; '.join(root.notes)})" if root.notes else ""),
            "tally it from the project where the VOTE was sent (the ledger knows the start)",
        )
    skipped = [
        votes.Skipped(h.sender.label(), h.date, "arrived after the [RESULT]: not counted")
        for h in selection.after_result
    ]
    tally = votes.count(
        ballots,
        people,
        votes.Rule(
            profile.vote.rule,
            profile.vote.min_binding_approvals,
            profile.vote.min_hours,
            veto=profile_module.vote_rules()[profile.vote.rule],
        ),
        start=start,
        now=now,
        closed_at=selection.result.date if selection.result else None,
        notes=notes,
        skipped=skipped,
        unread=unread,
    )
    link = profile.fmt(
        "mail.thread_url", thread_id=thread_id or urllib.parse.quote(root.message_id, safe="@")
    )
    return VoteCount(tally, selection, thread, link, people, found_rc)


def _select(
    profile: Profile,
    version: Version,
    rc: int | None,
    source: lists.ThreadSource,
    vote_id: str | None,
    owner: str | None,
    exclude: frozenset[str],
    people: Roster | None,
) -> votes.Selection | None:
    vote_subject, result_subject = subjects(profile, version)

    def pmc(sender: Sender) -> bool:
        found = people.identify(sender) if people is not None else None
        return found is not None and found.member.pmc

    return votes.select_thread(
        source.heads(),
        vote_subject=vote_subject,
        result_subject=result_subject,
        vote_id=normalize_id(vote_id) if vote_id else None,
        rc=rc,
        owner=Sender.parse(owner) if owner else None,
        rc_of=lambda head: rc_in_body(source.text(head), str(version)),
        may_close=pmc if people is not None else None,
        exclude=exclude,
    )


def _selection_notes(selection: votes.Selection, vote_id: str | None) -> list[str]:
    notes = []
    if vote_id and selection.root_by_subject:
        notes.append(
            f"the VOTE's Message-ID {vote_id} is not in the thread; the [VOTE] was found by its subject "
            f"({selection.root.message_id})"
        )
    notes.extend(selection.notes)
    for head in [selection.root, *selection.replies]:
        for problem in head.notes:
            notes.append(f"the message from {head.sender.label()} ({head.message_id}): {problem}")
    for head in selection.replies:
        if head.message_id in selection.by_subject:
            notes.append(f"{head.sender.label()} replied without threading headers: joined by the subject")
    if selection.result is not None:
        notes.append(f"closed by the [RESULT] from {selection.result.sender.label()}")
    return notes


def find_vote(
    profile: Profile,
    location: str,
    version: Version,
    rc: int,
    *,
    owner: str | None = None,
    exclude: frozenset[str] = frozenset(),
) -> Head | None:
    """This candidate's [VOTE] from owner in a thread, or None (also when it cannot be read, or
    when several could be it)."""
    try:
        with lists.open_source(location) as source:
            found = _select(profile, version, rc, source, None, owner, exclude, None)
    except ReleaseError:
        return None
    return found.root if found else None


def find_result(
    profile: Profile, location: str, version: Version, rc: int, vote_id: str | None, owner: str | None = None
) -> Head | None:
    """The [RESULT] closing this candidate's vote, sent by the VOTE's sender (no roster is read)."""
    try:
        with lists.open_source(location) as source:
            found = _select(profile, version, rc, source, vote_id, owner, frozenset(), None)
    except ReleaseError:
        return None
    return found.result if found else None


class TallyStep(Step):
    name = "tally"
    title = "Count the votes"

    def __init__(
        self,
        version: Version,
        rc: int | None = None,
        *,
        thread: str | None = None,
        roster: str | None = None,
        vote_message_id: str | None = None,
    ) -> None:
        super().__init__(version, rc)
        self.thread = thread
        self.roster = roster
        self.vote_message_id = vote_message_id
        self.counted: VoteCount | None = None

    def command(self) -> str:
        return f"asf-release tally {self.version} --rc {self.rc}"

    def _vote(self, ctx: Context) -> tuple[str | None, datetime | None]:
        """The VOTE's Message-ID (--vote-message-id, else the ledger's once sent) and start."""
        from asf_release.steps.vote import VoteStep

        state = mailing.mail_state(ctx, VoteStep(self.version, self.rc))
        recorded = state.message_id if state.sent_at else None
        return (self.vote_message_id or recorded), state.sent_at

    def owner(self, ctx: Context) -> tuple[str | None, frozenset[str]]:
        """Who sent this candidate's VOTE, and the Message-IDs of other candidates' VOTEs."""
        from asf_release.steps.vote import VoteStep

        step = VoteStep(self.version, self.rc)
        return mailing.owner(ctx, step), mailing.other_candidates(ctx, step)

    def locations(self, ctx: Context) -> tuple[str, str]:
        vote_id, _ = self._vote(ctx)
        thread = mailing.thread_location(ctx, self.thread, vote_id)
        if thread is None:
            raise UsageError(
                f"asf-release does not know where the vote thread for {self.version}-rc{self.rc} is",
                "give --thread (an mbox, a Maildir, a PonyMail thread URL or saved JSON), or send the VOTE "
                "with asf-release vote --send",
            )
        roster = self.roster or ctx.profile.vote.roster
        if http.kind(roster) == "file" and not self.roster and ctx.profile.root:
            roster = str(ctx.profile.root / Path(roster).expanduser())
        return thread, roster

    def count(self, ctx: Context) -> VoteCount:
        if self.counted is None:
            thread, roster = self.locations(ctx)
            vote_id, start = self._vote(ctx)
            owner, exclude = self.owner(ctx)
            self.counted = count_votes(
                ctx.profile,
                self.version,
                self.rc,
                thread=thread,
                roster=roster,
                now=ctx.now(),
                vote_id=vote_id,
                vote_start=start,
                owner=owner,
                exclude=exclude,
                progress=ctx.progress,
                svn=ctx.svn,
            )
        return self.counted

    def plan(self, ctx: Context) -> Plan:
        thread, roster = self.locations(ctx)
        return Plan(
            self.name,
            [
                Action(f"read the vote thread from {thread}"),
                Action(f"read the PMC roster from {roster}"),
                Action(f"count the votes by the '{ctx.profile.vote.rule}' rule"),
            ],
        )

    def run(self, ctx: Context) -> Outcome:
        counted = self.count(ctx)
        return Outcome(self.name, counted.summary(), counted.facts(), True, counted.tally.missing)

    def done(self, ctx: Context) -> Check:
        from asf_release.steps.result import ResultStep

        closed = mailing.mail_state(ctx, ResultStep(self.version, self.rc))
        if closed.sent_at is not None:
            return Check(State.DONE, f"the vote is closed: [RESULT] sent {closed.sent_at:%Y-%m-%d %H:%M}")
        vote_id, _ = self._vote(ctx)
        if vote_id is None and mailing.local_thread(ctx, self.thread) is None:
            return Check(State.PENDING, "after the [VOTE] is sent")
        thread, roster = _quiet(lambda: self.locations(ctx)) or (None, None)
        if thread and roster and http.kind(thread) == "file" and http.kind(roster) == "file":
            try:
                return _check(self.count(ctx))
            except ReleaseError as error:
                return Check(State.PENDING, error.message)
        last = ctx.ledger.history(self.release).step(self.name, self.rc).result
        if last is None:
            return Check(State.PENDING, "not counted yet")
        verdict = str(last.data.get("verdict", ""))
        summary = f"{last.data.get('summary', verdict)}, counted {last.at:%Y-%m-%d %H:%M}"
        return Check(State.DONE if verdict == "passed" else State.PENDING, summary)


def _check(counted: VoteCount) -> Check:
    tally = counted.tally
    detail = counted.summary() + ("" if not tally.missing else ": " + "; ".join(tally.missing))
    if tally.verdict is votes.Verdict.PASSED:
        return Check(State.DONE, detail)
    if tally.verdict is votes.Verdict.FAILED:
        return Check(State.FAILED, detail)
    return Check(State.PENDING, detail)


def _quiet(action: Any) -> Any:
    try:
        return action()
    except ReleaseError:
        return None


def record_decision(ctx: Context, step: Step, **data: Any) -> None:
    step.record(ctx, EventKind.DECISION, data)
