"""The demo's announcement: once the sandbox's download server has the release, [ANNOUNCE] goes out."""

from __future__ import annotations

from asf_release.demo.core import DemoRun, Stage
from asf_release.steps import mailing
from asf_release.steps.announce import AnnounceStep
from asf_release.steps.base import Outcome, execute


def stages(version: str) -> list[Stage]:
    return [("Announce the release", f"asf-release announce {version} --send", _announce)]


def _announce(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        step = AnnounceStep(run.version, run.rc, send=True, wait_minutes=1)
        outcome = execute(ctx, step)
        assert isinstance(outcome, Outcome)
        state = mailing.mail_state(ctx, step)
        captured = [m for m in run.sandbox.mail.messages() if m["Message-ID"] == state.message_id]
        lines = [outcome.summary, f"Subject: {step.subject(ctx)}"]
        if captured:
            body = captured[0].get_body(preferencelist=("plain",)).get_content()
            lines += [f"  {line}" for line in body.splitlines() if line.strip()][:40]
        lines.append(f"Message-ID {state.message_id}: {len(captured)} copy in the captured mail")
        return lines
    finally:
        ctx.close()
