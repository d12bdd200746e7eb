"""license: LICENSE at the root starts with the full Apache License 2.0 (third-party sections may
follow), and the files it points to (licenses/LICENSE-*.txt, listed sources) exist."""

from __future__ import annotations

import fnmatch
import re

from asf_release import data
from asf_release.checks.common import root_text
from asf_release.verify.model import CheckResult, Finding, fail
from asf_release.verify.rc import OpenedRC
from asf_release.verify.scan import ArchiveScan

ID = "license"
_END = "END OF TERMS AND CONDITIONS"
# Relative paths in the text, not parts of URLs: licenses/LICENSE-x.txt, src/common/sha1.h
_PATH = re.compile(r"(?<![\w:/.@-])((?:[\w.-]+/)+[\w.*-]*[\w*])")


def check(rc: OpenedRC) -> CheckResult:
    license_text = root_text(rc, ID, "LICENSE", "license")
    if isinstance(license_text, CheckResult):
        return license_text
    scan = rc.archive
    assert scan is not None  # root_text found the archive read
    findings: list[Finding] = []
    words = license_text.split()
    expected = data.apache_license()
    terms = expected[: expected.index(_END) + len(_END)].split()
    if words[: len(terms)] != terms:
        findings.append(
            fail(
                "LICENSE",
                _first_difference(words, terms),
                "start LICENSE with the Apache License 2.0, unchanged",
            )
        )
    full = expected.split()
    tail_start = len(full) if words[: len(full)] == full else len(terms)
    findings += _missing_references(" ".join(words[tail_start:]), scan)
    return CheckResult.of(ID, findings, "LICENSE holds the Apache License 2.0" if not findings else "")


def _first_difference(words: list[str], terms: list[str]) -> str:
    for index, word in enumerate(terms):
        if index >= len(words):
            return f"does not hold the full Apache License 2.0: it ends at word {index + 1} of {len(terms)}"
        if words[index] != word:
            return (
                f"differs from the Apache License 2.0 at word {index + 1}: "
                f"expected '{word}', found '{words[index]}'"
            )
    return "does not hold the Apache License 2.0"


def _missing_references(text: str, scan: ArchiveScan) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    # "facebook/rocksdb" names a project, "src/x.h" a file: only paths under a directory the
    # archive has (or a licenses directory) are taken as pointers to files.
    roots = {name.split("/", 1)[0] for name in scan.files if "/" in name} | {"licenses", "license"}
    for found in _PATH.finditer(text):
        path = found.group(1).rstrip(".")
        if path in seen or path.split("/", 1)[0] not in roots:
            continue
        seen.add(path)
        if not _exists(path.rstrip("/"), scan):
            findings.append(fail(path, "LICENSE points to this file, which is not in the archive"))
    return findings


def _exists(path: str, scan: ArchiveScan) -> bool:
    if "*" in path:
        return any(fnmatch.fnmatchcase(name, path) for name in scan.files)
    return path in scan.files or path in scan.dirs or path in scan.symlinks
