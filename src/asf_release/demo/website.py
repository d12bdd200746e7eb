"""The demo's website update: the new version in the sample website's releases file, on a branch."""

from __future__ import annotations

from asf_release.demo.core import DemoRun, Stage, step_said
from asf_release.steps.website import WebsiteStep


def stages(version: str) -> list[Stage]:
    return [("Update the website", f"asf-release website {version} --push", _website)]


def _website(run: DemoRun) -> list[str]:
    return step_said(run, WebsiteStep(run.version, push=True))
