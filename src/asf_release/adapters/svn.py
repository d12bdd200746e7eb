"""Subversion: the real svn client, never interactive, returning plain data.

Credentials: svn's own cached credentials, or the password in $ASF_RELEASE_SVN_PASSWORD, which is
given to svn on its standard input (never in argv).

"Not there" is an answer only the repository gives: ls, cat and info return None when svn says the
path does not exist in a repository it reached, and raise `Unavailable` (exit 3) when svn could not
ask (the server is down or unreachable, the credentials were refused, no repository at that
address). svn tells these apart by its error codes, read by diagnose().
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
_COMMITTED = re.compile(r"Committed revision (\d+)\.")


# --- what svn's error codes say ------------------------------------------------------------------
_CODE = re.compile(r"\b([EW])(\d{6}): ?(.*)")
# The path is not in the repository that answered: "path not found" (160013), "non-existent in
# revision" / "doesn't exist" (170000, over http), a node a working copy lacks (155010); 200009
# ("some targets don't exist") only sums those up.
_ABSENT = frozenset({"160013", "170000", "155010"})
_SUMMARY = "200009"
_UNABLE_TO_CONNECT = "170013"  # the repository could not be opened at all: never "not there"
# The credentials: none or wrong (170001), none left to try (215004), forbidden (175013), a path the
# server's authz hides (220001).
_CREDENTIALS = frozenset({"170001", "215004", "175013", "220001"})
# No repository at that address: svnserve (210005), a file:// URL (180001), a web server without
# Subversion there (175003), an http server that knows no repository there (160013 right after
# 170013).
_NO_REPOSITORY = frozenset({"210005", "180001", "175003"})
UNREACHABLE_HINT = (
    "check the URL (the profile's dist URLs), your network and that the svn server is up, then run the "
    "command again"
)
CREDENTIALS_HINT = (
    f"check your svn credentials: svn caches them after a first interactive login, or set {PASSWORD_ENV}"
)


@dataclass(frozen=True)
class Diagnosis:
    """What a failed svn command says: 'absent' (the repository answered: the path is not there),
    'unreachable', 'credentials', 'no-repository', or 'other'; and svn's own words for it."""

    kind: str
    reason: str

    @property
    def absent(self) -> bool:
        return self.kind == "absent"


def diagnose(stderr: str) -> Diagnosis:
    """Read svn's error codes (E170013, W160013...) out of its stderr."""
    codes = [
        _absent_only_if_said(m.group(1), m.group(2), m.group(3)) for m in _CODE.finditer(stderr[-64_000:])
    ]
    numbers = [number for _, number, _ in codes]
    reason = one_reason(stderr)
    if _UNABLE_TO_CONNECT in numbers:
        after = numbers[numbers.index(_UNABLE_TO_CONNECT) + 1 :]
        if any(n in _CREDENTIALS for n in after):
            return Diagnosis("credentials", reason)
        if any(n in _NO_REPOSITORY or n == "160013" for n in after):
            return Diagnosis("no-repository", reason)
        return Diagnosis("unreachable", reason)
    if any(n in _CREDENTIALS for n in numbers):
        return Diagnosis("credentials", reason)
    if any(n in _NO_REPOSITORY for n in numbers):
        return Diagnosis("no-repository", reason)
    errors = [n for kind, n, _ in codes if kind == "E"]
    said_absent = any(n in _ABSENT for n in numbers)
    if said_absent and all(n in _ABSENT or n == _SUMMARY for n in errors) and not _other_warning(codes):
        return Diagnosis("absent", reason)
    return Diagnosis("other", reason)


def _absent_only_if_said(kind: str, number: str, text: str) -> tuple[str, str, str]:
    """170000 is also "Illegal repository URL" (a wrong URL, not a missing path): it says "not
    there" only with words to that effect."""
    if number == "170000" and not re.search(r"non-existent|doesn't exist|does not exist|not found", text):
        return kind, "170000-illegal", text
    return kind, number, text


def _other_warning(codes: list[tuple[str, str, str]]) -> bool:
    """A warning other than 'not found' (W195007: 'refers to a directory'): the path is there."""
    return any(kind == "W" and number not in _ABSENT for kind, number, _ in codes)


def one_reason(stderr: str) -> str:
    """svn's most telling line: the cause under 'Unable to connect', else its last error line."""
    lines: list[str] = [m.group(3).strip() for m in _CODE.finditer(stderr[-64_000:]) if m.group(3).strip()]
    for line in reversed(lines):
        if not line.startswith("Unable to connect to a repository"):
            return line[:300]
    return lines[-1][:300] if lines else ""


class Unavailable(ToolFailed):
    """svn could not ask the repository (down, unreachable, credentials, no repository there): an
    outside failure, never an answer such as "the path is not there"."""

    def __init__(
        self, argv: Sequence[str], returncode: int, stderr: str, diagnosis: Diagnosis, url: str
    ) -> None:
        hint = {
            "credentials": CREDENTIALS_HINT,
            "no-repository": "no Subversion repository answers at that address: check the profile's dist URLs",
        }.get(diagnosis.kind, UNREACHABLE_HINT)
        super().__init__(argv, returncode, stderr, hint)
        what = {
            "credentials": "refused the credentials for",
            "no-repository": "found no repository at",
        }.get(diagnosis.kind, "could not reach")
        self.message = f"svn {what} {url or 'the repository'}" + (
            f": {diagnosis.reason}" if diagnosis.reason else ""
        )
        self.args = (self.message,)
        self.diagnosis = diagnosis


def failure(done: proc.Completed, url: str = "", hint: str | None = None) -> ToolFailed:
    """The error a failed svn command raises: Unavailable when svn could not ask, else ToolFailed."""
    diagnosis = diagnose(done.stderr)
    if diagnosis.kind in ("unreachable", "credentials", "no-repository"):
        return Unavailable(done.argv, done.returncode, done.stderr, diagnosis, url)
    return ToolFailed(done.argv, done.returncode, done.stderr, hint)


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
        """Run svn; with check, a failure raises Unavailable when svn could not ask the repository
        (see diagnose), else ToolFailed."""
        argv = ["svn", "--non-interactive"]
        if self.config_dir:
            argv += ["--config-dir", str(self.config_dir)]
        if self.username:
            argv += ["--username", self.username]
        stdin = None
        if self._password:
            argv.append("--password-from-stdin")
            stdin = self._password + "\n"
        hint = hint or UNREACHABLE_HINT
        done = proc.run(
            [*argv, *args],
            cwd=cwd,
            env=self.env,
            input=stdin,
            check=False,
            timeout=timeout,
            secrets=[self._password] if self._password else (),
            hint=hint,
        )
        if check and done.returncode != 0:
            raise failure(done, _url_in(args), hint)
        return done

    def _read(self, *args: str, timeout: float | None = 600) -> proc.Completed | None:
        """A reading command's output; None when svn says the path is not there (and only then)."""
        done = self.run(*args, check=False, timeout=timeout)
        if done.returncode == 0:
            return done
        if diagnose(done.stderr).absent:
            return None
        raise failure(done, _url_in(args))

    # --- reading ------------------------------------------------------------------------------
    def info(self, target: str | Path) -> Info | None:
        """What svn knows of a URL or working copy path; None when it does not exist."""
        done = self._read("info", "--xml", str(target))
        if done is None:
            return None
        entry = _xml(done.stdout, f"svn info {target}").find("entry")
        if entry is None:
            raise ExternalError(f"svn info {target} gave no entry", UNREACHABLE_HINT)
        commit = entry.find("commit")
        return Info(
            url=entry.findtext("url", ""),
            kind=entry.get("kind", ""),
            revision=_number(entry.get("revision")),
            last_changed_revision=_number(commit.get("revision")) if commit is not None else 0,
            root=entry.findtext("repository/root", ""),
        )

    def exists(self, url: str) -> bool:
        """Whether the URL exists; raises Unavailable when svn cannot tell."""
        return self.info(url) is not None

    def ls(self, url: str) -> list[Entry] | None:
        """Entries of a directory, or None when it does not exist."""
        done = self._read("list", "--xml", url)
        return None if done is None else parse_list(done.stdout, url)

    def cat(self, url: str, *, timeout: float | None = 600) -> bytes | None:
        """The content of a file, or None when it does not exist (a directory there is an error)."""
        done = self._read("cat", url, timeout=timeout)
        return None if done is None else done.data

    def export(self, url: str, dest: Path) -> None:
        """Write one file of the repository to dest (streamed by svn, never held in memory)."""
        self.run("export", "--quiet", "--force", url, str(dest))

    def log(self, url: str, limit: int = 10) -> list[LogEntry]:
        done = self.run("log", "--xml", "--limit", str(limit), url)
        return [
            LogEntry(
                revision=_number(node.get("revision")),
                author=node.findtext("author", ""),
                date=node.findtext("date", ""),
                message=node.findtext("msg", ""),
            )
            for node in _xml(done.stdout, f"svn log {url}").iter("logentry")
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
        for node in _xml(done.stdout, f"svn status {path}").iter("entry"):
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

    def mucc(self, actions: Sequence[Sequence[str]], message: str, base: int | None = None) -> int | None:
        """Several URL operations in one commit (svnmucc): all of them, or none.

        actions: ("mv", SRC, DST), ("rm", URL), ("cp", REV, SRC, DST), ("mkdir", URL)...
        base: the revision the caller looked at; the commit fails if what it touches changed since.
        Returns the new revision."""
        argv = mucc_argv(actions, message, base, username=self.username, config_dir=self.config_dir)
        stdin = None
        if self._password:
            argv.insert(1, "--password-from-stdin")
            stdin = self._password + "\n"
        hint = "check the URLs and your svn credentials; nothing was committed unless svn said so"
        done = proc.run(
            argv,
            env=self.env,
            input=stdin,
            check=False,
            timeout=600,
            secrets=[self._password] if self._password else (),
            hint=hint,
        )
        if done.returncode != 0:
            raise failure(done, _url_in([a for action in actions for a in action]), hint)
        found = re.search(r"r(\d+) committed", done.stdout)
        return int(found.group(1)) if found else None


def mucc_argv(
    actions: Sequence[Sequence[str]],
    message: str,
    base: int | None = None,
    *,
    username: str = "",
    config_dir: Path | None = None,
) -> list[str]:
    """The svnmucc command line (also what --dry-run shows)."""
    argv = ["svnmucc", "--non-interactive", "--message", message]
    if base is not None:
        argv += ["--revision", str(base)]
    if config_dir:
        argv += ["--config-dir", str(config_dir)]
    if username:
        argv += ["--username", username]
    for action in actions:
        argv += list(action)
    return argv


def parse_list(text: str, url: str = "") -> list[Entry]:
    """The entries of `svn list --xml` output. Names are as the server gave them: sources.unsafe()
    judges them before any is used as a file name."""
    root = _xml(text, f"svn list {url}")
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


def _xml(text: str, what: str) -> ET.Element:
    try:
        return ET.fromstring(text)
    except ET.ParseError as error:
        raise ExternalError(f"{what} gave output that is not XML ({error})", UNREACHABLE_HINT) from None


def _url_in(args: Sequence[str]) -> str:
    """The first URL among a command's arguments (what an error names)."""
    return next((a for a in args if "://" in a), "")


def join(url: str, *parts: str) -> str:
    return "/".join([url.rstrip("/"), *(p.strip("/") for p in parts if p)])
