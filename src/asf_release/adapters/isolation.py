"""Running code we do not trust: an RC's build and test commands, a project's packaging script.

Such code gets nothing of ours. Its environment is built from nothing (PATH, a temporary HOME and
TMPDIR, LANG and LC_ALL, and proxies that carry no credentials when it may use the network): no
ASF_RELEASE_* variable, no agent socket, not our GnuPG home. When bubblewrap (`bwrap`, Debian
package bubblewrap) works on this machine, an RC's build also runs in its sandbox: the whole file
system read-only, the homes, /tmp and /run replaced by empty ones, only the build's tree and its
temporary home writable, its own process tree, and no network unless the profile allows it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from asf_release.adapters import proc

_PROXIES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
# Names that carry secrets in a packaging command's environment, whoever set them.
_SECRET_NAME = re.compile(r"PASSWORD|PASSPHRASE|SECRET|TOKEN|CREDENTIAL|^ASF_RELEASE_", re.IGNORECASE)
_AGENTS = ("SSH_AUTH_SOCK", "SSH_AGENT_PID", "GPG_AGENT_INFO")


@dataclass(frozen=True)
class Isolation:
    kind: str  # "bubblewrap" or "none"
    detail: str  # for the report: what the code could and could not reach
    network: bool
    error: str = ""  # set when the isolation asked for is not available

    def prefix(self, tree: Path, home: Path) -> list[str]:
        """The argv that runs a command in this isolation (nothing without bubblewrap)."""
        if self.kind != "bubblewrap":
            return []
        return _bwrap(tree, home, network=self.network)


def choose(wanted: str, *, network: bool, path: str | None = None) -> Isolation:
    """The isolation to use: `auto` takes bubblewrap when it works here, else none."""
    if wanted != "none":
        problem = _bubblewrap_problem(network, path if path is not None else os.environ.get("PATH", ""))
        if not problem:
            where = "network on" if network else "network off"
            return Isolation(
                "bubblewrap",
                f"isolated by bubblewrap: {where}, only the source tree writable, homes and /tmp empty",
                network,
            )
        if wanted == "bubblewrap":
            return Isolation(
                "none",
                "",
                network,
                error=f"build.isolation asks for bubblewrap, which cannot run here: {problem}",
            )
        return Isolation("none", f"no isolation ({problem}); a minimal environment only", network)
    return Isolation("none", "no isolation (build.isolation = none); a minimal environment only", network)


def bubblewrap_works(*, network: bool) -> bool:
    return not _bubblewrap_problem(network, os.environ.get("PATH", ""))


@functools.cache
def _bubblewrap_problem(network: bool, path: str) -> str:
    """Why bubblewrap cannot isolate a command here ('' when it can): tried once, for real."""
    bwrap = shutil.which("bwrap", path=path)
    if bwrap is None:
        return "bwrap is not installed (apt-get install bubblewrap)"
    probe = Path(os.environ.get("TMPDIR", "/tmp"))
    argv = [bwrap, *_bwrap(probe, probe, network=network)[1:], "true"]
    try:
        done = subprocess.run(  # noqa: S603 - argv list, no shell
            argv, capture_output=True, text=True, timeout=30, check=False, env=minimal_env(probe)
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not start ({error})"
    if done.returncode != 0:
        return f"bwrap cannot create its sandbox here: {done.stderr.strip().splitlines()[-1:] or done.returncode}"
    return ""


def _bwrap(tree: Path, home: Path, *, network: bool) -> list[str]:
    argv = ["bwrap", "--die-with-parent", "--new-session", "--unshare-all"]
    if network:
        argv.append("--share-net")
    argv += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for hidden in ("/tmp", "/var/tmp", "/run", "/home", "/root"):
        if Path(hidden).is_dir():
            argv += ["--tmpfs", hidden]
    for writable in dict.fromkeys([str(home), str(tree)]):  # after the tmpfs: they show through
        argv += ["--bind", writable, writable]
    argv += ["--chdir", str(tree), "--"]
    return argv


def minimal_env(
    home: Path, *, network: bool = False, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """All an untrusted command gets: PATH (absolute entries only), HOME and TMPDIR of its own,
    a UTF-8 locale, and, when it may use the network, the proxies that carry no credentials."""
    environ = os.environ if environ is None else environ
    path = ":".join(p for p in environ.get("PATH", "").split(":") if p.startswith("/")) or "/usr/bin:/bin"
    env = {
        "PATH": path,
        "HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    if network:
        for name in _PROXIES:
            value = environ.get(name)
            if value and _without_credentials(value):
                env[name] = value
    return env


def _without_credentials(value: str) -> bool:
    try:
        parsed = urllib.parse.urlsplit(value if "://" in value else f"http://{value}")
        return parsed.username is None and parsed.password is None
    except ValueError:
        return False


def without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """Our environment minus what a project's own script must not see: our variables, agent
    sockets, anything named like a password or token, proxies carrying credentials."""
    return {
        name: value
        for name, value in environ.items()
        if not _SECRET_NAME.search(name)
        and name not in _AGENTS
        and (name not in _PROXIES or _without_credentials(value))
    }


def run(
    argv: Sequence[str],
    *,
    tree: Path,
    home: Path,
    isolation: Isolation,
    timeout: float,
    stdout: IO[bytes],
) -> proc.Completed:
    """Run an untrusted command in tree, with home as its HOME, its output to stdout."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    return proc.run(
        [*isolation.prefix(tree, home), *argv],
        cwd=tree,
        env=minimal_env(home, network=isolation.network),
        inherit_env=False,
        timeout=timeout,
        check=False,
        stdout=stdout,
    )
