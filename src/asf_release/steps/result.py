"""result: count the thread once more, then compose the [RESULT][VOTE] message and send it once.

Refuses while the vote has not passed (too few binding +1, a standing binding -1, or the minimum
hours not elapsed) unless the release manager forces it with a reason, which the ledger keeps and
the message states.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from asf_release import templates, votes
from asf_release.adapters import mail as mail_adapter
from asf_release.context import Context
from asf_release.errors import Failed, UsageError
from asf_release.steps import mailing
from asf_release.steps.base import Action, Check, Outcome, Plan, State
from asf_release.steps.tally import TallyStep, VoteCount, find_result, record_decision
from asf_release.steps.vote import VoteStep
from asf_release.version import Version


class ResultStep(mailing.MessageStep):
    name = "result"
    title = "Announce the vote result"
    subject_key = "mail.result_subject"

    def __init__(
        self,
        version: Version,
        rc: int | None = None,
        *,
        send: bool = False,
        resend: bool = False,
        force: bool = False,
        reason: str = "",
        thread: str | None = None,
        roster: str | None = None,
        vote_message_id: str | None = None,
    ) -> None:
        super().__init__(version, rc, send=send, resend=resend)
        self.force = force
        self.reason = reason.strip()
        self.tally = TallyStep(version, rc, thread=thread, roster=roster, vote_message_id=vote_message_id)
        if force and not self.reason:
            raise UsageError(
                "--force needs --reason", 'say why, for the ledger and the message: --reason "..."'
            )
        if self.reason and not force:
            raise UsageError("--reason goes with --force", "add --force, or leave out --reason")

    def plan(self, ctx: Context) -> Plan:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is not None:
            return Plan(self.name, [], [f"the [RESULT] was sent {state.sent_at:%Y-%m-%d %H:%M}"])
        counted = self.tally.count(ctx)
        actions = [
            Action(f"count the votes in {counted.thread}: {counted.summary()}"),
            Action(f"write '{self.subject(ctx)}' to {ctx.outbox / (self.stem + '.eml')}"),
        ]
        if self.send:
            actions.append(self.sending(ctx))
        notes = [f"not passed: {m}" for m in counted.tally.missing]
        if counted.tally.verdict is not votes.Verdict.PASSED:
            notes.append(
                "forced: " + self.reason if self.force else "the result is refused unless --force --reason"
            )
        return Plan(self.name, actions, notes)

    def run(self, ctx: Context) -> Outcome:
        counted = self.tally.count(ctx)
        tally = counted.tally
        existing = self._existing(ctx, counted)
        if existing is not None:
            return existing
        if tally.verdict is not votes.Verdict.PASSED:
            if not self.force:
                raise Failed(
                    f"the vote on {self.version}-rc{self.rc} has not passed ({tally.verdict.value}): "
                    + "; ".join(tally.missing),
                    "wait, and run `asf-release tally` to follow it; to declare the result anyway: "
                    '--force --reason "..." (the ledger keeps the reason)',
                )
            record_decision(
                ctx, self, force=True, reason=self.reason, verdict=tally.verdict.value, missing=tally.missing
            )
        delivery = mailing.deliver(
            ctx,
            self,
            stem=self.stem,
            build=lambda message_id, date: self.compose(ctx, counted, message_id, date),
            send=self.send,
            resend=self.resend,
            find=lambda message_id: mailing.find_in(counted.thread, message_id),
        )
        facts: dict[str, Any] = {
            "message_id": delivery.message_id,
            "subject": self.subject(ctx),
            "sent": delivery.sent,
            "file": str(delivery.file) if delivery.file else "",
            "verdict": tally.verdict.value,
            "binding": tally.counts(True),
            "non_binding": tally.counts(False),
            "thread_link": counted.thread_link,
            "forced": self.reason if self.force else "",
        }
        if delivery.sent and delivery.sent_at:
            facts["date"] = delivery.sent_at.isoformat()
            said = "passed" if self.declares_passed(tally) else "not passed"
            summary = f"[RESULT] sent to {ctx.profile.mail.dev_list}: {counted.summary()}"
            if said != tally.verdict.value:  # forced: say what the message says, then the count
                summary = (
                    f"[RESULT] sent to {ctx.profile.mail.dev_list}: it says {said}, by --force "
                    f"({self.reason}); the count says {counted.summary()}"
                )
        else:
            summary = f"[RESULT] written to {delivery.file}; not sent (add --send)"
        return Outcome(self.name, summary, facts, delivery.changed, [f"Message-ID {delivery.message_id}"])

    def done(self, ctx: Context) -> Check:
        state = mailing.mail_state(ctx, self)
        if state.sent_at is not None:
            return Check(
                State.DONE, f"[RESULT] sent {state.sent_at:%Y-%m-%d %H:%M}, Message-ID {state.message_id}"
            )
        if state.attempt_open:
            return self.unsent(ctx, state, "")  # the ledger does not know: the next run looks
        local = mailing.local_thread(ctx)
        if local and self.rc:
            vote = VoteStep(self.version, self.rc)
            vote_id = mailing.mail_state(ctx, vote).message_id
            found = find_result(ctx.profile, local, self.version, self.rc, vote_id, mailing.owner(ctx, vote))
            if found is not None:
                return Check(State.DONE, f"[RESULT] in the thread, from {found.sender.label()}")
        return self.unsent(ctx, state, "after the vote passes")

    def _existing(self, ctx: Context, counted: VoteCount) -> Outcome | None:
        """A [RESULT] already in the thread (this step's, or one sent by hand): record it, send nothing."""
        found = counted.selection.result
        if found is None:
            return None
        state = mailing.mail_state(ctx, self)
        ours = found.message_id == state.message_id
        when = self.adopt(ctx, found, ours=ours)
        summary = (
            "the [RESULT] an earlier run sent is in the thread"
            if ours
            else f"the thread already holds a [RESULT] from {found.sender.label()}: not sent again"
        )
        facts = {"message_id": found.message_id, "sent": True, "date": when.isoformat()}
        return Outcome(self.name, summary, facts, True, [f"Message-ID {found.message_id}"])

    def declares_passed(self, tally: votes.Tally) -> bool:
        """What the [RESULT] says: the count's verdict, or, forced, whether the votes cast approve."""
        binding = tally.counts(True)
        return tally.verdict is votes.Verdict.PASSED or (
            self.force and tally.rule.approved(binding["+1"], binding["-1"])
        )

    def compose(self, ctx: Context, counted: VoteCount, message_id: str, date: datetime) -> EmailMessage:
        profile = ctx.profile
        tally = counted.tally
        binding = tally.counts(True)
        passed = self.declares_passed(tally)
        order = {"+1": 0, "0": 1, "-1": 2}
        voters = sorted(tally.voters, key=lambda v: (order[v.vote], v.at.timestamp() if v.at else 0))
        body = templates.render(
            profile,
            "result",
            product=profile.project.product,
            version=str(self.version),
            rc=self.rc,
            passed=passed,
            binding=binding,
            non_binding=tally.counts(False),
            hours_open=int(tally.hours_open),
            forced=self.reason if self.force else "",
            binding_voters=[v for v in voters if v.binding],
            non_binding_voters=[v for v in voters if not v.binding],
            thread_link=counted.thread_link,
            release_manager=profile.release_manager.name or mailing.sender(ctx),
        )
        root = counted.root.message_id
        return mail_adapter.compose(
            subject=self.subject(ctx),
            sender=mailing.sender(ctx),
            to=[profile.mail.dev_list],
            body=body,
            date=date,
            message_id=message_id,
            in_reply_to=root,
        )

    def preview(self, ctx: Context) -> EmailMessage:
        return self.compose(ctx, self.tally.count(ctx), "<preview@asf-release>", ctx.now())
