"""archive: the source archive opens safely (no absolute paths, no '..', no link leading out, no
device or fifo, no duplicate, within the limits) under exactly one top directory: the one the
profile names, or (when the profile names none) one that agrees with the artifact's name. Its
format is read from its content; a name that says another format is a warning."""

from __future__ import annotations

from asf_release.checks.common import capped
from asf_release.verify.model import CheckResult, Finding, fail, warn
from asf_release.verify.rc import OpenedRC, tops_for
from asf_release.verify.tarstream import SUFFIXES

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
    elif expected is None and tops and scan.top not in tops_for(name):
        # without a profile naming it, the convention is only a convention: a real release
        # must not fail for its naming
        findings.append(
            warn(
                name,
                f"its top directory is {scan.top}, which does not match the artifact's name",
                f"unpacked, it is expected to give {tops_for(name)[0]}/",
            )
        )
    findings += _format_and_name(name, scan.format)
    for top, count in sorted(tops.items()):
        if top != scan.top:
            findings.append(fail(top, f"{count} member(s) outside the top directory {scan.top}"))
    if not tops and scan.complete:
        findings.append(fail(name, "the archive is empty"))
    size = scan.unpacked / (1 << 20)
    summary = f"{scan.format or 'unread'}, {scan.members} members, {size:.1f} MiB unpacked, top directory {scan.top}"
    return CheckResult.of(ID, capped(findings), summary)


def _format_and_name(name: str, found: str) -> list[Finding]:
    """A warning when the name promises another format than the content has (tar xzf fails)."""
    if not found or found not in SUFFIXES or name.lower().endswith(SUFFIXES[found]):
        return []
    named = next((kind for kind, suffixes in SUFFIXES.items() if name.lower().endswith(suffixes)), None)
    if named is None:
        return [warn(name, f"is {found} data, and its name does not say so")]
    return [
        warn(
            name,
            f"is named like {named} data but holds {found} data",
            f"rename it to end in {SUFFIXES[found][0]}: tools that trust the name fail to open it",
        )
    ]
