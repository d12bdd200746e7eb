"""SPDX ids and expressions judged by the ASF's categories (licenses.toml).

A choice (`OR`) is as good as its best option: `BSD-2-Clause OR GPL-2.0-or-later` is category A.
A conjunction (`AND`) is as bad as its worst part. `X WITH exception` is X's category, unless the
exception lets the file ship under the program's own terms (autoconf's, libtool's): then A. An id the
data does not know has no category: it is named, never failed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

A, B, X = "A", "B", "X"
_RANK = {A: 0, B: 1, None: 2, X: 3}  # unknown sits between: never better than B, never X
_X_FAMILIES = re.compile(r"^(?:A?GPL|LGPL|GFDL|CC-BY-NC|SSPL|BUSL)-", re.IGNORECASE)
MAX_EXPRESSION = 1000  # characters of an expression worth parsing


@dataclass(frozen=True)
class Judgement:
    expression: str  # as SPDX writes it, normalised by license-expression when it parses
    category: str | None  # A, B, X, or None when some part is unknown
    problem: str = ""  # why the expression could not be read, when it could not

    @property
    def forbidden(self) -> bool:
        return self.category == X

    def describe(self) -> str:
        if self.category is None:
            return f"{self.expression} (not in the ASF's categories)"
        return f"{self.expression} (category {self.category})"


@dataclass(frozen=True)
class _Table:
    categories: dict[str, str]  # lower-case id -> category
    names: dict[str, str]  # lower-case id or alias -> SPDX id
    permissive_exceptions: frozenset[str]  # lower-case exception ids that make a file category A


@cache
def _table() -> _Table:
    raw = (resources.files("asf_release") / "policy" / "licenses.toml").read_text()
    document: dict[str, Any] = tomllib.loads(raw)
    categories: dict[str, str] = {}
    names: dict[str, str] = {}
    for category, ids in document["categories"].items():
        for spdx in ids:
            categories[spdx.lower()] = category
            names[spdx.lower()] = spdx
    for alias, spdx in document["aliases"].items():
        names[alias.lower()] = spdx
    exceptions = frozenset(e.lower() for e in document.get("exceptions", {}).get("permissive", []))
    return _Table(categories, names, exceptions)


def canonical(name: str) -> str:
    """The SPDX id for an id or a known alias, spelled as SPDX spells it; else the name itself."""
    return _table().names.get(" ".join(name.split()).lower(), name.strip())


def category(spdx: str) -> str | None:
    """The ASF category of one SPDX id (or alias), None when the data does not know it."""
    key = canonical(spdx)
    found = _table().categories.get(key.lower())
    if found is None and _X_FAMILIES.match(key):
        return X
    return found


def _worst(categories: list[str | None]) -> str | None:
    return max(categories, key=lambda c: _RANK[c]) if categories else None


def _best(categories: list[str | None]) -> str | None:
    return min(categories, key=lambda c: _RANK[c]) if categories else None


def _evaluate(node: Any) -> str | None:
    import license_expression as le  # type: ignore[import-untyped]

    if isinstance(node, le.LicenseWithExceptionSymbol):
        if node.exception_symbol.key.lower() in _table().permissive_exceptions:
            return A
        return category(node.license_symbol.key)
    if isinstance(node, le.LicenseSymbol):
        return category(node.key)
    parts = [_evaluate(arg) for arg in node.args]
    if isinstance(node, le.OR):
        return _best(parts)
    return _worst(parts)


def judge(expression: str) -> Judgement:
    """An SPDX expression judged: its category under ASF policy, choices counting as their best."""
    text = " ".join(expression.split())[:MAX_EXPRESSION]
    aliased = _table().names.get(text.lower())
    if aliased:
        return Judgement(aliased, category(aliased))
    try:
        parsed = _licensing().parse(text, validate=False)
    except Exception as error:  # license-expression raises several kinds for bad input
        return Judgement(text, None, f"not a valid SPDX expression ({str(error)[:120]})")
    if parsed is None:
        return Judgement(text, None, "an empty SPDX expression")
    return Judgement(str(parsed), _evaluate(parsed))


def combine(expressions: list[str], choice: bool) -> Judgement:
    """Several licenses found in one file: one of them at the recipient's choice, or all at once."""
    unique = list(dict.fromkeys(expressions))
    if len(unique) == 1:
        return judge(unique[0])
    joined = (" OR " if choice else " AND ").join(f"({e})" if " " in e else e for e in unique)
    return judge(joined)


@cache
def _licensing() -> Any:
    import license_expression  # imported on first use: most files never need it

    return license_expression.get_spdx_licensing()
