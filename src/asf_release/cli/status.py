"""status: where a release stands, and the next command."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from asf_release.cli import output
from asf_release.cli.app import app, context
from asf_release.cli.options import Json, Rc
from asf_release.context import Context
from asf_release.version import Version


@app.command(rich_help_panel="Where a release stands")
def status(
    version: Annotated[str | None, typer.Argument(help="The release, such as 2.11.0.")] = None,
    rc: Rc = None,
    json_mode: Json = False,
) -> None:
    """Show each step of a release: done, pending, blocked or n/a, and the exact next command.

    Looks at the world (tags, dist/dev, the outbox), not only at what asf-release remembers.
    Without VERSION: the release most recently worked on.

    Example: asf-release status 2.11.0
    """
    ctx = context(json_mode=json_mode)
    ctx.require_project()
    target = Version.parse(version) if version else _current(ctx)
    if target is None:
        _nothing_in_progress(ctx, json_mode)
        return
    from asf_release.steps.process import release_status

    report = release_status(ctx, target, rc)
    if json_mode:
        output.print_json(report.to_json())
        return
    product = ctx.profile.project.product
    output.console.print(f"[bold]{escape(product)} {target}[/] ({target.kind.value} release), RC {report.rc}")
    output.print_table(
        ("step", "state", "detail"),
        [(escape(step.title), output.styled(step.state.value), escape(step.detail)) for step in report.steps],
    )
    # every step's exact command, automated or by hand, one line each so it pastes whole
    output.console.print("\ncommands:")
    for step in report.steps:
        if step.command:
            output.console.print(
                f"  {escape(step.name):<12} [dim]$[/] {escape(step.command)}", soft_wrap=True
            )
    upcoming = report.next
    if upcoming is None:
        output.console.print("[green]Every step is done.[/]")
    elif upcoming.command:
        output.console.print(f"next: [bold]{escape(upcoming.command)}[/]")
    else:
        output.console.print(f"next ({escape(upcoming.title)}): {escape(upcoming.detail)}")


def _current(ctx: Context) -> Version | None:
    releases = ctx.ledger.releases()
    return Version.parse(releases[-1]) if releases else None


def _nothing_in_progress(ctx: Context, json_mode: bool) -> None:
    released = ctx.names.final_versions(ctx.git.tags())
    latest = released[-1] if released else None
    suggestions = []
    if latest:
        suggestions = [
            str(Version(latest.major, latest.minor + 1, 0)),
            str(Version(latest.major, latest.minor, latest.patch + 1)),
        ]
    if json_mode:
        output.print_json(
            {
                "version": None,
                "latest_release": str(latest) if latest else None,
                "suggestions": suggestions,
            }
        )
        return
    output.console.print("No release in progress in this checkout.")
    if latest:
        output.console.print(f"Latest release: {latest}. Start the next one with:")
        for suggestion in suggestions:
            output.console.print(f"  asf-release propose {suggestion}")
