"""The candidate's Docker images, built before the vote (promote, after it, is with publish)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from asf_release.cli import output
from asf_release.cli.app import app, context
from asf_release.cli.options import Builder, DryRun, Json, Rc, VersionArg
from asf_release.errors import Failed
from asf_release.steps.base import execute
from asf_release.version import Version


@app.command(rich_help_panel="2. The release candidate")
def images(
    version: VersionArg,
    rc: Rc = None,
    push: Annotated[
        bool, typer.Option("--push", help="Push to the staging repository and check the images.")
    ] = False,
    builder: Builder = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Build jobs for docker.build_args' {jobs}.")
    ] = None,
    http_proxy: Annotated[
        str | None, typer.Option("--http-proxy", help="Passed to the build as http_proxy.")
    ] = None,
    https_proxy: Annotated[
        str | None, typer.Option("--https-proxy", help="Passed to the build as https_proxy.")
    ] = None,
    run_image: Annotated[
        bool, typer.Option("--run/--no-run", help="Run the image's version and smoke commands in the checks.")
    ] = True,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Build the candidate's images from its packaged source release, for every platform; with
    --push, push them to docker.staging_repository and check them as a voter will.

    Uses docker buildx when a Docker daemon answers, else buildah. Records the index digest and
    each platform's; run again, it does nothing while the registry still names that digest.
    Exit 1 when a check of the pushed images fails.

    Example: asf-release images 2.11.0 --rc 1 --push
    """
    from asf_release.steps.candidate import current_rc
    from asf_release.steps.images import ImagesStep, usage_builder

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    ctx.require_project()
    target = Version.parse(version)
    step = ImagesStep(
        target,
        rc if rc is not None else current_rc(ctx, target),
        push=push,
        builder=usage_builder(builder),
        jobs=jobs,
        http_proxy=http_proxy,
        https_proxy=https_proxy,
        run_image=run_image,
    )
    try:
        output.show_result(execute(ctx, step), json_mode)
    except Failed:
        if not json_mode:
            _show_findings(step.checked)
        raise


def _show_findings(results: list[object]) -> None:
    from asf_release.verify.model import CheckResult, Level

    for result in results:
        assert isinstance(result, CheckResult)
        for finding in result.findings:
            if finding.level is Level.NOTE:
                continue
            where = f"{escape(finding.path)}: " if finding.path else ""
            output.errors.print(
                f"  {result.id} {output.styled(finding.level.value)} {where}{escape(finding.message)}"
            )
