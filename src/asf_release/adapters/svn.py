"""Subversion: the real svn client, never interactive, returning plain data.

Credentials: svn's own cached credentials, or the password in $ASF_RELEASE_SVN_PASSWORD, which is
given to svn on its standard input (never in argv).
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from asf_release.adapters import proc
from asf_release.errors import ExternalError, ToolFailed

PASSWORD_ENV = "ASF_RELEASE_SVN_PASSWORD"
_NOT_FOUND = ("E170000", "W170000", "E155010", "W155010", "E200009", "E160013", "E170013")
_COMMITTED = re.compile(r"Committed revision (\d+)\.")


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # "file" or "dir"
    size: int
    revision: int


@dataclass(frozen=True)
class Info:
    url: str
    kind: str
    revision: int
    last_changed_revision: int
    root: str


@dataclass(frozen=True)
class LogEntry:
    revision: int
    author: str
    date: str
    message: str


@dataclass(frozen=True)
class StatusItem:
    path: str
    item: str  # added, deleted, modified, unversioned, missing, normal, conflicted...


class Svn:
    def __init__(
        self,
        username: str = "",
        env: Mapping[str, str] | None = None,
        config_dir: Path | None = None,
    ) -> None:
        self.username = username
        self.env = dict(env or {})
        self.config_dir = config_dir
        self._password = (env or os.environ).get(PASSWORD_ENV, "") or os.environ.get(PASSWORD_ENV, "")

    def run(
        self,
        *args: str,
        cwd: Path | None = None,
        check: bool = True,
        timeout: float | None = 600,
        hint: str | None = None,
    ) -> proc.Completed:
        argv = ["svn", "--non-interactive"]
        if self.config_dir:
            argv += ["--config-dir", str(self.config_dir)]
        if self.username:
            argv += ["--username", self.username]
        stdin = None
        if self._password:
            argv.append("--password-from-stdin")
            stdin = self._password + "\n"
        return proc.run(
            [*argv, *args],
            cwd=cwd,
            env=self.env,
            input=stdin,
            check=check,
            timeout=timeout,
            secrets=[self._password] if self._password else (),
            hint=hint
            or "check the URL and your svn credentials (svn caches them after a first "
            f"interactive login, or set {PASSWORD_ENV})",
        )

    # --- reading ------------------------------------------------------------------------------
    def info(self, target: str | Path) -> Info | None:
        done = self.run("info", "--xml", str(target), check=False)
        if done.returncode != 0:
            if _not_found(done.stderr):
                return None
            raise ToolFailed(done.argv, done.returncode, done.stderr)
        entry = ET.fromstring(done.stdout).find("entry")
        if entry is None:
            return None
        commit = entry.find("commit")
        return Info(
            url=entry.findtext("url", ""),
            kind=entry.get("kind", ""),
            revision=int(entry.get("revision", "0")),
            last_changed_revision=int(commit.get("revision", "0")) if commit is not None else 0,
            root=entry.findtext("repository/root", ""),
        )

    def exists(self, url: str) -> bool:
        return self.info(url) is not None

    def ls(self, url: str) -> list[Entry] | None:
        """Entries of a directory, or None when it does not exist."""
        done = self.run("list", "--xml", url, check=False)
        if done.returncode != 0:
            if _not_found(done.stderr):
                return None
            raise ToolFailed(done.argv, done.returncode, done.stderr)
        return parse_list(done.stdout, url)

    def cat(self, url: str) -> bytes | None:
        done = self.run("cat", url, check=False)
        if done.returncode != 0:
            if _not_found(done.stderr):
                return None
            raise ToolFailed(done.argv, done.returncode, done.stderr)
        return done.data

    def export(self, url: str, dest: Path) -> None:
        """Write one file of the repository to dest (streamed by svn, never held in memory)."""
        self.run("export", "--quiet", "--force", url, str(dest))

    def log(self, url: str, limit: int = 10) -> list[LogEntry]:
        done = self.run("log", "--xml", "--limit", str(limit), url)
        return [
            LogEntry(
                revision=int(node.get("revision", "0")),
                author=node.findtext("author", ""),
                date=node.findtext("date", ""),
                message=node.findtext("msg", ""),
            )
            for node in ET.fromstring(done.stdout).iter("logentry")
        ]

    # --- working copies -----------------------------------------------------------------------
    def checkout(self, url: str, path: Path, depth: str = "empty") -> None:
        self.run("checkout", "--quiet", "--depth", depth, url, str(path))

    def update(self, paths: Sequence[Path], set_depth: str | None = None) -> None:
        args = ["update", "--quiet"]
        if set_depth:
            args += ["--set-depth", set_depth]
        self.run(*args, *map(str, paths))

    def status(self, path: Path) -> list[StatusItem]:
        done = self.run("status", "--xml", str(path))
        items = []
        for node in ET.fromstring(done.stdout).iter("entry"):
            status = node.find("wc-status")
            items.append(
                StatusItem(node.get("path", ""), status.get("item", "") if status is not None else "")
            )
        return items

    def add(self, paths: Sequence[Path]) -> None:
        self.run("add", "--quiet", "--force", "--parents", *map(str, paths))

    def delete(self, paths: Sequence[Path]) -> None:
        self.run("delete", "--quiet", "--force", *map(str, paths))

    def revert(self, path: Path) -> None:
        self.run("revert", "--quiet", "--recursive", str(path))

    def cleanup(self, path: Path) -> None:
        self.run("cleanup", str(path))

    def commit(self, path: Path, message: str, targets: Sequence[Path] = ()) -> int | None:
        """Commit; return the new revision, or None when there was nothing to commit."""
        done = self.run("commit", "--message", message, *(map(str, targets or [path])), cwd=path)
        found = _COMMITTED.search(done.stdout)
        return int(found.group(1)) if found else None

    # --- server-side --------------------------------------------------------------------------
    def mkdir(self, url: str, message: str) -> None:
        self.run("mkdir", "--parents", "--message", message, url)

    def move(self, source: str, target: str, message: str) -> int | None:
        done = self.run("move", "--message", message, source, target)
        found = _COMMITTED.search(done.stdout)
        return int(found.group(1)) if found else None

    def import_(self, path: Path, url: str, message: str) -> None:
        self.run("import", "--quiet", "--message", message, str(path), url)


def parse_list(text: str, url: str = "") -> list[Entry]:
    """The entries of `svn list --xml` output. Names are as the server gave them: sources.unsafe()
    judges them before any is used as a file name."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise ExternalError(f"svn list {url} gave output that is not XML ({error})") from None
    entries = []
    for node in root.iter("entry"):
        commit = node.find("commit")
        entries.append(
            Entry(
                name=node.findtext("name", ""),
                kind=node.get("kind", ""),
                size=_number(node.findtext("size")),
                revision=_number(commit.get("revision")) if commit is not None else 0,
            )
        )
    return entries


def _number(text: str | None) -> int:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else 0


def _not_found(stderr: str) -> bool:
    return any(code in stderr for code in _NOT_FOUND)


def join(url: str, *parts: str) -> str:
    return "/".join([url.rstrip("/"), *(p.strip("/") for p in parts if p)])
