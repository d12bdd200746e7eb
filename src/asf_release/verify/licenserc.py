"""The project's skywalking-eyes (license-eye) header configuration, read the way license-eye
reads it, and the RAT-like default used when a project has none.

A rule (one `header:` section) says which files need a header (`paths`, minus `paths-ignore`;
doublestar globs, plus license-eye's fallbacks: a pattern equal to a file's name, or naming a
directory the file is under) and which header: the ASF header (`spdx-id: Apache-2.0` with the ASF
as `copyright-owner`), the Apache-2.0 boilerplate for another owner, any `content`, or a
`pattern`. The header must start within `license-location-threshold` characters (default 80) of
the normalized file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import pathspec

from asf_release import data
from asf_release.verify import content

DEFAULT_THRESHOLD = 80
_ASF_OWNER = re.compile(r"(?i)(the )?(apache software foundation|asf)")
# The RAT-like default: source files of the common languages need the ASF header.
SOURCE_PATTERNS = [
    f"**/*.{ext}"
    for ext in [
        "c",
        "cc",
        "cpp",
        "cxx",
        "h",
        "hh",
        "hpp",
        "hxx",
        "m",
        "mm",
        "java",
        "scala",
        "kt",
        "kts",
        "groovy",
        "gradle",
        "go",
        "rs",
        "py",
        "pyx",
        "rb",
        "pl",
        "pm",
        "php",
        "js",
        "mjs",
        "cjs",
        "ts",
        "tsx",
        "jsx",
        "css",
        "scss",
        "less",
        "sh",
        "bash",
        "zsh",
        "bat",
        "cmd",
        "ps1",
        "lua",
        "tcl",
        "sql",
        "proto",
        "thrift",
        "cmake",
        "swift",
        "cs",
        "fs",
        "vb",
        "r",
        "jl",
        "hs",
        "erl",
        "ex",
        "exs",
        "clj",
        "dart",
        "zig",
    ]
] + ["**/CMakeLists.txt", "**/Makefile", "**/Dockerfile"]


class Paths:
    """license-eye's path matching: doublestar globs (anchored at the root), a pattern equal to the
    file's name, or a pattern naming a directory the file is under."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = [p for p in patterns if p.strip()]
        everything = any(p.strip() in (".", "./", "**", "**/*") for p in self.patterns)
        self._all = everything
        anchored = [p if p.startswith("/") else "/" + p for p in self.patterns]
        self._spec = pathspec.GitIgnoreSpec.from_lines(anchored)
        self._names = {p.rstrip("/") for p in self.patterns}
        self._dirs = tuple(p.rstrip("/") + "/" for p in self.patterns)

    def match(self, path: str) -> bool:
        if self._all:
            return True
        if not self.patterns:
            return False
        return (
            self._spec.match_file(path)
            or path.rsplit("/", 1)[-1] in self._names
            or path.startswith(self._dirs)
        )


@dataclass
class Rule:
    paths: Paths
    ignore: Paths
    threshold: int = DEFAULT_THRESHOLD
    asf: bool = True  # the ASF header: judged while the archive streams by
    expected: str = ""  # normalized content, when not the ASF header
    pattern: re.Pattern[str] | None = None
    describe: str = "the ASF header"

    def applies(self, path: str) -> bool:
        return self.paths.match(path) and not self.ignore.match(path)

    def satisfied_by(self, normalized: str) -> bool:
        """For rules other than the ASF header: judge a normalized head."""
        if self.expected.strip():
            found = normalized.find(self.expected)
            if found >= 0:
                return found < self.threshold
        if self.pattern is None:
            return False
        return self.pattern.search(normalized) is not None


@dataclass
class HeaderConfig:
    source: str  # the config file's path in the archive, or "default"
    rules: list[Rule] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def needs_content(self) -> bool:
        """True when some rule needs the files' heads again (not the ASF header)."""
        return any(not rule.asf for rule in self.rules)


def default() -> HeaderConfig:
    """With no configuration: the ASF header on every source file, anywhere near the top."""
    return HeaderConfig("default", [Rule(Paths(SOURCE_PATTERNS), Paths([]), threshold=1 << 30)])


def parse(text: bytes, source: str, today: date) -> HeaderConfig:
    import yaml

    config = HeaderConfig(source)
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
        rule = _rule(section, today, config.problems)
        if rule:
            config.rules.append(rule)
    return config


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value if isinstance(item, (str, int, float))]
    return []


def _rule(section: dict[str, Any], today: date, problems: list[str]) -> Rule | None:
    license_ = section.get("license") or {}
    if not isinstance(license_, dict):
        license_ = {}
    threshold = section.get("license-location-threshold")
    threshold = threshold if isinstance(threshold, int) and threshold > 0 else DEFAULT_THRESHOLD
    paths = _strings(section.get("paths")) or ["**"]
    rule = Rule(Paths(paths), Paths(_strings(section.get("paths-ignore"))), threshold)
    spdx = str(license_.get("spdx-id") or "")
    owner = str(license_.get("copyright-owner") or "")
    year = str(license_.get("copyright-year") or today.year)
    name = str(license_.get("software-name") or "")
    text = str(license_.get("content") or "")
    pattern = str(license_.get("pattern") or "")

    def fill(template: str) -> str:
        return template.replace("[year]", year).replace("[owner]", owner).replace("[software-name]", name)

    rule.asf = False
    if text.strip():
        rule.expected, rule.describe = content.normalize(fill(text)), "the configured header"
    elif spdx == "Apache-2.0" and _ASF_OWNER.search(owner):
        rule.asf, rule.expected = True, content.asf_header_normalized()
    elif spdx == "Apache-2.0":
        rule.expected = content.normalize(fill(_apache_boilerplate()))
        rule.describe = f"the Apache-2.0 header of {owner or 'the copyright owner'}"
    elif not pattern.strip():
        problems.append(
            f"license spdx-id '{spdx or '(none)'}' has no header template here: "
            "give license.content or license.pattern"
        )
        return None
    if pattern.strip():
        rule.asf = False  # a pattern is judged on the file's head, read again
        try:
            rule.pattern = re.compile(content.normalize_pattern(pattern), re.IGNORECASE)
        except re.error as error:
            problems.append(f"license pattern is not a valid regular expression ({error})")
        if not rule.expected:
            rule.describe = "the configured header pattern"
    return rule


@lru_cache(maxsize=1)
def _apache_boilerplate() -> str:
    """The appendix of the Apache License: the header for a copyright owner other than the ASF."""
    text = data.apache_license()
    start = text.find("Copyright [yyyy] [name of copyright owner]")
    body = "\n".join(line.strip() for line in text[start:].splitlines())
    return body.replace("[yyyy]", "[year]").replace("[name of copyright owner]", "[owner]")
