"""A license-eye (skywalking-eyes) header configuration, read as license-eye v0.8 reads it (and,
for a project that runs a version before v0.5.0, with what that version ignores: legacy_ignores).

- `header:` is one section (a mapping) or several (a list); each is checked on its own, and a file
  covered by several must satisfy each.
- A file is covered when a `paths` pattern matches it (default `**`) and no `paths-ignore` pattern
  does. A pattern matches as doublestar.Match does, or when it equals the file's name, or names a
  directory the file is under (license-eye's `tryMatchPatten` fallbacks).
- Only files Go's http.DetectContentType calls text are checked.
- The expected header is `content` when given, else the template of `spdx-id` (the ASF header when
  the owner is the ASF, as license-eye picks `Apache-2.0-ASF.txt`), with `[year]`, `[owner]` and
  `[software-name]` filled in. Both the header and the whole file are normalised (normalize.py);
  the first occurrence must start before `license-location-threshold` (default 80) bytes. When the
  header is not found, `pattern` (normalised the same way, searched as `(?i).*PATTERN.*`) decides,
  and it may match anywhere: the `.*` makes every match start at 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from asf_release.policy import doublestar, normalize

DEFAULT_THRESHOLD = 80
CONFIG_NAMES = (".licenserc.yaml", ".licenserc.yml")
_ASF_NAMES = re.compile(r"(?i)(the )?(Apache Software Foundation|ASF)")
_TEST_DIRS = frozenset({"testdata", "test-data", "fixtures", "test_data", "resources"})


@cache
def template(name: str) -> str | None:
    """A header template license-eye ships (assets/header-templates), or None."""
    if not re.fullmatch(r"[A-Za-z0-9.+-]{1,64}", name):
        return None
    path = resources.files("asf_release") / "policy" / "header-templates" / f"{name}.txt"
    return path.read_text() if path.is_file() else None


@cache
def asf_header() -> str:
    """The ASF header, normalised: what the scan looks for in every text file."""
    text = template("Apache-2.0-ASF")
    assert text is not None
    return normalize.normalize(text)


def _match_any(patterns: tuple[str, ...], path: str, problems: set[str]) -> bool:
    found, problem = _try_match(patterns, path)
    if problem:
        problems.add(problem)
    return found


@lru_cache(maxsize=65536)
def _try_match(patterns: tuple[str, ...], path: str) -> tuple[bool, str]:
    """license-eye's tryMatchPatten: doublestar first, then the name and directory fallbacks."""
    for pattern in patterns:
        try:
            if doublestar.match(pattern, path):
                return True, ""
        except doublestar.BadPatternError:
            return False, f"pattern '{pattern}' is malformed (license-eye stops with an error on it)"
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        trimmed = pattern.rstrip("/")
        if name == trimmed or path.startswith(trimmed + "/"):
            return True, ""
    return False, ""


@dataclass(frozen=True)
class Rule:
    """One `header:` section."""

    number: int
    paths: tuple[str, ...]
    ignore: tuple[str, ...]
    threshold: int
    expected: str  # the normalised header; "" when the section gives none
    pattern: re.Pattern[str] | None
    describe: str
    problems: set[str] = field(default_factory=set, compare=False, hash=False)

    @property
    def asf(self) -> bool:
        """True when the expected header is the ASF header, which the scan already located."""
        return self.expected == asf_header()

    def selects(self, path: str) -> bool:
        return _match_any(self.paths, path, self.problems)

    def covers(self, path: str) -> bool:
        return self.selects(path) and not _match_any(self.ignore, path, self.problems)

    def satisfied(self, content: str) -> bool:
        """license-eye's satisfy(), on the normalised file."""
        if self.expected.strip():
            index = content.find(self.expected)
            if index >= 0:
                return normalize.byte_offset(content, index) < self.threshold
        if self.pattern is None:
            return False
        return self.pattern.search(content) is not None


@dataclass
class Config:
    source: str  # the file's path in the archive
    base: str  # the directory it applies to ("" for the root)
    rules: list[Rule] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def relative(self, path: str) -> str | None:
        """The path as license-eye sees it when run in this config's directory; None outside it."""
        if not self.base:
            return path
        prefix = self.base + "/"
        return path[len(prefix) :] if path.startswith(prefix) else None


def is_config_name(path: str) -> bool:
    """A sub-directory's own license-eye config (not one kept as test data)."""
    parts = path.split("/")
    return parts[-1] in CONFIG_NAMES and not any(part.lower() in _TEST_DIRS for part in parts[:-1])


def legacy_ignores(gitignore: bytes | None) -> tuple[str, ...]:
    """What license-eye before v0.5.0 added to every `paths-ignore` (config.go, Finalize): `.git`,
    `**/*.txt`, and each line of the `.gitignore` where it runs, comments and blank lines skipped,
    leading slashes trimmed, then spaces (Go's strings.TrimLeft, then TrimSpace)."""
    lines = []
    for line in (gitignore or b"").decode("utf-8", errors="replace").splitlines()[:10_000]:
        if line.startswith("#") or not line.strip():
            continue
        lines.append(line.lstrip("/").strip())
    return (".git", "**/*.txt", *lines)


def parse(
    text: bytes,
    source: str,
    when: date | Callable[[], date],
    base: str = "",
    ignore_more: tuple[str, ...] = (),
) -> Config:
    """The configuration in `text`; `when` gives the year license-eye would have filled in (the
    release's date, or how to find it: looked up only when a header holds `[year]`). `ignore_more`
    is added to every section's `paths-ignore` (what an older license-eye adds: legacy_ignores)."""
    import yaml

    config = Config(source, base)
    try:
        document = yaml.safe_load(text.decode("utf-8", errors="replace"))
    except yaml.YAMLError as error:
        config.problems.append(f"is not valid YAML ({str(error).splitlines()[0]})")
        return config
    sections = document.get("header") if isinstance(document, dict) else None
    if isinstance(sections, dict):
        sections = [sections]
    if not isinstance(sections, list) or not sections:
        config.problems.append("has no 'header' section")
        return config
    for number, section in enumerate(sections, start=1):
        if not isinstance(section, dict):
            config.problems.append(f"header section {number} is not a mapping")
            continue
        rule = _rule(number, section, when, config.problems, ignore_more)
        if rule is not None:
            config.rules.append(rule)
    return config


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(item) for item in value if isinstance(item, (str, int, float)))
    return ()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _rule(
    number: int,
    section: dict[str, Any],
    when: date | Callable[[], date],
    problems: list[str],
    ignore_more: tuple[str, ...] = (),
) -> Rule | None:
    license_ = section.get("license") if isinstance(section.get("license"), dict) else {}
    assert isinstance(license_, dict)
    threshold = section.get("license-location-threshold")
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold <= 0:
        threshold = DEFAULT_THRESHOLD
    spdx, owner = _text(license_.get("spdx-id")), _text(license_.get("copyright-owner"))
    name = _text(license_.get("software-name"))
    content = _text(license_.get("content"))
    if content.strip():
        body, describe = content, "the header configured in license.content"
    elif spdx == "Apache-2.0" and _ASF_NAMES.search(owner):
        body, describe = template("Apache-2.0-ASF") or "", "the ASF header"
    else:
        body = template(spdx) or ""
        describe = f"the {spdx} header of {owner or 'its owner'}"
        if spdx and not body:
            problems.append(
                f"header section {number}: license-eye has no header template for spdx-id '{spdx}' "
                "(it checks such files against the pattern only)"
            )
    if "[year]" in body:
        year = _text(license_.get("copyright-year")) or str((when if isinstance(when, date) else when()).year)
        body = body.replace("[year]", year)
    body = body.replace("[owner]", owner).replace("[software-name]", name)
    pattern = _pattern(_text(license_.get("pattern")), number, problems)
    if not body.strip() and pattern is None:
        problems.append(f"header section {number} gives no header: no content, spdx-id template or pattern")
        return None
    if not body.strip():
        describe = "a header matching license.pattern"
    return Rule(
        number,
        _strings(section.get("paths")) or ("**",),
        _strings(section.get("paths-ignore")) + ignore_more,
        threshold,
        normalize.normalize(body) if body.strip() else "",
        pattern,
        describe,
    )


def _pattern(raw: str, number: int, problems: list[str]) -> re.Pattern[str] | None:
    if not raw.strip():
        return None
    try:
        return re.compile("(?i).*" + normalize.normalize_pattern(raw) + ".*")
    except re.error as error:
        problems.append(
            f"header section {number}: license.pattern is not a valid regular expression ({error})"
        )
        return None


_START = re.compile(rb"licensed\s+to\b", re.IGNORECASE)


def asf_header_position(head: bytes) -> int | None:
    """Where the ASF header starts in the normalised file, in bytes as license-eye counts; None when
    this quick look does not find it (a covered file is then read again and judged in full).

    Only the bytes from the file's start to the end of the header's last line are normalised: most
    files of a project begin with the same bytes there, so the result is cached."""
    low = head.lower()  # plain finds on lower-case bytes: the common spelling costs no regex
    start = low.find(b"licensed to ")
    if start < 0:
        found = _START.search(head) if b"licensed" in low else None
        if found is None:
            return None
        start = found.start()
    limitations = low.find(b"limitations", start)
    if limitations < 0:
        return None
    last = low.find(b"license", limitations)
    if last < 0:
        return None
    line_end = head.find(b"\n", last)
    return _position(head[: line_end if line_end >= 0 else len(head)])


@lru_cache(maxsize=4096)
def _position(segment: bytes) -> int | None:
    text = normalize.normalize(normalize.decode(segment))
    found = text.find(asf_header())
    return normalize.byte_offset(text, found) if found >= 0 else None


_NOT_ALNUM = bytes(b for b in range(256) if not chr(b).isascii() or not chr(b).isalnum())


def text_before(head: bytes, size: int) -> int:
    """For a head without the ASF header: -1 when it is the whole file, else its letters and
    digits, which normalisation keeps, so a header further down starts at least that many bytes
    into the normalised text."""
    return -1 if size <= len(head) else len(head.translate(None, _NOT_ALNUM))
