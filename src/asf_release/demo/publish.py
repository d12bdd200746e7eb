"""The demo after the vote: the voted candidate becomes the release, then the final tag.

Follows the vote's stages: publish refuses until the ledger says the vote passed.
"""

from __future__ import annotations

from asf_release.demo.core import DemoRun, Stage
from asf_release.steps import dist
from asf_release.steps.base import Outcome, execute
from asf_release.steps.publish import PublishStep


def stages(version: str) -> list[Stage]:
    return [("Publish the release", f"asf-release publish {version} --rc 1", _publish)]


def _publish(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        step = PublishStep(run.version, run.rc)
        outcome = execute(ctx, step)
        assert isinstance(outcome, Outcome)
        kept = [r.name for r in dist.releases(ctx)]
        return [
            outcome.summary,
            *outcome.details,
            f"dist/release now holds: {', '.join(kept)} (one release per line; older ones are archived)",
        ]
    finally:
        ctx.close()
