"""Whether a candidate was voted: the vote passed and its [RESULT] is on the list.

publish and promote act on it; status shows them blocked until it holds, with the same reason, so
status and the commands always agree. The seed announces the result before it publishes (and ASF
practice has the release manager close the vote on the list before the release is distributed):
a passing tally alone is not enough, the [RESULT] must have been sent (by `result --send`, or by
hand and found in the thread).
"""

from __future__ import annotations

from asf_release import profile as profile_module
from asf_release.context import Context
from asf_release.steps.base import State
from asf_release.version import Version


def vote_outcome(ctx: Context, version: Version, rc: int, *, recount: bool = True) -> tuple[bool, str]:
    """(whether the vote on this candidate passed and its [RESULT] was sent, and why).

    A [RESULT] sent by hand carries no count in the ledger: the thread is counted again, unless
    recount is False (status), which then takes it as passed and says publish will count. A
    thread that cannot be read raises (an outside failure is never a verdict)."""
    from asf_release.steps.result import ResultStep

    history = ctx.ledger.history(str(version))
    result, tally = history.facts("result", rc), history.facts("tally", rc)
    if ResultStep(version, rc).done(ctx).state is not State.DONE:
        if result.get("verdict") == "passed" or tally.get("verdict") == "passed":
            return False, (
                "the vote passed, but its [RESULT] has not been sent: the result is announced on the "
                "list before the release is published"
            )
        verdict = result.get("verdict") or tally.get("verdict")
        if verdict:
            return False, f"the vote has not passed (last count: {verdict})"
        return False, "no tally or [RESULT] says the vote passed"
    if result.get("verdict") == "passed":
        return True, "the vote passed (the [RESULT] recorded it)"
    if result.get("forced") and approved(ctx, result.get("binding")):
        return True, f"the release manager declared the result: {result['forced']}"
    if result.get("verdict"):
        return False, f"the [RESULT] was sent, but the vote has not passed ({result['verdict']})"
    if not recount:
        return True, "a [RESULT] is in the thread (the votes are counted again before acting)"
    from asf_release.steps.tally import TallyStep

    counted = TallyStep(version, rc).count(ctx)
    if counted.tally.verdict.value == "passed":
        return True, "the vote passed (counted again from the thread) and its [RESULT] was sent"
    return False, f"a [RESULT] was sent, but the votes do not pass: {counted.summary()}"


def waits_for(ctx: Context, version: Version, rc: int) -> str | None:
    """What publish and promote wait for, as status shows it; None when the vote is settled."""
    passed, why = vote_outcome(ctx, version, rc, recount=False)
    return None if passed else why


def approved(ctx: Context, binding: object) -> bool:
    """Whether binding counts as recorded ({"+1": n, "-1": m}) meet the profile's rule."""
    if not isinstance(binding, dict):
        return False
    plus, minus = int(binding.get("+1", 0)), int(binding.get("-1", 0))
    vote = ctx.profile.vote
    veto = profile_module.vote_rules()[vote.rule]
    return plus >= vote.min_binding_approvals and (minus == 0 if veto else plus > minus)
