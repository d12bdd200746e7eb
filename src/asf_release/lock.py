"""One writer per checkout: a lock on the state directory around every step that changes things.

An advisory lock (flock) on `lock` in the state directory: the kernel drops it when its process
ends, however it ends, so a killed run never leaves a stale lock. The holder writes who it is (pid,
command, since when) into the file, so a second command that waited in vain can say so. Within one
process the lock is re-entrant (a step run inside another).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from asf_release.errors import ConfigError, ExternalError, UsageError

LOCK_FILE = "lock"
WAIT_ENV = "ASF_RELEASE_LOCK_WAIT"
DEFAULT_WAIT = 10.0  # seconds a second command waits for the first before saying who holds it
_POLL = 0.1

_held: dict[Path, int] = {}  # lock file -> how many times this process holds it


class Busy(UsageError):
    """Another command is changing this checkout; nothing was done."""


def wait_seconds(env: Mapping[str, str]) -> float:
    text = env.get(WAIT_ENV, "").strip()
    if not text:
        return DEFAULT_WAIT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 24 * 3600:
        raise ConfigError(
            f"{WAIT_ENV} is '{text}': expected a number of seconds, from 0 to 86400",
            f"unset it to wait {DEFAULT_WAIT:g} s",
        )
    return seconds


@contextmanager
def writer(state_dir: Path, command: str, *, wait: float = DEFAULT_WAIT) -> Iterator[None]:
    """Hold the checkout's writer lock while the block runs; wait at most `wait` seconds for it."""
    path = state_dir / LOCK_FILE
    if _held.get(path):
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    try:
        handle = path.open("a+b", buffering=0)  # unbuffered: a full disk fails the write, once
    except OSError as error:
        raise ExternalError(
            f"cannot open the lock file {path} ({error.strerror or error})",
            "check that the state directory is writable (ASF_RELEASE_STATE_DIR moves it)",
        ) from None
    try:
        _acquire(handle, path, wait)
        _say_who(handle, command)
        _held[path] = 1
        try:
            yield
        finally:
            _held.pop(path, None)
            with suppress(OSError):
                handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _acquire(handle: IO[bytes], path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Busy(
                    f"another asf-release command is changing this checkout: {_holder(path)}",
                    f"wait until it ends, then run this command again (it waited {wait:g} s; "
                    f"{WAIT_ENV}=SECONDS waits longer)",
                ) from None
            time.sleep(_POLL)


def _say_who(handle: IO[bytes], command: str) -> None:
    since = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        handle.seek(0)
        handle.truncate()
        handle.write((json.dumps({"pid": os.getpid(), "command": command, "since": since}) + "\n").encode())
    except OSError:
        pass  # a full disk: the lock holds all the same, only its holder goes unnamed


def _holder(path: Path) -> str:
    try:
        who = json.loads(path.read_text(encoding="utf-8"))
        return f"pid {int(who['pid'])}, `{who['command']}`, since {who['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "a command that has not said who it is yet"
