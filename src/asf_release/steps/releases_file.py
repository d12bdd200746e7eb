"""The website's releases data file: which versions it lists, and the file with one more entry.

The profile describes the file (website.releases_anchor: the line that opens the list;
website.releases_entry: one entry in the file's own style, holding {version}), so another project
describes its own file. The entry's line holding {version} is how listed entries are recognised,
loosely (spaces and quote marks may differ). Entries are newest first: a release goes above the
first entry of an older version. Pure text in, text out: no I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asf_release.errors import ConfigError, UsageError
from asf_release.version import Version

PLACEHOLDER = "{version}"
_QUOTES = "'\"`"


@dataclass(frozen=True)
class Listed:
    line: int  # index of the line carrying the version
    version: str


@dataclass(frozen=True)
class Insertion:
    text: str  # the whole file with the new entry
    added: str  # the lines inserted, exactly
    line: int  # index of the first inserted line


def _entry_lines(entry: str) -> tuple[list[str], int]:
    """The entry's lines and the index of the one that carries the version."""
    lines = entry.splitlines()
    for offset, line in enumerate(lines):
        if PLACEHOLDER in line:
            return lines, offset
    raise ConfigError(
        "the releases entry does not hold {version}",
        "write the entry as the file lists a release, with {version} where the version goes",
        key="website.releases_entry",
    )


def _loose(text: str) -> str:
    """A pattern for literal text where runs of spaces and the kind of quote mark may differ."""
    out: list[str] = []
    for char in text:
        if char.isspace():
            if not out or out[-1] != r"\s*":
                out.append(r"\s*")
        elif char in _QUOTES:
            out.append(f"[{re.escape(_QUOTES)}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def version_line_pattern(entry: str) -> re.Pattern[str]:
    lines, offset = _entry_lines(entry)
    pieces = lines[offset].strip().split(PLACEHOLDER)
    pattern = r"^\s*"
    for index, piece in enumerate(pieces):
        pattern += _loose(piece)
        if index < len(pieces) - 1:
            value = r"[^\s'\"`,;{}\[\]]+"
            pattern += f"(?P<version>{value})" if index == 0 else value
    return re.compile(pattern + r"\s*$")


def _anchor(text_lines: list[str], anchor: str) -> int:
    try:
        pattern = re.compile(anchor)
    except re.error as error:
        raise ConfigError(f"not a regular expression ({error})", key="website.releases_anchor") from None
    for index, line in enumerate(text_lines):
        if pattern.search(line):
            return index
    raise UsageError(
        f"the releases file has no line matching website.releases_anchor ({anchor})",
        "check the file and the profile's [website] releases_file and releases_anchor",
    )


def _split(text: str) -> list[str]:
    """The file's lines without their ends: only \n (and \r\n) end a line, as editors and git see it."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def listed(text: str, anchor: str, entry: str) -> list[Listed]:
    """The versions the file lists after its anchor, in the file's order."""
    lines = _split(text)
    start = _anchor(lines, anchor)
    pattern = version_line_pattern(entry)
    found = []
    for index in range(start + 1, len(lines)):
        match = pattern.match(lines[index])
        if match:
            found.append(Listed(index, match.group("version")))
    return found


def _version(text: str) -> Version | None:
    try:
        return Version.parse(text)
    except UsageError:
        return None


def insert(text: str, version: Version, anchor: str, entry: str) -> Insertion | None:
    """The file with the entry for version added, newest first; None when it lists version already."""
    lines, offset = _entry_lines(entry)
    present = listed(text, anchor, entry)
    if any(item.version == str(version) for item in present):
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    file_lines = [piece for piece in re.split(r"(?<=\n)", text) if piece]
    older = [item for item in present if (v := _version(item.version)) is not None and v < version]
    if older:
        at = older[0].line - offset
    elif present:
        at = present[-1].line - offset + len(lines)
    else:
        at = _anchor(_split(text), anchor) + 1
    at = max(0, min(at, len(file_lines)))
    added = "".join(line.replace(PLACEHOLDER, str(version)) + newline for line in lines)
    before = "".join(file_lines[:at])
    if before and not before.endswith("\n"):  # after a last line that has no line end
        before += newline
    return Insertion(before + added + "".join(file_lines[at:]), added, at)
