"""verify: the voter's checklist on a release candidate, in one command."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from asf_release.cli import output
from asf_release.cli.app import app, context, settings
from asf_release.cli.options import Json, Rc

SOURCE_HELP = (
    "The RC: a local directory, the https URL of its directory (dist or Subversion over HTTP), "
    "a Subversion URL, or a version such as 2.11.0 (the profile's dist/dev directory)."
)


def _ids(values: list[str] | None) -> tuple[str, ...]:
    return tuple(item.strip() for value in values or [] for item in value.split(",") if item.strip())


@app.command(rich_help_panel="For voters")
def verify(
    source: Annotated[str, typer.Argument(help=SOURCE_HELP)] = ".",
    rc: Rc = None,
    keys: Annotated[
        str | None, typer.Option("--keys", help="KEYS file or URL (default: the profile's KEYS URL).")
    ] = None,
    git: Annotated[
        str | None,
        typer.Option("--git", help="A clone (path) or URL of the repository, for provenance."),
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="The RC tag (default: the profile's, from --rc).")
    ] = None,
    build: Annotated[
        bool, typer.Option("--build/--no-build", help="Build and run the tests in the unpacked tree.")
    ] = True,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these checks (ids, comma-separated).")
    ] = None,
    skip: Annotated[
        list[str] | None, typer.Option("--skip", help="Skip these checks (ids, comma-separated).")
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            help="The candidate's Docker image, as the VOTE names it (tag or digest); default: the "
            "ledger's or the profile's. Adds image-platforms, -licenses, -version, -runs.",
        ),
    ] = None,
    run_image: Annotated[
        bool,
        typer.Option("--run-image/--no-run-image", help="Run the image (podman or docker) in image-runs."),
    ] = True,
    reply: Annotated[
        bool,
        typer.Option("--reply", help="Print a draft reply to the vote thread (the table goes to stderr)."),
    ] = False,
    json_mode: Json = False,
) -> None:
    """Verify a release candidate: the voter's whole checklist in one command.

    Checks: artifacts, checksums, signatures, archive, license, notice, headers, binaries,
    provenance, build, tests; with an image (--image, or the one the ledger or profile names):
    image-platforms, image-licenses, image-version, image-runs. Exit 0 when none failed, 1 when one did.

    Example: asf-release verify 2.11.0 --rc 1 --no-build --reply
    """
    from asf_release.verify import VerifyRequest
    from asf_release.verify import verify as run_verify
    from asf_release.verify.reply import draft

    ctx = context(json_mode=json_mode)
    request = VerifyRequest(
        source=source,
        rc=rc,
        keys=keys,
        git=git,
        tag=tag,
        build=build,
        only=_ids(only),
        skip=_ids(skip),
        image=image,
        run_image=run_image,
    )
    report = run_verify(ctx, request)
    text = draft(ctx.profile, report) if reply else None
    if json_mode:
        data = report.to_json()
        if text is not None:
            data["reply"] = text
        output.print_json(data)
    else:
        _show(report, to_stderr=reply)
        if text is not None:
            output.console.print(escape(text), end="")
    if not report.passed:
        raise typer.Exit(1)


def _show(report: object, *, to_stderr: bool) -> None:
    from asf_release.verify.model import Level, Report, Status

    assert isinstance(report, Report)
    console = output.errors if to_stderr else output.console
    rc = f"-rc{report.rc}" if report.rc else ""
    console.print(f"[bold]{escape(report.version or '?')}{rc}[/] from {escape(report.source)}")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("check")
    table.add_column("status")
    table.add_column("summary", overflow="fold")
    for result in report.checks:
        table.add_row(result.id, output.styled(result.status.value), escape(result.summary))
    console.print(table)
    shown = {Level.FAIL, Level.WARN} | ({Level.NOTE} if settings.verbose else set())
    for result in report.checks:
        findings = [f for f in result.findings if f.level in shown]
        if not findings or result.status is Status.SKIP:
            continue
        console.print(f"\n[bold]{result.id}[/] {output.styled(result.status.value)}")
        for finding in findings:
            where = f"{escape(finding.path)}: " if finding.path else ""
            console.print(f"  {output.styled(finding.level.value)} {where}{escape(finding.message)}")
            if finding.hint:
                console.print(f"    [dim]{escape(finding.hint)}[/]")
    if report.logs:
        console.print(f"\nbuild and test logs: {escape(report.logs)}")
    verdict = "[bold green]PASS[/]" if report.passed else "[bold red]FAIL[/]"
    console.print(f"\nverdict: {verdict}")
