"""JSON (and TOML) from strangers, parsed within bounds: a nesting depth checked before the parser
recurses, integers of a sane length. Pure, no I/O.

json.loads and tomllib recurse once per nested array or object: a document of 100,000 '[' ends in
RecursionError. The depth is counted first by a scan that skips strings the way both parsers read
them, so the parser only ever sees documents it can finish.
"""

from __future__ import annotations

import json
import re
from typing import Any


class TooDeep(ValueError):
    """The document nests arrays or objects deeper than allowed."""


# A JSON string, or one bracket. TOML adds literal strings in single quotes; a multi-line string
# is read as several strings, which can only make the count larger, never smaller.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)
_TOML_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]', re.S)
_DIGITS = 40  # longer integers are no date, count or size anyone writes


def depth(text: str, *, toml: bool = False) -> int:
    """The deepest nesting of arrays and objects in text (strings and comments skipped)."""
    if text.count("[") + text.count("{") <= 1:
        return text.count("[") + text.count("{")
    deepest = level = 0
    for match in (_TOML_TOKENS if toml else _JSON_TOKENS).finditer(text):
        token = match.group(0)
        if token in ("[", "{"):
            level += 1
            deepest = max(deepest, level)
        elif token in ("]", "}"):
            level = max(0, level - 1)
    return deepest


def check_depth(text: str, max_depth: int, *, toml: bool = False) -> None:
    if text.count("[") + text.count("{") <= max_depth:
        return  # too few brackets to nest deeper: no scan needed
    found = depth(text, toml=toml)
    if found > max_depth:
        raise TooDeep(f"arrays or tables are nested {found} levels deep, more than the {max_depth} allowed")


def _integer(text: str) -> int | float:
    if len(text.lstrip("-")) > _DIGITS:
        return float("-inf") if text.startswith("-") else float("inf")
    return int(text)


def loads(data: bytes | str, *, max_depth: int) -> Any:
    """json.loads, refusing (TooDeep) a document nested deeper than max_depth; an integer of more
    than 40 digits reads as an infinity (Python refuses to convert past 4300 digits). Every
    refusal is a ValueError: JSONDecodeError, TooDeep, UnicodeDecodeError."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    check_depth(text, max_depth)
    return json.loads(text, parse_int=_integer)
