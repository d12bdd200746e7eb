"""Named points where tests kill the running command, to prove every step finishes when run again.

Set ASF_RELEASE_CRASH_AT to a point's name and the process (with its children) is killed there
with SIGKILL, as a power cut or a Ctrl-\\ would. Unset, a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "ASF_RELEASE_CRASH_AT"


def reached(name: str) -> None:
    if os.environ.get(ENV) == name:
        kill_now()


def during(argv: list[str]) -> bool:
    """Whether to kill the command while this subprocess runs (ENV = "during svn commit", say)."""
    wanted = os.environ.get(ENV, "")
    return wanted.startswith("during ") and " ".join(argv).startswith(wanted.removeprefix("during "))


def kill_now() -> None:
    os.killpg(os.getpgrp(), signal.SIGKILL)
