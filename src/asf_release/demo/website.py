"""The demo's website update: the new version in the sample website's releases file, on a branch."""

from __future__ import annotations

from asf_release.demo.core import DemoRun, Stage
from asf_release.steps.base import Outcome, execute
from asf_release.steps.website import WebsiteStep


def stages(version: str) -> list[Stage]:
    return [("Update the website", f"asf-release website {version} --push", _website)]


def _website(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        outcome = execute(ctx, WebsiteStep(run.version, push=True))
        assert isinstance(outcome, Outcome)
        return [outcome.summary, *outcome.details]
    finally:
        ctx.close()
