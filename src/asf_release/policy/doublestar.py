"""doublestar v2's Match (github.com/bmatcuk/doublestar/v2 v2.0.4, the version license-eye uses),
ported function for function, so `paths` and `paths-ignore` select what license-eye selects.

What follows from it: `*` and `?` never cross `/`; `**` as a whole component matches any number of
components (`**.svg` is just `*.svg`); `{a,b}` braces, `[a-z]` classes and `\\` escapes; a pattern
matches the whole path, so `*.go` and `dir/*` match one level only, and a pattern with a leading
`/` matches no relative path. A malformed pattern raises BadPattern, as Match returns
ErrBadPattern.
"""

from __future__ import annotations

import re
from functools import lru_cache

SEPARATOR = "/"


class BadPatternError(ValueError):
    """The pattern is malformed (an unclosed `[` or `{`, an empty class, a bad range)."""


def _index_escaping(text: str, char: str) -> int:
    """The first index of char in text, skipping occurrences escaped with a backslash."""
    end = text.find(char)
    if end == -1 or char == "\\":
        return end
    if end > 0 and text[end - 1] == "\\":
        start = end + 1
        end = _index_escaping(text[start:], char)
        if end != -1:
            end += start
    return end


def _split_alternatives(text: str) -> tuple[list[str], int]:
    options: list[str] = []
    index = 0
    braces = 1
    escaped = False
    start = 0
    while braces > 0:
        if index >= len(text):
            return [], -1
        char = text[index]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "{":
            braces += 1
        elif char == "}":
            braces -= 1
        elif char == "," and braces == 1:
            options.append(text[start:index])
            start = index + 1
        index += 1
    options.append(text[start : index - 1])
    return options, index


def _zero_length(pattern: str) -> bool:
    if pattern in ("", "*", "**"):
        return True
    if pattern.startswith("{"):
        options, end = _split_alternatives(pattern[1:])
        if end == -1:
            raise BadPatternError(pattern)
        if not _zero_length(pattern[1 + end :]):
            return False
        return any(_zero_length(option) for option in options)
    return False


_SIMPLE = re.compile(r"[^{}\[\]\\]*")


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """The same matcher as a regular expression, for patterns made of names, `*`, `?` and whole
    `**` components (most real ones); None for the others (braces, classes, escapes, empty
    components), which the port below matches. Equal to it by construction and by test."""
    parts = pattern.split("/")
    if not _SIMPLE.fullmatch(pattern) or "" in parts:
        return None
    # consecutive `**` components match what one does
    parts = [
        part for index, part in enumerate(parts) if part != "**" or index == 0 or parts[index - 1] != "**"
    ]
    out: list[str] = []
    for index, part in enumerate(parts):
        first, last = index == 0, index == len(parts) - 1
        if part == "**":
            out.append(".*" if first and last else "(?:.*/)?" if first else "/.*" if last else "(?:/.*)?/")
            continue
        piece = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in part)
        out.append(piece if first or parts[index - 1] == "**" else "/" + piece)
    return re.compile("".join(out), re.DOTALL)


def match(pattern: str, name: str) -> bool:
    """doublestar.Match(pattern, name) with '/' as the separator."""
    compiled = _compiled(pattern)
    if compiled is not None and name and "\\" not in name:
        return compiled.fullmatch(name) is not None
    return match_ported(pattern, name)


def match_ported(pattern: str, name: str) -> bool:
    """doublestar's doMatching, function for function."""
    if not pattern:
        return not name
    if not name:
        return _zero_length(pattern)
    slash = _index_escaping(pattern, SEPARATOR)
    last_pattern = slash == -1
    if last_pattern:
        slash = len(pattern)
    if pattern[:slash] == "**":
        if last_pattern:
            return True
        rest = pattern[slash + 1 :]
        index = 0
        while True:
            if _matches_quietly(rest, name[index:]):
                return True
            following = _index_escaping(name[index:], SEPARATOR)
            if following == -1:
                return False
            index += following + 1
    name_end = _index_escaping(name, SEPARATOR)
    last_name = name_end == -1
    if last_name:
        name_end = len(name)
    remaining = _component(pattern, name[:name_end])
    if remaining is None:
        return False
    if not remaining and last_name:
        return True
    if not last_name:
        for alternative in remaining:
            if match_ported(alternative, name[name_end + 1 :]):
                return True
    return False


def _matches_quietly(pattern: str, name: str) -> bool:
    # Match's `**` loop ignores errors of the rest (`if m, _ := doMatching(...); m`)
    try:
        return match_ported(pattern, name)
    except BadPatternError:
        return False


def _component(pattern: str, name: str) -> list[str] | None:
    """doublestar's matchComponent: None for no match, else the patterns left for the next
    components ([] when the pattern is used up)."""
    pat, pos = 0, 0
    while pat < len(pattern) and pos < len(name):
        char = pattern[pat]
        current = name[pos]
        if char == "/":
            pat += 1
            break
        if char == "\\":
            pat += 1
            if pat >= len(pattern):
                raise BadPatternError(pattern)
            if pattern[pat] != current:
                return None
            pat += 1
            pos += 1
        elif char == "*":
            pat += 1
            if pat >= len(pattern):
                return []
            if pattern[pat] == "/":
                return [pattern[pat + 1 :]]
            while pos < len(name):
                found = _component(pattern[pat:], name[pos:])
                if found is not None:
                    return found
                pos += 1
            return None
        elif char == "[":
            pat += 1
            end = _index_escaping(pattern[pat:], "]")
            if end == -1:
                raise BadPatternError(pattern)
            end += pat
            if not _in_class(pattern[pat:end], current, pattern):
                return None
            pat = end + 1
            pos += 1
        elif char == "{":
            pat += 1
            options, end = _split_alternatives(pattern[pat:])
            if end == -1:
                raise BadPatternError(pattern)
            pat += end
            results: list[str] = []
            matched = False
            for option in options:
                found = _component(option + pattern[pat:], name[pos:])
                if found is not None:
                    matched = True
                    results += found
            return results if matched else None
        elif char in ("?", current):
            pat += 1
            pos += 1
        else:
            return None
    if pos >= len(name):
        if pat >= len(pattern):
            return []
        rest = pattern[pat:]
        slash = _index_escaping(rest, "/")
        head = rest[:slash] if slash >= 0 else rest
        if _zero_length(head):
            return [] if slash == -1 else [rest[slash + 1 :]]
    return None


def _in_class(members: str, char: str, pattern: str) -> bool:
    """Whether char is in a `[...]` class (its inside given); errors as doublestar raises them."""
    if not members:
        raise BadPatternError(pattern)
    negated = members[0] == "^"
    index = 1 if negated else 0
    found = False
    while index < len(members):
        low = members[index]
        if low == "-":
            raise BadPatternError(pattern)
        index += 1
        if low == "\\":
            if index >= len(members):
                raise BadPatternError(pattern)
            low = members[index]
            index += 1
        high = low
        if index < len(members) and members[index] == "-":
            index += 1
            if index >= len(members):
                raise BadPatternError(pattern)
            high = members[index]
            if high == "-":
                raise BadPatternError(pattern)
            index += 1
            if high == "\\":
                if index >= len(members):
                    raise BadPatternError(pattern)
                high = members[index]
                index += 1
        if low <= char <= high:
            found = True
    return found != negated
