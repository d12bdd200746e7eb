"""The one place that runs subprocesses: timeout, masked argv in the log, typed errors."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from asf_release import crashpoints
from asf_release.cmdline import MASK, display, mask
from asf_release.errors import ToolFailed, ToolNotFound

log = logging.getLogger("asf_release.proc")

DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    data: bytes  # raw stdout
    stderr: str
    seconds: float

    @property
    def stdout(self) -> str:
        return self.data.decode(errors="replace")


__all__ = ["MASK", "Completed", "display", "feed", "mask", "run", "stream", "tool_env"]


def tool_env(extra: Mapping[str, str] | None = None, *, inherit: bool = True) -> dict[str, str]:
    """The caller's environment (or, not inheriting it, only `extra`) with messages in English,
    so tools' output can be parsed."""
    env = dict(os.environ) if inherit else {}
    env["LC_MESSAGES"] = "C"
    env.pop("LANGUAGE", None)
    if extra:
        env.update(extra)
    return env


def run(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    check: bool = True,
    secrets: Sequence[str] = (),
    hint: str | None = None,
    stdout: IO[bytes] | None = None,
    inherit_env: bool = True,
) -> Completed:
    """Run argv (never through a shell) and return its output as text.

    stdout, when given, receives the raw output instead (for large or binary output).
    inherit_env=False runs it with `env` alone (code we do not trust: see adapters/isolation).
    """
    shown = mask(argv, secrets)
    log.debug("run: %s%s", display(shown), f"  (in {cwd})" if cwd else "")
    data = input.encode() if isinstance(input, str) else input
    if crashpoints.during(shown):
        _crash_while_running(argv, cwd, env)
    started = time.monotonic()
    try:
        proc = subprocess.run(  # noqa: S603 - argv list, no shell
            list(argv),
            cwd=cwd,
            env=tool_env(env, inherit=inherit_env),
            input=data,
            stdin=None if data is not None else subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        if cwd is not None and not Path(cwd).is_dir():
            raise ToolFailed(shown, -1, f"working directory {cwd} does not exist", hint) from exc
        raise ToolNotFound(argv[0]) from exc
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        raise ToolFailed(shown, -1, stderr, hint, timed_out=True) from exc
    seconds = time.monotonic() - started
    out = proc.stdout if isinstance(proc.stdout, bytes) else b""
    err = proc.stderr.decode(errors="replace") if proc.stderr else ""
    for secret in secrets:
        if secret:
            err = err.replace(secret, MASK)
    log.debug("exit %s after %.2fs: %s", proc.returncode, seconds, shown[0])
    if check and proc.returncode != 0:
        raise ToolFailed(shown, proc.returncode, err or out.decode(errors="replace"), hint)
    return Completed(tuple(shown), proc.returncode, out, err, seconds)


def _crash_while_running(argv: Sequence[str], cwd: Path | str | None, env: Mapping[str, str] | None) -> None:
    """Start the command, give it a moment to get going, then kill everything (tests only).
    When the crash is a signal we survive long enough to handle (SIGINT, SIGTERM), the tool is
    stopped as `run` stops it for any interruption."""
    child = subprocess.Popen(list(argv), cwd=cwd, env=tool_env(env), stdin=subprocess.DEVNULL)  # noqa: S603
    time.sleep(0.05)
    try:
        crashpoints.kill_now()
    finally:
        _kill(child)


def _start(
    argv: Sequence[str],
    *,
    cwd: Path | str | None,
    env: Mapping[str, str] | None,
    stdin: int,
    stdout: int | IO[bytes],
    stderr: IO[bytes],
) -> subprocess.Popen[bytes]:
    """Start argv (never through a shell) in the tools' environment; a missing tool is ToolNotFound."""
    try:
        return subprocess.Popen(  # noqa: S603 - argv list, no shell
            list(argv), cwd=cwd, env=tool_env(env), stdin=stdin, stdout=stdout, stderr=stderr
        )
    except FileNotFoundError as exc:
        raise ToolNotFound(argv[0]) from exc


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill the tool if it still runs (the caller stopped early, or it timed out), and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait()


@contextmanager
def stream(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    hint: str | None = None,
) -> Iterator[IO[bytes]]:
    """Run argv and yield its stdout as a byte stream; raise ToolFailed if it then fails."""
    shown = mask(argv)
    log.debug("stream: %s", display(shown))
    # stderr goes to a file: a chatty tool must not block on a full pipe nobody reads
    with tempfile.TemporaryFile() as errfile:
        proc = _start(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errfile
        )
        assert proc.stdout is not None
        try:
            yield proc.stdout
            while proc.stdout.read(1 << 16):  # drain what the caller left, so the tool can exit
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise ToolFailed(shown, -1, "", hint, timed_out=True) from exc
            if proc.returncode != 0:
                errfile.seek(0)
                raise ToolFailed(shown, proc.returncode, errfile.read().decode(errors="replace"), hint)
        finally:
            _kill(proc)
            proc.stdout.close()


class Feed:
    """A running tool whose standard input the caller writes, chunk by chunk (see `feed`)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self.broken = False  # the tool stopped reading (it exits early, having seen enough)
        self.result: Completed | None = None

    def write(self, data: bytes) -> None:
        if self.broken or self._process.stdin is None:
            return
        try:
            self._process.stdin.write(data)
        except (BrokenPipeError, OSError):
            self.broken = True


@contextmanager
def feed(
    argv: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Iterator[Feed]:
    """Run argv and let the caller write its standard input while reading a large input once
    (so a file is hashed, checked and fed to the tool in the same pass). After the block,
    `.result` holds the tool's outcome; the exit code is not checked (the caller interprets it).
    stdout and stderr go to files: a tool must not block on a full pipe nobody reads."""
    shown = mask(argv)
    log.debug("feed: %s", display(shown))
    with tempfile.TemporaryFile() as outfile, tempfile.TemporaryFile() as errfile:
        started = time.monotonic()
        process = _start(argv, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=outfile, stderr=errfile)
        fed = Feed(process)
        try:
            yield fed
            if process.stdin is not None:
                with contextlib.suppress(BrokenPipeError, OSError):
                    process.stdin.close()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise ToolFailed(shown, -1, "", timed_out=True) from exc
        finally:
            _kill(process)
        outfile.seek(0)
        errfile.seek(0)
        fed.result = Completed(
            tuple(shown),
            process.returncode,
            outfile.read(),
            errfile.read().decode(errors="replace"),
            time.monotonic() - started,
        )
