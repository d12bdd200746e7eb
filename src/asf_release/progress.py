"""Progress reporting: long work reports here; the CLI draws bars, the library and tests ignore it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class ProgressTask(Protocol):
    def advance(self, amount: int) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: int | None = None) -> AbstractContextManager[ProgressTask]: ...


class _Ignored:
    def advance(self, amount: int) -> None:
        pass


class NoProgress:
    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[ProgressTask]:
        yield _Ignored()
