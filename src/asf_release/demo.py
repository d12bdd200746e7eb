"""The demo: every real component started on this machine, the whole process end to end.

Each stage calls the same library code as the command it names, prints what it did and how long
it took. Run again in the same directory, it resumes: the steps find their work done.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from asf_release.adapters.mail import read_eml
from asf_release.context import Context
from asf_release.errors import Refused
from asf_release.progress import Progress
from asf_release.sandbox import voters
from asf_release.sandbox.environment import Sandbox
from asf_release.steps import mailing
from asf_release.steps.base import Outcome, execute
from asf_release.steps.process import release_status
from asf_release.steps.result import ResultStep
from asf_release.steps.tally import TallyStep
from asf_release.steps.vote import VoteStep
from asf_release.version import Version
from asf_release.votes import read_ballot

DEMO_VERSION = Version(2, 11, 0)


@dataclass(frozen=True)
class StageResult:
    title: str
    command: str
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Reporter(Protocol):
    def begin(self, title: str, command: str) -> None: ...

    def end(self, result: StageResult) -> None: ...


@dataclass
class DemoRun:
    sandbox: Sandbox
    progress: Progress | None = None
    version: Version = DEMO_VERSION
    rc: int = 1

    def context(self, *, dry_run: bool = False, now: datetime | None = None) -> Context:
        """The context of a command in the sandbox; now: the demo's clock, when it jumps ahead."""
        ctx = Context.load(
            self.sandbox.project_path,
            env=self.sandbox.env(),
            dry_run=dry_run,
            progress=self.progress,
        )
        if now is not None:
            ctx.now = lambda: now
        return ctx


Stage = tuple[str, str, Callable[[DemoRun], list[str]]]


def _profile(run: DemoRun) -> list[str]:
    prof = run.context().profile
    overridden = sorted(prof.origins)
    return [
        f"built-in profile '{prof.name}' with {len(overridden)} keys overridden by the sandbox's personal config",
        *(f"{key} = {json.dumps(prof.value(key))}" for key in overridden[:6]),
    ]


def _status(run: DemoRun) -> list[str]:
    ctx = run.context()
    report = release_status(ctx, run.version)
    lines = [f"{step.title}: {step.state.value}" for step in report.steps]
    upcoming = report.next
    if upcoming:
        lines.append(f"next: {upcoming.command or upcoming.detail}")
    ctx.close()
    return lines


# --- the vote -------------------------------------------------------------------------------------
# These stages need the package and stage steps' facts in the ledger; they follow them in stages().


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


def _tally(run: DemoRun) -> list[str]:
    probe = run.context()
    try:
        now, said = demo_clock(probe, run)
    finally:
        probe.close()
    ctx = run.context(now=now)
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
    probe = run.context()
    try:
        now, said = demo_clock(probe, run)
    finally:
        probe.close()
    ctx = run.context(now=now)
    try:
        step = ResultStep(run.version, run.rc, send=True)
        outcome = execute(ctx, step)
        assert isinstance(outcome, Outcome)
        state = mailing.mail_state(ctx, step)
        captured = sum(1 for m in run.sandbox.mail.messages() if m["Message-ID"] == state.message_id)
        return [said, outcome.summary, f"Message-ID {state.message_id}: {captured} copy in the captured mail"]
    finally:
        ctx.close()


def vote_stages() -> list[Stage]:
    """The vote's stages, in order; they come after the package and stage steps' stages."""
    version = str(DEMO_VERSION)
    return [
        ("Call the vote", f"asf-release vote {version} --rc 1 --send", _vote),
        ("The community votes", "(three PMC members and a contributor reply through SMTP)", _replies),
        ("Count the votes", f"asf-release tally {version} --rc 1", _tally),
        ("Announce the result", f"asf-release result {version} --rc 1 --send", _result),
    ]


def stages() -> list[Stage]:
    """The demo's stages, in the order of the process. Each capability adds its own."""
    version = str(DEMO_VERSION)
    return [
        ("The effective profile", "asf-release profile", _profile),
        ("Where the release stands", f"asf-release status {version}", _status),
    ]


def run(
    base: Path,
    reporter: Reporter,
    *,
    progress: Progress | None = None,
    linger: Callable[[Sandbox], None] | None = None,
) -> list[StageResult]:
    """Prepare the sandbox in base, start its services, run every stage, stop the services."""
    sandbox = Sandbox(base)
    results = []
    started = time.monotonic()
    reporter.begin("Sandbox", f"(in {base})")
    created = sandbox.prepare()
    sandbox.start()
    try:
        lines = [f"created: {item}" for item in created] or ["reused the sandbox from an earlier run"]
        lines.append(f"svnserve on {sandbox.svn.url}, SMTP on 127.0.0.1:{sandbox.mail.port}")
        first = StageResult("Sandbox", f"(in {base})", lines, time.monotonic() - started)
        reporter.end(first)
        results.append(first)
        demo = DemoRun(sandbox, progress)
        for title, command, action in stages():
            reporter.begin(title, command)
            began = time.monotonic()
            result = StageResult(title, command, action(demo), time.monotonic() - began)
            reporter.end(result)
            results.append(result)
        if linger:
            linger(sandbox)
    finally:
        sandbox.stop()
    return results


def where_to_look(base: Path) -> list[str]:
    sandbox = Sandbox(base)
    state = sandbox.project_path / ".git" / "asf-release"
    return [
        f"project:  {sandbox.project_path} (git log --graph --all)",
        f"outbox:   {state / 'outbox'} and the captured mail in {sandbox.mbox}",
        f"svn:      svn ls -R file://{sandbox.svn.repository}",
        f"ledger:   {state / 'ledger.sqlite3'} (sqlite3 ... 'select * from events')",
        f"by hand:  ASF_RELEASE_CONFIG={sandbox.user_config} GNUPGHOME={sandbox.gnupg} "
        f"asf-release -C {sandbox.project_path} status {DEMO_VERSION}  (with `asf-release demo --serve` running)",
    ]
