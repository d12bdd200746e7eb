"""The release's memory: an append-only event log in SQLite; a release's state is derived from it.

One ledger per project checkout, kept in the git directory (`.git/asf-release/ledger.sqlite3`), so
it is never tracked, never packaged, and survives `git clean`. $ASF_RELEASE_STATE_DIR moves it.
A step writes its intent before acting and its result after: after a crash the intent without a
result tells the next run to look at the world and finish the job.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from asf_release.errors import ConfigError, ExternalError, ReleaseError

SCHEMA_VERSION = 1
_SECRET_KEY = re.compile(r"pass(word|phrase)?|secret|token|credential", re.IGNORECASE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    release TEXT    NOT NULL,
    rc      INTEGER,
    step    TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    data    TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_release ON events (release, step);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
"""


class EventKind(StrEnum):
    INTENT = "intent"  # a step is about to act; data says what it will do
    RESULT = "result"  # a step finished; data holds the facts it produced
    FAILURE = "failure"  # a step stopped on an error; data holds message and hint
    DECISION = "decision"  # a person decided something (approve a commit, force a result)
    NOTE = "note"  # anything else worth keeping (a sub-action done inside a step)


@dataclass(frozen=True)
class Event:
    seq: int
    at: datetime
    release: str
    rc: int | None
    step: str
    kind: EventKind
    data: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "release": self.release,
            "rc": self.rc,
            "step": self.step,
            "kind": self.kind.value,
            "data": dict(self.data),
        }


class LedgerDamaged(ReleaseError):
    """The ledger's file is not a sound ledger any more; nothing is changed until a person acts."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"the ledger {path} is damaged ({detail})",
            f"move it aside (mv {path} {path}.damaged) and run the command again: each step looks at "
            "git, svn and the outbox and finishes what is left, but what only the ledger held "
            "(cherry-pick decisions, deadlines, a forced result's reason) is lost; "
            f"`sqlite3 {path}.damaged .recover` may save it",
        )


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            existed = path.is_file() and path.stat().st_size > 0
        except OSError as error:
            raise _os_failure(path, error) from None
        with self._guard():
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            if existed and self._schema_version() == SCHEMA_VERSION and not self._has_events():
                self._db.close()
                raise LedgerDamaged(path, "its table of events is missing")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _schema_version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        return version

    def _has_events(self) -> bool:
        found = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'")
        return found.fetchone() is not None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite's errors, and records that do not read, as errors that speak to people."""
        try:
            yield
        except sqlite3.Error as error:
            raise _sqlite_failure(self.path, error) from None
        except (ValueError, KeyError, TypeError) as error:
            raise LedgerDamaged(self.path, f"a record does not read: {error}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(
        self,
        release: str,
        step: str,
        kind: EventKind,
        data: Mapping[str, Any] | None = None,
        *,
        rc: int | None = None,
        at: datetime | None = None,
    ) -> Event:
        payload = dict(data or {})
        _refuse_secrets(payload)
        when = (at or datetime.now(UTC)).astimezone(UTC)
        text = json.dumps(payload, sort_keys=True, default=str)
        with self._guard():
            cursor = self._db.execute(
                "INSERT INTO events (at, release, rc, step, kind, data) VALUES (?, ?, ?, ?, ?, ?)",
                (when.isoformat(), release, rc, step, kind.value, text),
            )
        seq = cursor.lastrowid
        assert seq is not None
        return Event(seq, when, release, rc, step, kind, payload)

    def events(self, release: str | None = None, step: str | None = None) -> list[Event]:
        query = "SELECT seq, at, release, rc, step, kind, data FROM events"
        where, args = [], []
        if release is not None:
            where.append("release = ?")
            args.append(release)
        if step is not None:
            where.append("step = ?")
            args.append(step)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY seq"
        with self._guard():
            return [_row(row) for row in self._db.execute(query, args)]

    def releases(self) -> list[str]:
        """Releases with events, most recently touched last."""
        with self._guard():
            rows = self._db.execute(
                "SELECT release FROM events WHERE release != '' GROUP BY release ORDER BY MAX(seq)"
            )
            return [row[0] for row in rows]

    def history(self, release: str) -> History:
        return History(self.events(release))


def _sqlite_failure(path: Path, error: sqlite3.Error) -> ReleaseError:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    text = str(error)
    if code == 13 or "full" in text or (code == 10 and _nearly_full(path)):  # SQLITE_FULL, or IOERR
        # on a disk with no room left (SQLite says "disk I/O error" when its -wal file cannot grow)
        return ExternalError(
            f"no space left on the disk that holds the ledger {path}",
            "free space there, then run the command again: it picks up after the last step recorded",
        )
    if code in (11, 26) or "malformed" in text or "not a database" in text:  # CORRUPT, NOTADB
        return LedgerDamaged(path, text)
    if code in (3, 8, 14) or "readonly" in text or "unable to open" in text:  # PERM, READONLY, CANTOPEN
        return ConfigError(
            f"cannot write the ledger {path} ({text})",
            "check the permissions of the state directory, or point ASF_RELEASE_STATE_DIR elsewhere",
        )
    if code == 5 or "locked" in text:  # BUSY
        return ExternalError(
            f"the ledger {path} stayed locked by another program ({text})", "try again in a moment"
        )
    return ExternalError(f"the ledger {path} could not be read or written ({text})", "run the command again")


def _nearly_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < 1 << 20
    except OSError:
        return False


def _os_failure(path: Path, error: OSError) -> ReleaseError:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return ExternalError(
            f"no space left for the ledger {path}", "free space there, then run the command again"
        )
    return ConfigError(
        f"cannot use the ledger {path} ({error.strerror or error})",
        "check the permissions of the state directory, or point ASF_RELEASE_STATE_DIR elsewhere",
    )


def _row(row: tuple[Any, ...]) -> Event:
    seq, at, release, rc, step, kind, data = row
    return Event(seq, datetime.fromisoformat(at), release, rc, step, EventKind(kind), json.loads(data))


def _refuse_secrets(data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if _SECRET_KEY.search(key):
            raise ValueError(f"refusing to write '{key}' to the ledger: secrets never go there")
        if isinstance(value, Mapping):
            _refuse_secrets(value)


class StepState(StrEnum):
    NOT_STARTED = "not started"
    INTENDED = "interrupted"  # an intent with no result: the last run stopped midway
    DONE = "done"
    FAILED = "failed"


@dataclass
class StepRecord:
    step: str
    state: StepState = StepState.NOT_STARTED
    intent: Event | None = None
    result: Event | None = None
    failure: Event | None = None
    decisions: list[Event] = field(default_factory=list)
    notes: list[Event] = field(default_factory=list)


class History:
    """A release's state, derived from its events."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events

    @property
    def rc(self) -> int | None:
        """The newest release candidate any step has worked on."""
        numbers = [e.rc for e in self.events if e.rc is not None]
        return max(numbers) if numbers else None

    def step(self, step: str, rc: int | None = None) -> StepRecord:
        record = StepRecord(step)
        for event in self.events:
            if event.step != step or (rc is not None and event.rc not in (None, rc)):
                continue
            if event.kind is EventKind.INTENT:
                record.intent, record.state = event, StepState.INTENDED
            elif event.kind is EventKind.RESULT:
                record.result, record.state = event, StepState.DONE
            elif event.kind is EventKind.FAILURE:
                record.failure, record.state = event, StepState.FAILED
            elif event.kind is EventKind.DECISION:
                record.decisions.append(event)
            else:
                record.notes.append(event)
        return record

    def facts(self, step: str, rc: int | None = None) -> Mapping[str, Any]:
        """The data of the step's latest result, or {}."""
        result = self.step(step, rc).result
        return result.data if result else {}


def state_dir(root: Path, env: Mapping[str, str]) -> Path:
    """Where asf-release keeps its files for a checkout: inside the git directory."""
    named = env.get("ASF_RELEASE_STATE_DIR")
    if named:
        return Path(named).expanduser().resolve()
    return git_dir(root) / "asf-release"


def git_dir(root: Path) -> Path:
    dotgit = root / ".git"
    if dotgit.is_file():  # a worktree or submodule: ".git" names the real directory
        pointer = dotgit.read_text().strip().removeprefix("gitdir:").strip()
        return (root / pointer).resolve()
    return dotgit


@contextmanager
def opened(path: Path) -> Iterator[Ledger]:
    ledger = Ledger(path)
    try:
        yield ledger
    finally:
        ledger.close()
