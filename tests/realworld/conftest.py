"""The real-world conformance suite: selected with `-m realworld`, left out of the default run
(it downloads real releases). Each release's verdict, findings by level and time are printed at
the end; the whole suite has a time budget."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pytest

BUDGET_ENV = "ASF_RELEASE_REALWORLD_BUDGET"
DEFAULT_BUDGET = 900.0  # seconds for the whole suite, downloads included


@dataclass
class Row:
    release: str
    verdict: str
    expected: str
    counts: dict[str, int]
    seconds: float
    failing: list[str] = field(default_factory=list)


ROWS: list[Row] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "realworld: real Apache releases, downloaded (select with -m realworld)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run only when asked for by marker: a plain `pytest` stays offline."""
    if "realworld" in (config.option.markexpr or ""):
        return
    here = os.path.dirname(__file__)
    left = [item for item in items if str(item.path).startswith(here)]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if item not in left]


@pytest.fixture(scope="session")
def deadline() -> float:
    return time.monotonic() + float(os.environ.get(BUDGET_ENV, DEFAULT_BUDGET))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("real-world releases")
    write(
        f"{'release':34} {'verdict':11} {'right':6} {'fail':>5} {'warn':>5} {'note':>5} {'time':>7}  failing"
    )
    for row in ROWS:
        c = row.counts
        write(
            f"{row.release:34} {row.verdict:11} {row.expected:6} {c.get('fail', 0):5} {c.get('warn', 0):5} "
            f"{c.get('note', 0):5} {row.seconds:6.2f}s  {', '.join(row.failing) or '-'}"
        )
