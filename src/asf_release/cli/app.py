"""The root command: global options, error handling and exit codes."""

from __future__ import annotations

import inspect
import itertools
import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

# typer vendors click since 0.2x; its classes and exception types live here
from typer import _click as click
from typer._click import exceptions as click_exceptions
from typer.core import TyperGroup

from asf_release import __version__
from asf_release.cli import output
from asf_release.cmdline import display
from asf_release.context import Context
from asf_release.errors import ExitCode, Interrupted, ReleaseError

HELP = """Run the Apache release process end to end, and verify a release candidate in one command.

Release manager: propose, branch, cherry-pick, keys, package, stage, images, vote, tally,
result, publish, promote, website, announce; `status` tells where a release stands and which
command comes next.
Voter: `verify` a release candidate and get the whole checklist answered.

Exit codes: 0 ok, 1 checks failed or vote not passed, 2 usage or configuration error,
3 an outside system failed, 4 a bug in asf-release (the message names the log with the
traceback), 130 interrupted by Ctrl-C (143 by SIGTERM; run the same command again to finish).
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
    plain: bool = False


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
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            metavar="",
            show_default=False,
            help="Say more: -v the steps, -vv every command run (a counter: repeat the letter, it takes no number).",
        ),
    ] = 0,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for failures too, bugs included.")
    ] = False,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain",
            help="Output for scripts and screen readers: no colour, no symbols, no progress bars, "
            "tables as aligned text (NO_COLOR=1 or TERM=dumb does the same).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    settings.project = project
    settings.verbose = verbose
    settings.debug = debug
    if plain and not output.plain:
        output.configure(plain_output=True)
    settings.plain = output.plain
    if verbose or debug:
        level = logging.DEBUG if debug or verbose >= 2 else logging.INFO
        logging.basicConfig(level=level, format="%(message)s", handlers=[_ConsoleHandler()])


class _ConsoleHandler(logging.Handler):
    """-v and -vv: log lines on stderr through the safe console, never wrapped, so a command shown
    there can be copied whole."""

    def emit(self, record: logging.LogRecord) -> None:
        output.errors.print(self.format(record), markup=False, style="dim", soft_wrap=True)


# --- help -----------------------------------------------------------------------------------------


def _commands(command: click.Command) -> Iterator[click.Command]:
    yield command
    if isinstance(command, TyperGroup):
        for child in command.commands.values():
            yield from _commands(child)


def command_tree(*, plain: bool) -> click.Command:
    """The click command of the whole CLI, its help ready to print. Rich help reads markup, so
    every help text is escaped (a `[smtp]` must show, not vanish); plain help is click's own
    formatter: no panels, no box drawing, text as written."""
    from rich.markup import escape

    root_command = typer.main.get_command(app)
    for command in _commands(root_command):
        if plain:
            command.rich_markup_mode = None  # type: ignore[attr-defined]
            continue
        if command.help:
            command.help = escape(_reflow(command.help))
        if command.short_help:
            command.short_help = escape(command.short_help)
        for param in command.params:
            text = getattr(param, "help", None)
            if text:
                param.help = escape(text)  # type: ignore[attr-defined]
    return root_command


def _reflow(text: str) -> str:
    """Rich help keeps the docstring's line breaks; a paragraph reads better as one, wrapped to the
    terminal (plain help, click's formatter, already does this)."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if p.startswith("\b") else " ".join(p.split("\n")) for p in paragraphs)


def _plain_asked(argv: Sequence[str]) -> bool:
    """--plain among the global options (before the command name), decided before any help prints."""
    takes_value = {"-C", "--project"}
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--plain":
            return True
        elif arg in takes_value:
            skip = True
        elif not arg.startswith("-"):
            return False
    return False


# --- running a command, and every way it can end ---------------------------------------------------


def run(argv: Sequence[str] | None = None) -> None:
    """Run the CLI on argv and exit with the documented code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        output.configure(plain_output=_plain_asked(args))
        command = command_tree(plain=output.plain)
        code = command.main(args=args, prog_name="asf-release", standalone_mode=False)
    except ReleaseError as error:
        if settings.debug:
            output.errors.print(traceback.format_exc(), markup=False)
        output.show_error(error)
        sys.exit(int(error.exit_code))
    except click_exceptions.ClickException as error:
        error.show()
        _counter_hint(error, args)
        sys.exit(int(ExitCode.USAGE) if error.exit_code == 2 else error.exit_code)
    except (Interrupted, typer.Abort, KeyboardInterrupt) as stop:
        sys.exit(interrupted(stop, args))
    except Exception as bug:
        sys.exit(report_bug(bug, args))
    sys.exit(code if isinstance(code, int) else 0)


def _counter_hint(error: click_exceptions.ClickException, args: list[str]) -> None:
    verbose_then_number = any(a in ("-v", "--verbose") and b.isdigit() for a, b in itertools.pairwise(args))
    if verbose_then_number and "No such command" in error.format_message():
        output.errors.print("[yellow]hint:[/] -v is a counter and takes no number: write -vv for more")


def _signal_of(stop: BaseException) -> Interrupted:
    """The signal behind an interruption (click turns Ctrl-C into Abort, keeping the cause)."""
    seen: BaseException | None = stop
    while seen is not None:
        if isinstance(seen, Interrupted):
            return seen
        seen = seen.__cause__ or seen.__context__
    return Interrupted()


def interrupted(stop: BaseException, args: list[str]) -> int:
    """Say where the release stands and the command that resumes; return the exit code."""
    from asf_release.steps.base import cut_short

    signal = _signal_of(stop)
    what = "terminated (SIGTERM)" if signal.exit_code == ExitCode.TERMINATED else "interrupted (Ctrl-C)"
    again = display(["asf-release", *args])
    step = cut_short()
    errors = output.errors
    errors.print()
    if step is None:
        errors.print(f"[yellow]{what}[/]: no step was midway.")
        errors.print(f"[yellow]hint:[/] run it again: {output.safe(again)}")
        return signal.exit_code
    release = step.release  # "" for a step that serves every release (the signing key in KEYS)
    rc = f"-rc{step.rc}" if release and step.rc else ""
    of = f" of {output.safe(release)}{rc}" if release else ""
    errors.print(
        f"[yellow]{what}[/] during {output.safe(step.name)}{of}: the ledger keeps what it started; "
        "the next run looks at the world and finishes it, doing nothing twice."
    )
    errors.print(f"[yellow]hint:[/] to finish, run again: {output.safe(again)}")
    if release:
        status = [
            "asf-release",
            *(["-C", str(settings.project)] if settings.project else []),
            "status",
            release,
        ]
        errors.print(f"      where the release stands: {output.safe(display(status))}")
    return signal.exit_code


def report_bug(bug: Exception, args: list[str]) -> int:
    """An exception nobody expected: one line that says it is a bug, the traceback in a log file."""
    text = "".join(traceback.format_exception(bug))
    if settings.debug:
        output.errors.print(text, markup=False)
    log = _bug_log(text, args)
    output.errors.print(
        f"[bold red]error:[/] this is a bug in asf-release: {output.safe(type(bug).__name__)}: "
        f"{output.safe(bug)}"
    )
    where = f"the traceback is in {output.safe(log)}" if log else "the traceback could not be written"
    output.errors.print(
        f"[yellow]hint:[/] {where}; please report it with that file (--debug shows it here). "
        "Run the same command again: what a step finished is kept."
    )
    return int(ExitCode.BUG)


def _bug_log(text: str, args: list[str]) -> Path | None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    header = f"asf-release {__version__}\ncommand: {display(['asf-release', *args])}\n\n"
    for folder in _log_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"bug-{stamp}-{os.getpid()}.log"
            path.write_text(header + text)
            return path
        except OSError:
            continue
    return None


def _log_folders() -> Iterator[Path]:
    """The checkout's state directory when there is one, else the person's state home."""
    from asf_release.ledger import state_dir

    start = (settings.project or Path.cwd()).resolve()
    checkout = next((folder for folder in (start, *start.parents) if (folder / ".git").exists()), None)
    if checkout is not None:
        try:
            logs: Path | None = state_dir(checkout, os.environ) / "logs"
        except OSError:  # a .git file naming a directory that cannot be read
            logs = None
        if logs is not None:
            yield logs
    home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    yield Path(home) / "asf-release" / "logs"
    yield Path(os.environ.get("TMPDIR", "/tmp")) / "asf-release-logs"
