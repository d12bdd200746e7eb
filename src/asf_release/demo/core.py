"""What every phase of the demo shares: the run (sandbox, clock, context) and a stage's result.

The phases import this module and nothing else of the demo, so the package has no import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from asf_release.adapters.svn import join
from asf_release.context import Context
from asf_release.progress import Progress
from asf_release.sandbox.environment import Sandbox
from asf_release.steps.base import Outcome, Plan, Step, execute
from asf_release.version import Version

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


def said(result: Plan | Outcome) -> list[str]:
    """What a step said, as its command prints it (an Outcome that changed nothing says
    "already done" once); the demo never runs dry."""
    assert isinstance(result, Outcome)
    return result.lines


def step_said(run: DemoRun, step: Step) -> list[str]:
    """Run one step in the sandbox as its command does, and what it said."""
    ctx = run.context()
    try:
        return said(execute(ctx, step))
    finally:
        ctx.close()


def voted_files(ctx: Context, run: DemoRun) -> str:
    """Where a voter finds the candidate's files: its directory on dist/dev, or, once an earlier
    run published it, the release directory it moved to."""
    staged = join(ctx.profile.dist.dev_url, ctx.names.staging_directory(run.version, run.rc))
    if ctx.svn.ls(staged) is None:
        return join(ctx.profile.dist.release_url, ctx.names.release_directory(run.version))
    return staged
