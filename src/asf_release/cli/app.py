"""The root command: global options, error handling and exit codes."""

from __future__ import annotations

import logging
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

# typer vendors click since 0.2x; its exception types live here
from typer._click import exceptions as click_exceptions

from asf_release import __version__
from asf_release.cli import output
from asf_release.context import Context
from asf_release.errors import ExitCode, ReleaseError

HELP = """Run the Apache release process end to end, and verify a release candidate in one command.

Release manager: propose, branch, cherry-pick, keys, package, stage, images, vote, tally,
result, promote; `status` tells where a release stands and which command comes next.
Voter: `verify` a release candidate and get the whole checklist answered.

Exit codes: 0 ok, 1 checks failed or vote not passed, 2 usage or configuration error,
3 an outside system failed.
"""

app = typer.Typer(
    name="asf-release",
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass
class Settings:
    project: Path | None = None
    verbose: int = 0
    debug: bool = False


settings = Settings()


def context(*, dry_run: bool = False, json_mode: bool = False) -> Context:
    """The context for a command, from the global options."""
    return Context.load(
        settings.project, dry_run=dry_run, progress=output.RichProgress(enabled=not json_mode)
    )


def _show_version(value: bool) -> None:
    if value:
        output.console.print(f"asf-release {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-C",
            help="The project checkout to work on (default: the current directory).",
            file_okay=False,
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option("--verbose", "-v", count=True, help="Say more: -v steps, -vv every command run."),
    ] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for failures too.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    settings.project = project
    settings.verbose = verbose
    settings.debug = debug
    if verbose or debug:
        from rich.logging import RichHandler

        level = logging.DEBUG if debug or verbose >= 2 else logging.INFO
        handler = RichHandler(console=output.errors, show_path=False)
        logging.basicConfig(level=level, format="%(message)s", handlers=[handler])


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="asf-release", standalone_mode=False)
    except ReleaseError as error:
        if settings.debug:
            output.errors.print(traceback.format_exc(), markup=False)
        output.show_error(error)
        sys.exit(int(error.exit_code))
    except click_exceptions.ClickException as error:
        error.show()
        sys.exit(int(ExitCode.USAGE) if error.exit_code == 2 else error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        output.errors.print(
            "[yellow]interrupted.[/] Nothing is left half-done that the same command cannot finish: run it again."
        )
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
