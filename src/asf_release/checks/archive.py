"""archive: the source archive opens safely (no absolute paths, no '..', no link leading out, no
device or fifo, no duplicate, within the limits) under exactly one top directory."""

from __future__ import annotations

from asf_release.checks.common import capped
from asf_release.verify.model import CheckResult, Finding, fail
from asf_release.verify.rc import OpenedRC

ID = "archive"


def check(rc: OpenedRC) -> CheckResult:
    if rc.source_artifact is None:
        return CheckResult.skipped(ID, "there is no source archive (see artifacts)")
    scan = rc.archive
    if scan is None:
        return CheckResult.skipped(ID, "the source archive was not read")
    findings: list[Finding] = list(scan.problems)
    name = scan.name
    if not scan.complete:
        findings.append(
            fail(name, f"reading stopped: {scan.stopped}", "a sound source archive never does this")
        )
    expected = rc.top_directory
    tops = scan.tops
    if expected and scan.top != expected and tops:
        findings.append(
            fail(
                name,
                f"its top directory is {scan.top}, not {expected}",
                "the profile names it (source.top_directory)",
            )
        )
    for top, count in sorted(tops.items()):
        if top != scan.top:
            findings.append(fail(top, f"{count} member(s) outside the top directory {scan.top}"))
    if not tops and scan.complete:
        findings.append(fail(name, "the archive is empty"))
    size = scan.unpacked / (1 << 20)
    summary = f"{scan.members} members, {size:.1f} MiB unpacked, top directory {scan.top}"
    return CheckResult.of(ID, capped(findings), summary)
