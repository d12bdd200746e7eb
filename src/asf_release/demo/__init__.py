"""The demo, one module per phase: every real component started on this machine, the whole process end to end.

Each stage calls the same library code as the command it names, prints what it did and how long
it took. Run again in the same directory, it resumes: the steps find their work done.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from asf_release.demo import announce, candidate, images, prepare, publish, vote, website
from asf_release.demo.core import DEMO_VERSION, DemoRun, Reporter, Stage, StageResult
from asf_release.progress import Progress
from asf_release.sandbox.environment import Sandbox
from asf_release.steps.process import release_status

__all__ = ["DEMO_VERSION", "DemoRun", "Reporter", "StageResult", "run", "stages", "where_to_look"]


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


def stages() -> list[Stage]:
    """The demo's stages, in the order of the process. Each capability adds its own."""
    version = str(DEMO_VERSION)
    return [
        ("The effective profile", "asf-release profile", _profile),
        *prepare.stages(version),
        *candidate.stages(version),
        *images.stages(version),
        *vote.stages(version),
        *publish.stages(version),
        *images.after_result(version),
        *website.stages(version),
        *announce.stages(version),
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
    sandbox.write_env_script()
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
        f"by hand:  . {sandbox.env_script} && asf-release -C {sandbox.project_path} status {DEMO_VERSION}"
        "  (with `asf-release demo --serve` running)",
    ]
