"""One error family for every expected failure: a message for people, a hint, an exit code."""

from __future__ import annotations

import errno
import signal
from collections.abc import Sequence
from enum import IntEnum

from asf_release.cmdline import display


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # checks failed, vote not passed
    USAGE = 2  # usage or configuration error
    EXTERNAL = 3  # an outside system failed
    BUG = 4  # an exception asf-release did not expect: a bug, its traceback in a log file
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    TERMINATED = 143  # SIGTERM (128 + SIGTERM)


class Interrupted(BaseException):
    """A signal asked us to stop (SIGINT or SIGTERM). Raised from the signal handler so that every
    `finally` runs (temporary directories go, servers stop) and the ledger keeps the step's intent
    without a result, which the next run finishes. Not a KeyboardInterrupt: click and typer turn
    that into a silent exit, and this must reach the CLI, which says where the release stands."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return ExitCode.TERMINATED if self.signum == signal.SIGTERM else 128 + self.signum


class ReleaseError(Exception):
    """An expected failure. The CLI prints message and hint; never a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(ReleaseError):
    """The command was asked something it cannot do (bad version, wrong branch...)."""


class ConfigError(ReleaseError):
    """A profile or configuration file is wrong; names the file, the key and what was expected."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        where = [
            part
            for part in (file, f"line {line}" if line is not None else "", f"key '{key}'" if key else "")
            if part
        ]
        super().__init__(f"{', '.join(where)}: {message}" if where else message, hint)
        self.file = file
        self.key = key
        self.line = line


class Refused(UsageError):
    """A safety rule refused the action; nothing was changed."""


class Failed(ReleaseError):
    """Checks failed or a vote did not pass: the answer is 'no', not a malfunction."""

    exit_code = ExitCode.FAILED


class ExternalError(ReleaseError):
    """An outside system (a tool, a server, the network) failed."""

    exit_code = ExitCode.EXTERNAL


class ToolNotFound(ExternalError):
    def __init__(self, tool: str, hint: str | None = None) -> None:
        super().__init__(
            f"'{tool}' is not installed or not on PATH",
            hint or f"install {tool} (on Debian: apt-get install {_DEBIAN_PACKAGE.get(tool, tool)})",
        )
        self.tool = tool


class ToolFailed(ExternalError):
    """A subprocess exited with an error; carries its masked argv and stderr."""

    def __init__(
        self,
        argv: Sequence[str],
        returncode: int,
        stderr: str,
        hint: str | None = None,
        *,
        timed_out: bool = False,
    ) -> None:
        shown = display(argv)
        tail = _tail(stderr)
        if "No space left on device" in stderr or "Disk quota exceeded" in stderr:
            hint = DISK_FULL_HINT
        if timed_out:
            message = f"'{shown}' did not finish in time"
        else:
            message = f"'{shown}' failed (exit {returncode})"
        if tail:
            message += f":\n{tail}"
        super().__init__(message, hint)
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr
        self.timed_out = timed_out


DISK_FULL_HINT = "the disk is full: free space on it, then run the command again; it finishes the job"


def os_failure(error: OSError) -> ExternalError:
    """An error of the operating system met while acting (a full disk, a file that cannot be
    written), said to a person."""
    where = f" {error.filename}" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExternalError(
            f"no space left on the device holding{where or ' a file being written'}", DISK_FULL_HINT
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return ExternalError(
            f"cannot write{where} ({error.strerror})",
            "check the permissions of that directory, then run again",
        )
    return ExternalError(
        f"the system refused an operation on{where or ' a file'} ({error.strerror or error})",
        "fix the cause, then run the command again; it finishes the job",
    )


def _tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


_DEBIAN_PACKAGE = {
    "svn": "subversion",
    "svnadmin": "subversion",
    "svnserve": "subversion",
    "gpg": "gnupg",
    "gpgconf": "gnupg",
    "registry": "docker-registry",
    "docker-registry": "docker-registry",
}
