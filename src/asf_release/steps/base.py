"""The step interface: plan / run / done, and the runner that keeps the ledger honest.

plan(ctx) says what would happen (this is --dry-run and status); run(ctx) does it; done(ctx) looks
at the world (git, svn, outbox), not only at the ledger. Every run is idempotent: after success it
does nothing, after a crash it finishes the job without doing anything twice.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from asf_release import lock
from asf_release.context import Context
from asf_release.errors import ReleaseError, os_failure
from asf_release.ledger import EventKind
from asf_release.version import Version


class State(StrEnum):
    DONE = "done"
    PENDING = "pending"
    BLOCKED = "blocked"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    MANUAL = "manual"
    NOT_APPLICABLE = "n/a"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Action:
    """One thing a step will do, with the plain command it stands for when there is one."""

    summary: str
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    step: str
    actions: list[Action]
    notes: list[str] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not self.actions


@dataclass(frozen=True)
class Outcome:
    """What a run did. `changed` False means there was nothing to do: the summary then says so
    itself ("already done: ..."), and every renderer shows it once, as it is."""

    step: str
    summary: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    changed: bool = True
    details: list[str] = field(default_factory=list)

    @classmethod
    def already_done(cls, step: str, detail: str = "", facts: Mapping[str, Any] | None = None) -> Outcome:
        """The one way to say that a step had nothing to do."""
        summary = f"already done: {detail}" if detail else "already done"
        return cls(step, summary, facts or {}, changed=False)

    @property
    def lines(self) -> list[str]:
        """What a person reads: the summary, then the details, each once."""
        return [self.summary, *(line for line in self.details if line != self.summary)]


@dataclass(frozen=True)
class Check:
    """What the world says about a step; `command`, when set, is what to run next instead of the
    step's own command (a proposal written but not posted needs recording, not rewriting)."""

    state: State
    detail: str = ""
    command: str = ""


class Step(ABC):
    name: ClassVar[str]
    title: ClassVar[str]

    def __init__(self, version: Version, rc: int | None = None) -> None:
        self.version = version
        self.rc = rc

    @property
    def release(self) -> str:
        return str(self.version)

    @abstractmethod
    def plan(self, ctx: Context) -> Plan: ...

    @abstractmethod
    def run(self, ctx: Context) -> Outcome: ...

    @abstractmethod
    def done(self, ctx: Context) -> Check: ...

    @abstractmethod
    def command(self) -> str:
        """The asf-release command line that runs this step."""

    def record(self, ctx: Context, kind: EventKind, data: Mapping[str, Any] | None = None) -> None:
        ctx.ledger.append(self.release, self.name, kind, data, rc=self.rc, at=ctx.now())


_cut_short: list[Step] = []


def cut_short() -> Step | None:
    """The step whose run an interruption (or a bug) stopped midway, for the CLI to name."""
    return _cut_short[-1] if _cut_short else None


def execute(ctx: Context, step: Step) -> Plan | Outcome:
    """Plan, and unless this is a dry run, run the step with intent and result in the ledger.
    A run holds the checkout's writer lock from its plan to its result: the world it planned
    from is the world it changes, and no other command changes it meanwhile."""
    if ctx.dry_run:
        return step.plan(ctx)
    with lock.writer(ctx.state_dir, step.command(), wait=lock.wait_seconds(ctx.env)):
        return _execute(ctx, step)


def _execute(ctx: Context, step: Step) -> Plan | Outcome:
    plan = step.plan(ctx)
    if plan.nothing_to_do:
        check = step.done(ctx)
        if check.state is State.DONE:
            return Outcome.already_done(step.name, check.detail)
    step.record(ctx, EventKind.INTENT, {"actions": [a.summary for a in plan.actions]})
    try:
        outcome = step.run(ctx)
    except ReleaseError as error:
        _record_failure(ctx, step, error)
        raise
    except OSError as error:  # the machine failed (a full disk...): said, recorded, and resumable
        failure = os_failure(error)
        _record_failure(ctx, step, failure)
        raise failure from error
    except BaseException:  # Ctrl-C, SIGTERM or a bug: the intent stays open for the next run
        _cut_short.append(step)
        raise
    step.record(ctx, EventKind.RESULT, {"summary": outcome.summary, **outcome.facts})
    return outcome


def _record_failure(ctx: Context, step: Step, error: ReleaseError) -> None:
    """Keep the failure in the ledger, unless the ledger itself cannot take it (a full disk):
    that must not hide why the step stopped, and the next run looks at the world anyway."""
    with contextlib.suppress(ReleaseError):
        step.record(ctx, EventKind.FAILURE, {"message": error.message, "hint": error.hint or ""})
