"""How results reach a person (Rich) or a machine (--json). No release logic here."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape

from asf_release.errors import ReleaseError
from asf_release.progress import ProgressTask
from asf_release.steps.base import Outcome, Plan

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)

STATE_STYLE = {
    "done": "green",
    "pass": "green",
    "passed": "green",
    "pending": "yellow",
    "warn": "yellow",
    "open": "yellow",
    "interrupted": "yellow",
    "failed": "red",
    "fail": "red",
    "blocked": "red",
    "manual": "cyan",
    "skip": "dim",
    "n/a": "dim",
    "unknown": "magenta",
}


def styled(state: str) -> str:
    style = STATE_STYLE.get(state, "")
    return f"[{style}]{escape(state)}[/]" if style else escape(state)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def show_error(error: ReleaseError) -> None:
    errors.print(f"[bold red]error:[/] {escape(error.message)}")
    if error.hint:
        errors.print(f"[yellow]hint:[/] {escape(error.hint)}")


def show_plan(plan: Plan) -> None:
    if plan.nothing_to_do:
        console.print(f"[green]{escape(plan.step)}: nothing to do[/]")
    else:
        console.print(f"[bold]{escape(plan.step)}[/] would:")
        for number, action in enumerate(plan.actions, start=1):
            console.print(f"  {number}. {escape(action.summary)}")
            if action.command:
                console.print(f"     [dim]$ {escape(' '.join(action.command))}[/]")
    for note in plan.notes:
        console.print(f"  [cyan]note:[/] {escape(note)}")


def show_outcome(outcome: Outcome) -> None:
    mark = "[green]✓[/]" if outcome.changed else "[dim]=[/]"
    console.print(f"{mark} [bold]{escape(outcome.step)}[/]: {escape(outcome.summary)}")
    for line in outcome.details:
        console.print(f"    {escape(line)}")


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "step": plan.step,
        "dry_run": True,
        "actions": [{"summary": a.summary, "command": list(a.command)} for a in plan.actions],
        "notes": plan.notes,
    }


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "step": outcome.step,
        "changed": outcome.changed,
        "summary": outcome.summary,
        "details": outcome.details,
        "facts": dict(outcome.facts),
    }


def show_result(result: Plan | Outcome, json_mode: bool) -> None:
    """What a step command prints: its plan under --dry-run, else what it did."""
    if json_mode:
        print_json(plan_json(result) if isinstance(result, Plan) else outcome_json(result))
    elif isinstance(result, Plan):
        show_plan(result)
    else:
        show_outcome(result)


class _RichTask:
    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: int) -> None:
        self._progress.advance(self._task, amount)


class RichProgress:
    """Progress bars on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and errors.is_terminal

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[ProgressTask]:
        # imported here: most commands never draw a bar, and every command pays for its imports
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=errors, transient=True, disable=not self.enabled) as bar:
            yield _RichTask(bar, bar.add_task(description, total=total))
