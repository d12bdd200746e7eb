"""Small helpers the checks share."""

from __future__ import annotations

from asf_release.verify.model import CheckResult, Finding, Level, fail
from asf_release.verify.rc import OpenedRC
from asf_release.verify.scan import ArchiveScan

MAX_FINDINGS = 50


def source_archive(rc: OpenedRC, check_id: str) -> ArchiveScan | CheckResult:
    """The scanned source archive, or the skip result saying why there is none to look at."""
    if rc.source_artifact is None:
        return CheckResult.skipped(check_id, "there is no source archive to look into (see artifacts)")
    if rc.archive is None:
        return CheckResult.skipped(check_id, "the source archive was not read")
    if not rc.archive.complete:
        return CheckResult.skipped(check_id, "the source archive could not be read to its end (see archive)")
    return rc.archive


def root_text(rc: OpenedRC, check_id: str, name: str, kind: str) -> str | CheckResult:
    """The text of a file at the archive's root (LICENSE, NOTICE), or the result that says why not."""
    scan = source_archive(rc, check_id)
    if isinstance(scan, CheckResult):
        return scan
    if name not in scan.files:
        return CheckResult.of(check_id, [fail(name, f"there is no {name} file at the root of the archive")])
    raw = scan.texts.get(name)
    if raw is None:
        return CheckResult.of(check_id, [fail(name, f"is too large to be a {kind} file")])
    return raw.decode("utf-8", errors="replace")


def capped(findings: list[Finding], what: str = "more") -> list[Finding]:
    """At most MAX_FINDINGS findings, the rest summed up in one, so a report stays readable."""
    if len(findings) <= MAX_FINDINGS:
        return findings
    rest = findings[MAX_FINDINGS:]
    order = [Level.FAIL, Level.WARN, Level.NOTE]
    worst = min((f.level for f in rest), key=order.index)
    return [*findings[:MAX_FINDINGS], Finding("", f"... and {len(rest)} {what} like these", "", worst)]
