"""Helpers for the steps after the vote: a candidate packaged, staged and voted on, for real.

The candidate is made by the real commands (package, stage), the [VOTE] goes through the
sandbox's SMTP server, the sandbox's PMC answers, and the tally counts the thread with a clock
past the vote's minimum hours: the ledger then says the vote passed, as it does for a person.
"""

from __future__ import annotations

from datetime import timedelta

from asf_release.adapters import mail as mail_adapter
from asf_release.context import Context
from asf_release.sandbox import voters
from asf_release.steps import mailing
from asf_release.steps.base import execute
from asf_release.steps.result import ResultStep
from asf_release.steps.tally import TallyStep
from asf_release.steps.vote import VoteStep
from asf_release.version import Version
from tests.release_fixtures import Release


def context(release: Release) -> Context:
    return Context.load(release.project, env=release.sandbox.env())


def make_candidate(release: Release, version: str, rc: int = 1) -> None:
    for args in (("keys", "add"), ("package", version, "--rc", str(rc)), ("stage", version, "--rc", str(rc))):
        done = release.cli(*args)
        assert done.returncode == 0, done.stdout + done.stderr


def call_vote(release: Release, version: str, rc: int = 1) -> None:
    """The [VOTE] sent and the community's replies in the thread (the vote is still open)."""
    ctx = context(release)
    try:
        target = Version.parse(version)
        execute(ctx, VoteStep(target, rc, send=True, no_image=True))  # images are their own tests
        stem = f"vote-{version}-rc{rc}"
        start = mailing.mail_state(ctx, VoteStep(target, rc)).sent_at
        assert start is not None
        voters.answer(release.sandbox, mail_adapter.read_eml(ctx.outbox / f"{stem}.eml"), start)
    finally:
        ctx.close()


def pass_vote(release: Release, version: str, rc: int = 1) -> None:
    """call_vote, then the tally once the minimum hours are over (passed), and the [RESULT] sent."""
    call_vote(release, version, rc)
    ctx = context(release)
    try:
        target = Version.parse(version)
        start = mailing.mail_state(ctx, VoteStep(target, rc)).sent_at
        assert start is not None
        later = start + timedelta(hours=ctx.profile.vote.min_hours + 1)
        ctx.now = lambda: later
        step = TallyStep(target, rc)
        execute(ctx, step)
        assert step.counted is not None and step.counted.tally.verdict.value == "passed"
        execute(ctx, ResultStep(target, rc, send=True))
    finally:
        ctx.close()
