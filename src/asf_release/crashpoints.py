"""Named points where tests stop the running command, to prove every step finishes when run again.

Set ASF_RELEASE_CRASH_AT to a point's name and the command is stopped there. How is
ASF_RELEASE_CRASH_WITH:
  KILL (default) SIGKILL to the process group, as a power cut would: nothing runs after it;
  INT            SIGINT to the process group, as Ctrl-C in a terminal does;
  TERM           SIGTERM to the process alone, as `kill PID` or a service manager does;
  BUG            an exception nobody expects, as a bug in asf-release would raise.
Unset, a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "ASF_RELEASE_CRASH_AT"
HOW = "ASF_RELEASE_CRASH_WITH"


class InjectedBug(RuntimeError):
    """What ASF_RELEASE_CRASH_WITH=BUG raises: stands for any exception asf-release did not expect."""


def reached(name: str) -> None:
    if os.environ.get(ENV) == name:
        kill_now()


def during(argv: list[str]) -> bool:
    """Whether to kill the command while this subprocess runs (ENV = "during svn commit", say)."""
    wanted = os.environ.get(ENV, "")
    if not wanted.startswith("during "):
        return False
    # a command run under a wrapper (bubblewrap) is named by what follows the wrapper's "--"
    starts = [0, *[i + 1 for i, arg in enumerate(argv) if arg == "--"][:1]]
    return any(" ".join(argv[start:]).startswith(wanted.removeprefix("during ")) for start in starts)


def kill_now() -> None:
    how = os.environ.get(HOW, "KILL").upper()
    if how == "INT":
        os.killpg(os.getpgrp(), signal.SIGINT)
    elif how == "TERM":
        os.kill(os.getpid(), signal.SIGTERM)
    elif how == "BUG":
        raise InjectedBug(f"crash point {os.environ.get(ENV)!r} ({HOW}=BUG)")
    else:
        os.killpg(os.getpgrp(), signal.SIGKILL)
