"""Which version of license-eye or hawkeye a project runs, as its CI workflows pin it.

The header tools changed what they check between versions, and a project is held to the version
it runs, not to today's:
- license-eye before v0.5.0 added `.git`, `**/*.txt` and every line of the root `.gitignore` to
  `paths-ignore` (pkg/header/config.go, Finalize). Apache bRPC runs `apache/skywalking-eyes@v0.4.0`
  and its `.gitignore` starts with `*`: no file at its top level is checked.
- hawkeye before v5 (the Java tool) knew fewer file types: no go.mod, Makefile or .jsx; v3 also
  checked .txt files. Apache Pulsar's Go client runs `ghcr.io/korandoru/hawkeye-native:v3`, which
  never looks at go.mod.

Pins are read from `uses:` steps, container images and release downloads, for example
`apache/skywalking-eyes/header@v0.6.0`, `korandoru/hawkeye@v6`,
`ghcr.io/korandoru/hawkeye-native:v3`, `hawkeye/releases/download/v6.5.1/`. A pin by commit or
branch says no version: then the newest semantics apply, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WORKFLOWS = ".github/workflows/"
MAX_TEXT = 1 << 20  # a workflow read for pins: its first MiB

_LICENSE_EYE = re.compile(
    rb"skywalking-eyes(?:/[\w.-]+)*[@:]v?(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?(?![\w.])", re.IGNORECASE
)
_HAWKEYE = re.compile(
    rb"korandoru/hawkeye(?:-native)?(?:[@:]|/releases/download/)v?(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?"
    rb"(?![\w.])",
    re.IGNORECASE,
)


def is_workflow(path: str) -> bool:
    return path.startswith(WORKFLOWS) and path.endswith((".yml", ".yaml"))


def _versions(pattern: re.Pattern[bytes], texts: Iterable[bytes]) -> set[tuple[int, int, int]]:
    found = set()
    for text in texts:
        for match in pattern.finditer(text[:MAX_TEXT]):
            found.add(tuple(int(part) if part else 0 for part in match.groups()))
    return found  # type: ignore[return-value]


def license_eye_versions(files: dict[str, bytes]) -> set[tuple[int, int, int]]:
    """The license-eye versions the workflows among `files` (path -> bytes) pin."""
    return _versions(_LICENSE_EYE, (text for path, text in files.items() if is_workflow(path)))


def hawkeye_versions(files: dict[str, bytes]) -> set[tuple[int, int, int]]:
    """The hawkeye versions the workflows among `files` pin (a major version alone: `@v6`)."""
    return _versions(_HAWKEYE, (text for path, text in files.items() if is_workflow(path)))


def license_eye_legacy(files: dict[str, bytes]) -> bool:
    """The project runs a license-eye older than v0.5.0. When workflows pin several versions, the
    oldest decides: the files it leaves out are not provably held to a header."""
    versions = license_eye_versions(files)
    return bool(versions) and min(versions) < (0, 5, 0)


def hawkeye_major(files: dict[str, bytes]) -> int | None:
    """The oldest hawkeye major version the workflows pin, or None when none is pinned."""
    versions = hawkeye_versions(files)
    return min(versions)[0] if versions else None
