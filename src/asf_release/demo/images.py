"""The demo's images: built from the staged candidate for both platforms, pushed to the sandbox's
registry, checked, verified by a voter with --image; and, after the RESULT, promoted.

Each stage calls the library as its command does; run again, each finds its work done.
"""

from __future__ import annotations

from asf_release.adapters.svn import join
from asf_release.demo.core import DemoRun, Stage, said, step_said, voted_files
from asf_release.steps import keys
from asf_release.steps.base import execute
from asf_release.steps.images import ImagesStep
from asf_release.steps.promote import PromoteStep
from asf_release.verify import VerifyRequest, verify


def stages(version: str) -> list[Stage]:
    """After stage, before the vote."""
    return [
        ("Build, push and check the images", f"asf-release images {version} --rc 1 --push", _images),
        (
            "A voter verifies the image",
            f"asf-release verify {version} --rc 1 --image <image@digest> --only image-platforms,... --reply",
            _verify_image,
        ),
    ]


def after_result(version: str) -> list[Stage]:
    """Right after the RESULT."""
    return [("Promote the voted images", f"asf-release promote {version}", _promote)]


def _images(run: DemoRun) -> list[str]:
    return step_said(run, ImagesStep(run.version, run.rc, push=True))


def _verify_image(run: DemoRun) -> list[str]:
    """What a PMC member runs with the image line of the VOTE: the image checks and the reply."""
    from asf_release.verify.reply import items

    ctx = run.context()
    try:
        facts = ctx.ledger.history(str(run.version)).facts("images", run.rc)
        reference = f"{facts['image']}@{facts['digest']}"
        request = VerifyRequest(
            source=voted_files(ctx, run),
            keys=join(ctx.profile.dist.release_url, keys.KEYS_FILE),
            build=False,
            only=("license", "notice", "image-platforms", "image-licenses", "image-version", "image-runs"),
            image=reference,
        )
        report = verify(ctx, request)
    finally:
        ctx.close()
    lines = [f"--image {reference}"]
    lines += [f"{c.id}: {c.status}" + (f" ({c.summary})" if c.summary else "") for c in report.checks]
    lines += [f"[{i.mark}] {i.title}: {i.detail}" for i in items(report) if i.title.startswith("Docker")]
    lines.append(f"verdict: {report.verdict}")
    return lines


def _promote(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        step = PromoteStep(run.version, run.rc)
        lines = said(execute(ctx, step))
        voted = ctx.ledger.history(str(run.version)).facts("vote", run.rc).get("image_digest")
        promoted = ctx.ledger.history(str(run.version)).facts("promote").get("digest")
        lines.append(
            f"voted digest {voted}; promoted digest {promoted}: {'equal' if voted == promoted else 'DIFFERENT'}"
        )
        return lines
    finally:
        ctx.close()
