"""How results reach a person (Rich) or a machine (--json). No release logic here.

One console set-up for every command (`configure`): the width comes from the terminal, and in a
pipe nothing is wrapped; no emoji codes, no highlighting of outside text. Text from outside
(archive member names, mail subjects, listings, findings, KEYS uids) can hold control characters:
the consoles show each of them as a visible escape at the rendering boundary, so no command can
forget. `--plain` (or NO_COLOR, or TERM=dumb) gives output scripts and screen readers can rely on:
no colour, no symbols, no progress bars, tables as aligned text.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console, HighlighterType, JustifyMethod, OverflowMethod
from rich.markup import escape
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from asf_release.cmdline import display
from asf_release.errors import ReleaseError
from asf_release.progress import ProgressTask
from asf_release.steps.base import Outcome, Plan

if TYPE_CHECKING:
    from email.message import EmailMessage

WIDE = 10_000  # "no wrapping" for a pipe: far wider than any line we print

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\x1b"}
# characters that move the cursor, recolour, reorder or fake line breaks on a terminal
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ACTIVE = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *_BIDI]


def _escape_of(code: int) -> str:
    char = chr(code)
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_LINES = {code: _escape_of(code) for code in _ACTIVE if chr(code) not in "\n\t"}
_ONE_LINE = {code: _escape_of(code) for code in _ACTIVE}
# JSON stays exact JSON: the same values, with the characters a terminal would act on as \\u escapes
_JSON = {code: f"\\u{code:04x}" for code in _ACTIVE if code >= 0x7F}


def visible(text: str, *, one_line: bool = False) -> str:
    """text with every character a terminal would act on shown as an escape (ESC as \\x1b, U+2028
    as \\u2028, bidi overrides as \\u202e...); one_line: line breaks and tabs too, for names."""
    return text.translate(_ONE_LINE if one_line else _LINES)


def safe(text: object) -> str:
    """A name or value from outside, ready for a markup string: one line, visible, escaped."""
    return escape(visible(str(text), one_line=True))


class SafeConsole(Console):
    """A Rich console that cannot be made to send a terminal a control sequence from our data."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: JustifyMethod | None = None,
        overflow: OverflowMethod | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: HighlighterType | None = None,
    ) -> Text:
        return super().render_str(
            visible(text),
            style=style,
            justify=justify,
            overflow=overflow,
            emoji=emoji,
            markup=markup,
            highlight=highlight,
            highlighter=highlighter,
        )

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        # the last line of defence, for Text built elsewhere: only Rich's own control segments
        # (cursor moves of a progress bar) may carry control characters
        return super()._render_buffer(
            segment if segment.control else Segment(visible(segment.text), segment.style, segment.control)
            for segment in buffer
        )


def _plain_from_environment() -> bool:
    return bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"


def _console(*, stderr: bool, plain: bool) -> SafeConsole:
    stream = sys.stderr if stderr else sys.stdout
    terminal = not plain and _isatty(stream)
    return SafeConsole(
        stderr=stderr,
        highlight=False,
        emoji=False,
        soft_wrap=True,
        width=None if terminal else WIDE,
        color_system="auto" if not plain else None,
        force_terminal=False if plain else None,
    )


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


plain = _plain_from_environment()
console = _console(stderr=False, plain=plain)
errors = _console(stderr=True, plain=plain)


def configure(*, plain_output: bool = False) -> None:
    """The one console set-up: called once the global options are known."""
    global plain, console, errors  # noqa: PLW0603 - the consoles every command module prints to
    plain = plain_output or _plain_from_environment()
    console = _console(stderr=False, plain=plain)
    errors = _console(stderr=True, plain=plain)


def glyph(name: str) -> str:
    """A symbol, or its plain-text stand-in for --plain (screen readers, scripts)."""
    fancy, ascii_text = _GLYPHS[name]
    return ascii_text if plain else fancy


_GLYPHS = {"arrow": ("→", "->"), "bullet": ("•", "-"), "stage": ("▶", "==>"), "changed": ("✓", "")}

STATE_STYLE = {
    "done": "green",
    "pass": "green",
    "passed": "green",
    "ok": "green",
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
    text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write(text.translate(_JSON) + "\n")


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, to: Console | None = None) -> None:
    """A table of markup cells (dynamic parts escaped by the caller). On a terminal, Rich lays it
    out to the terminal's width (a long word folds, nothing is cut); elsewhere (a pipe, --plain)
    each row is one line of aligned columns, never wrapped, without trailing spaces."""
    target = to or console
    if target.is_terminal and not plain:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
        for column in columns:
            table.add_column(escape(column), overflow="fold")
        for row in rows:
            table.add_row(*row)
        target.print(table)
        return
    cells = [[target.render_str(escape(c)) for c in columns]]
    cells += [[target.render_str(cell) for cell in row] for row in rows]
    widths = [max(line[i].cell_len for line in cells) for i in range(len(columns))]
    for line in cells:
        text = Text()
        for index, cell in enumerate(line):
            last = index == len(line) - 1
            text.append_text(cell)
            if not last:
                text.append(" " * (widths[index] - cell.cell_len + 2))
        text.rstrip()
        target.print(text, soft_wrap=True)


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
                console.print(f"     [dim]$ {escape(display(action.command))}[/]")
    for note in plan.notes:
        console.print(f"  [cyan]note:[/] {escape(note)}")


def show_outcome(outcome: Outcome) -> None:
    """What a step did, or (changed false) its own words for "there was nothing to do", once."""
    mark = glyph("changed") if outcome.changed else "="
    prefix = f"[green]{mark}[/] " if mark and not plain else ""
    summary, *details = outcome.lines
    console.print(f"{prefix}[bold]{escape(outcome.step)}[/]: {escape(summary)}")
    for line in details:
        console.print(f"    {escape(line)}")


def show_message(message: EmailMessage) -> None:
    """A mail as the list will get it: its headers dimmed, then its plain-text body."""
    from email import policy

    text = message.as_bytes(policy=policy.SMTP.clone(linesep="\n")).decode("utf-8", errors="replace")
    headers, _, _ = text.partition("\n\n")
    console.print(f"[dim]{escape(headers)}[/]\n")
    body = message.get_body(preferencelist=("plain",))
    console.print(escape(body.get_content().rstrip() if body is not None else ""))


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "step": plan.step,
        "dry_run": True,
        "actions": [
            {
                "summary": a.summary,
                "command": list(a.command),
                "shell": display(a.command) if a.command else "",
            }
            for a in plan.actions
        ],
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
    """Progress bars on stderr, only when stderr is a terminal and the output is not --plain."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and errors.is_terminal and not plain

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[ProgressTask]:
        # imported here: most commands never draw a bar, and every command pays for its imports
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        columns = [
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=errors, transient=True, disable=not self.enabled) as bar:
            yield _RichTask(bar, bar.add_task(visible(description, one_line=True), total=total))
