"""The face: one small function per command; parses, calls the library, renders.

`main` installs the signal handlers before anything heavy is imported, so Ctrl-C or SIGTERM at
any moment ends in a sentence and an exit code, never a traceback: during start-up nothing has
been done yet; later every `finally` runs (temporary directories go, servers stop) and the
command says where the release stands and what resumes it.

Command modules register in the order of the process, which is the order `--help` shows.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType

from asf_release.errors import Interrupted

COMMAND_MODULES = ("status", "prepare", "release", "vote", "verify", "project", "demo")


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install_signal_handlers() -> None:
    """SIGINT and SIGTERM raise Interrupted: SIGTERM is handled exactly as Ctrl-C is."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)


def load_commands() -> None:
    import importlib

    from asf_release import crashpoints

    importlib.import_module("asf_release.cli.app")
    crashpoints.reached("startup")
    for module in COMMAND_MODULES:
        importlib.import_module(f"asf_release.cli.{module}")


def main(argv: Sequence[str] | None = None) -> None:
    install_signal_handlers()
    try:
        load_commands()
        from asf_release.cli.app import run
    except Interrupted as stop:
        sys.stderr.write(f"\n{_started_word(stop)} while starting: nothing was done.\n")
        sys.exit(stop.exit_code)
    except Exception as bug:  # a bug while starting: reported as any bug is, when that part loaded
        app = sys.modules.get("asf_release.cli.app")
        if app is None:
            raise
        sys.exit(app.report_bug(bug, list(sys.argv[1:] if argv is None else argv)))
    run(argv)


def _started_word(stop: Interrupted) -> str:
    return "terminated" if stop.signum == signal.SIGTERM else "interrupted"


__all__ = ["COMMAND_MODULES", "install_signal_handlers", "load_commands", "main"]
