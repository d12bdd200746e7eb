"""Commands about the project's set-up: init, profile."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from asf_release import profile as profile_module
from asf_release.cli import output
from asf_release.cli.app import app, context
from asf_release.cli.options import DryRun, Json
from asf_release.errors import Refused


@app.command(rich_help_panel="Set-up and rehearsal")
def init(
    base: Annotated[
        str, typer.Option("--profile", help="Built-in profile to start from.")
    ] = profile_module.DEFAULT_PROFILE,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing asf-release.toml.")] = False,
    dry_run: DryRun = False,
) -> None:
    """Write asf-release.toml at the project root, with every key of the profile commented out.

    Example: asf-release init
    """
    ctx = context(dry_run=dry_run)
    target = ctx.require_project() / profile_module.PROJECT_FILE
    text = profile_module.init_text(base)
    if target.exists() and not force:
        raise Refused(
            f"{target} already exists",
            "edit it, or pass --force to write it again from the profile",
        )
    if dry_run:
        output.console.print(f"would write {target} ({len(text.splitlines())} lines)")
        return
    target.write_text(text)
    output.console.print(f"wrote {escape(str(target))}: uncomment a key to override the '{base}' profile")


@app.command("profile", rich_help_panel="Set-up and rehearsal")
def show_profile(
    json_mode: Json = False,
    available: Annotated[bool, typer.Option("--list", help="List the built-in profiles.")] = False,
) -> None:
    """Print the effective profile: the built-in one with the project's and your overrides.

    Example: asf-release profile --json
    """
    if available:
        names = profile_module.builtin_names()
        output.print_json(names) if json_mode else output.console.print("\n".join(names))
        return
    ctx = context(json_mode=json_mode)
    prof = ctx.profile
    if json_mode:
        output.print_json({"profile": prof.name, "sources": list(prof.sources), "values": prof.as_dict()})
        return
    layers = " < ".join([f"built-in '{prof.name}'", *prof.sources])
    output.console.print(f"[dim]# layers: {escape(layers)}[/]")
    output.console.print(escape(profile_module.to_toml(prof)), end="")
