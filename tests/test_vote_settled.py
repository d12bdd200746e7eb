"""status and the commands after the vote agree on when the vote is settled: it passed and its
[RESULT] is on the list, as the seed sends it before publishing. A passing tally alone blocks
publish in status and in publish itself, with the same reason."""

from __future__ import annotations

from datetime import timedelta

from asf_release.context import Context
from asf_release.ledger import EventKind
from asf_release.steps import mailing
from asf_release.steps.base import execute
from asf_release.steps.process import release_status
from asf_release.steps.result import ResultStep
from asf_release.steps.tally import TallyStep
from asf_release.steps.vote import VoteStep
from asf_release.version import Version
from tests.publish_fixtures import call_vote, context, make_candidate
from tests.release_fixtures import VERSION, Release
from tests.test_publish import assert_published_once, head_revision


def _later(ctx: Context) -> Context:
    """The context with its clock past the vote's minimum hours."""
    start = mailing.mail_state(ctx, VoteStep(Version.parse(VERSION), 1)).sent_at
    assert start is not None
    later = start + timedelta(hours=ctx.profile.vote.min_hours + 1)
    ctx.now = lambda: later
    return ctx


def _tally_after_the_minimum(release: Release, *, result: bool = False) -> None:
    ctx = _later(context(release))
    try:
        execute(ctx, TallyStep(Version.parse(VERSION), 1))
        if result:
            execute(ctx, ResultStep(Version.parse(VERSION), 1, send=True))
    finally:
        ctx.close()


def states(release: Release) -> dict[str, tuple[str, str, str]]:
    """What status shows, past the vote's minimum hours."""
    ctx = _later(context(release))
    try:
        report = release_status(ctx, Version.parse(VERSION), 1)
        return {s.name: (s.state.value, s.detail, s.command) for s in report.steps}
    finally:
        ctx.close()


def test_a_passing_tally_without_the_result_blocks_publish_in_status_and_in_publish(release: Release) -> None:
    make_candidate(release, VERSION)
    call_vote(release, VERSION)
    _tally_after_the_minimum(release)
    now = states(release)
    assert now["tally"][0] == "done" and now["result"][0] == "pending"
    assert now["publish"][0] == "blocked" and now["publish"][1] == "waits for: result"

    before = head_revision(release)
    refused = release.cli("publish", VERSION, "--rc", "1")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "the vote passed, but its [RESULT] has not been sent" in refused.stderr
    assert f"asf-release result {VERSION} --rc 1 --send" in refused.stderr
    assert head_revision(release) == before  # nothing moved

    _tally_after_the_minimum(release, result=True)
    now = states(release)
    assert now["result"][0] == "done" and now["publish"][0] == "pending", now["publish"]
    done = release.cli("publish", VERSION, "--rc", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the vote passed (the [RESULT] recorded it)" in done.stdout
    assert_published_once(release, before)


def test_a_result_declared_without_a_passing_count_blocks_publish_with_one_reason(release: Release) -> None:
    make_candidate(release, VERSION)
    call_vote(release, VERSION)
    ctx = context(release)
    try:  # as `result --force --reason` records a [RESULT] sent for a count the rule does not accept
        sent = {"message_id": "<result@example.org>", "date": "2025-03-06T10:00:00+00:00"}
        ctx.ledger.append(VERSION, "result", EventKind.NOTE, {"mail": "composed", "file": "", **sent}, rc=1)
        ctx.ledger.append(
            VERSION, "result", EventKind.NOTE, {"mail": "sent", "how": "sent by SMTP", **sent}, rc=1
        )
        facts = {"sent": True, "verdict": "failed", "binding": {"+1": 1, "0": 0, "-1": 1}, "forced": "asked"}
        ctx.ledger.append(VERSION, "result", EventKind.RESULT, facts, rc=1)
    finally:
        ctx.close()
    now = states(release)
    assert now["result"][0] == "done"
    state, detail, _ = now["publish"]
    refused = release.cli("publish", VERSION, "--rc", "1")
    assert refused.returncode == 1
    reason = detail.removeprefix("waits for: ")
    assert state == "blocked" and "the [RESULT] was sent, but the vote has not passed" in reason
    assert reason in refused.stderr.replace("\n", " ")
