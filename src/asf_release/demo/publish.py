"""The demo after the vote: the voted candidate becomes the release, then the final tag.

Follows the vote's stages: publish refuses until the ledger says the vote passed.
"""

from __future__ import annotations

from asf_release.demo.core import DemoRun, Stage, said
from asf_release.steps import dist
from asf_release.steps.base import execute
from asf_release.steps.publish import PublishStep


def stages(version: str) -> list[Stage]:
    return [("Publish the release", f"asf-release publish {version} --rc 1", _publish)]


def _publish(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        lines = said(execute(ctx, PublishStep(run.version, run.rc)))
        kept = [r.name for r in dist.releases(ctx)]
        return [
            *lines,
            f"dist/release now holds: {', '.join(kept)} (one release per line; older ones are archived)",
        ]
    finally:
        ctx.close()
