"""checksums: each .sha512 / .sha256 file recomputed and compared. Accepted forms: `HASH  NAME`,
`HASH *NAME` (sha512sum, shasum), a bare hash, and BSD's `SHA512 (NAME) = HASH`."""

from __future__ import annotations

import re

from asf_release.verify.model import CheckResult, Finding, fail
from asf_release.verify.rc import CHECKSUM_SUFFIXES, OpenedRC

ID = "checksums"
_GNU = re.compile(r"^(?P<hash>[0-9a-fA-F]+)(?:\s+\*?(?P<name>.+?))?\s*$")
_BSD = re.compile(r"^(?P<algo>SHA-?\d+)\s*\((?P<name>.+)\)\s*=\s*(?P<hash>[0-9a-fA-F]+)\s*$", re.IGNORECASE)
_LENGTH = {"sha512": 128, "sha256": 64}


def parse(text: str) -> list[tuple[str | None, str]]:
    """(file name or None for a bare hash, lower-case hash) for each line of a checksum file.
    shasum's own line breaks (a hash split over lines) are joined first."""
    entries: list[tuple[str | None, str]] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and all(re.fullmatch(r"[0-9a-fA-F]+", line) for line in lines):
        return [(None, "".join(lines).lower())]  # a bare hash, possibly wrapped
    for line in lines:
        found = _BSD.match(line) or _GNU.match(line)
        if found:
            name = found.group("name")
            entries.append((name.strip() if name else None, found.group("hash").lower()))
    return entries


def check(rc: OpenedRC) -> CheckResult:
    findings: list[Finding] = []
    compared = 0
    for artifact in rc.artifacts:
        for suffix in CHECKSUM_SUFFIXES:
            name = artifact + suffix
            if name not in rc.located.files:
                continue
            algorithm = suffix[1:]
            data = rc.sidecars.get(name)
            if data is None:
                findings.append(fail(name, "is too large to be a checksum file"))
                continue
            entries = parse(data.decode("utf-8", errors="replace"))
            mine = [(n, h) for n, h in entries if n is None or n.rsplit("/", 1)[-1] == artifact]
            if not mine:
                findings.append(fail(name, f"holds no checksum of {artifact}", "expected `HASH  NAME`"))
                continue
            expected = rc.digests.get(artifact, {}).get(algorithm)
            for _, value in mine:
                compared += 1
                if len(value) != _LENGTH[algorithm]:
                    findings.append(
                        fail(name, f"holds a {len(value) * 4}-bit hash, not a {algorithm.upper()} one")
                    )
                elif value != expected:
                    findings.append(
                        fail(
                            name,
                            f"does not match {artifact}: the file hashes to {expected}",
                            "download again; if it persists, the artifact or the checksum was changed",
                        )
                    )
    if not compared and not findings:
        return CheckResult.skipped(ID, "there is no checksum file to verify (see artifacts)")
    return CheckResult.of(ID, findings, f"{compared} checksum(s) compared")
