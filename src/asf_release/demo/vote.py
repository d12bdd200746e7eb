"""The demo's vote: call it, let the sandbox's PMC members and a contributor answer, count, announce.

These stages need the package and stage steps' facts in the ledger; they follow those stages.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

from asf_release.adapters.mail import read_eml
from asf_release.context import Context
from asf_release.demo.core import DemoRun, Stage
from asf_release.errors import Refused
from asf_release.sandbox import voters
from asf_release.steps import mailing
from asf_release.steps.base import Outcome, execute
from asf_release.steps.result import ResultStep
from asf_release.steps.tally import TallyStep
from asf_release.steps.vote import VoteStep
from asf_release.votes import read_ballot


def stages(version: str) -> list[Stage]:
    return [
        ("Call the vote", f"asf-release vote {version} --rc 1 --send", _vote),
        ("The community votes", "(three PMC members and a contributor reply through SMTP)", _replies),
        ("Count the votes", f"asf-release tally {version} --rc 1", _tally),
        ("Announce the result", f"asf-release result {version} --rc 1 --send", _result),
    ]


def _vote_step(run: DemoRun) -> tuple[Context, VoteStep]:
    return run.context(), VoteStep(run.version, run.rc, send=True)


def _vote(run: DemoRun) -> list[str]:
    ctx, step = _vote_step(run)
    try:
        outcome = execute(ctx, step)
        assert isinstance(outcome, Outcome)
        state = mailing.mail_state(ctx, step)
        captured = sum(1 for m in run.sandbox.mail.messages() if m["Message-ID"] == state.message_id)
        return [
            outcome.summary,
            f"Subject: {step.subject(ctx)}",
            f"Message-ID {state.message_id}: {captured} copy in the sandbox's captured mail",
        ]
    finally:
        ctx.close()


def _vote_sent(ctx: Context, run: DemoRun) -> tuple[EmailMessage, datetime]:
    step = VoteStep(run.version, run.rc)
    state = mailing.mail_state(ctx, step)
    if state.sent_at is None:
        raise Refused("the [VOTE] has not been sent", f"run first: {step.command()}")
    return read_eml(ctx.outbox / f"{step.stem}.eml"), state.sent_at


def _replies(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        vote, start = _vote_sent(ctx, run)
    finally:
        ctx.close()
    lines = []
    for reply, fresh in voters.answer(run.sandbox, vote, start):
        kind = "PMC member" if reply.binding else "contributor"
        state = "sent" if fresh else "already in the thread"
        vote_line = read_ballot(reply.body).line
        lines.append(
            f"{reply.person.name} ({kind}), {reply.hours:g} h after the VOTE, {reply.style}: "
            f"{vote_line!r}  [{state}]"
        )
    return lines


def demo_clock(ctx: Context, run: DemoRun) -> tuple[datetime, str]:
    """The demo does not wait three days: its clock jumps past the vote's minimum hours."""
    _, start = _vote_sent(ctx, run)
    hours = ctx.profile.vote.min_hours
    jumped = start + timedelta(hours=hours + 1)
    real = ctx.now()
    if real >= jumped:
        return real, f"real time {real:%Y-%m-%d %H:%M %Z}: the {hours}-hour minimum has elapsed"
    return jumped, (
        f"the demo's clock jumps to {jumped:%Y-%m-%d %H:%M %Z}, {hours + 1} hours after the VOTE, "
        f"as if the vote had stayed open that long (real time: {real:%Y-%m-%d %H:%M %Z})"
    )


def _after_the_minimum(run: DemoRun) -> tuple[Context, str]:
    """A context whose clock stands past the vote's minimum hours, and the sentence that says so."""
    probe = run.context()
    try:
        now, said = demo_clock(probe, run)
    finally:
        probe.close()
    return run.context(now=now), said


def _tally(run: DemoRun) -> list[str]:
    ctx, said = _after_the_minimum(run)
    try:
        step = TallyStep(run.version, run.rc)
        execute(ctx, step)
        assert step.counted is not None
        tally = step.counted.tally
        lines = [said]
        for voter in tally.voters:
            lines.append(
                f"{voter.name} <{voter.email}>: {voter.vote} {'binding' if voter.binding else 'non-binding'}"
            )
        lines.extend(f"not counted: {s.sender}: {s.reason}" for s in tally.skipped)
        lines.append(f"verdict: {step.counted.summary()}")
        lines.extend(f"  {m}" for m in tally.missing)
        return lines
    finally:
        ctx.close()


def _result(run: DemoRun) -> list[str]:
    ctx, said = _after_the_minimum(run)
    try:
        step = ResultStep(run.version, run.rc, send=True)
        outcome = execute(ctx, step)
        assert isinstance(outcome, Outcome)
        state = mailing.mail_state(ctx, step)
        captured = sum(1 for m in run.sandbox.mail.messages() if m["Message-ID"] == state.message_id)
        return [said, outcome.summary, f"Message-ID {state.message_id}: {captured} copy in the captured mail"]
    finally:
        ctx.close()
