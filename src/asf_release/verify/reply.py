"""A draft reply to the vote thread: what was checked, in the order of the seed's checklist, and
the +1 or -1 the results support, with the reasons."""

from __future__ import annotations

from dataclasses import dataclass

from asf_release.profile import Profile
from asf_release.templates import render
from asf_release.verify.model import CheckResult, Level, Report, Status

# The vote mail's checklist, each line with the checks that answer it (none: not checked here).
CHECKLIST: list[tuple[str, tuple[str, ...]]] = [
    ("Download links are valid", ("artifacts",)),
    ("Checksums and signatures", ("checksums", "signatures")),
    ("LICENSE/NOTICE files exist", ("license", "notice")),
    ("No unexpected binary files", ("binaries",)),
    ("All source files have ASF headers", ("headers",)),
    ("Can compile from source", ("build",)),
    ("All Tests Passed", ("tests",)),
    ("The archive opens safely and matches the git tag", ("archive", "provenance")),
    ("Docker image with right version", ()),
    ("Docker image contains license files", ()),
    ("Docker image can work well", ()),
]


@dataclass(frozen=True)
class Item:
    mark: str  # x: checked and fine, -: a problem, blank: not checked
    title: str
    detail: str


def items(report: Report) -> list[Item]:
    out = []
    for title, ids in CHECKLIST:
        results = [r for r in (report.check(i) for i in ids) if r is not None]
        ran = [r for r in results if r.status is not Status.SKIP]
        if not ids:
            out.append(Item(" ", title, "not checked by asf-release verify"))
        elif not ran:
            reasons = "; ".join(r.summary for r in results) or "not selected"
            out.append(Item(" ", title, f"not checked ({reasons})"))
        elif any(r.status is Status.FAIL for r in ran):
            out.append(Item("-", title, "; ".join(_problem(r) for r in ran if r.status is Status.FAIL)))
        else:
            warned = [r for r in ran if r.status is Status.WARN]
            detail = "; ".join(_warning(r) for r in warned)
            out.append(Item("x", title, f"with remarks: {detail}" if detail else "OK"))
    return out


def _problem(result: CheckResult) -> str:
    failures = [f for f in result.findings if f.level is Level.FAIL]
    first = failures[0] if failures else None
    text = (
        f"{first.path}: {first.message}"
        if first and first.path
        else first.message
        if first
        else result.summary
    )
    total = sum(f.counts().get("fail", 0) for f in failures)  # a capped remainder counts for all it hides
    more = f" (and {total - 1} more)" if total > 1 else ""
    return f"{result.id}: {text.splitlines()[0]}{more}"


def _warning(result: CheckResult) -> str:
    warnings = [f for f in result.findings if f.level is Level.WARN]
    return f"{result.id}: " + (warnings[0].message.splitlines()[0] if warnings else result.summary)


def draft(profile: Profile, report: Report) -> str:
    listed = items(report)
    reasons = [item for item in listed if item.mark == "-"]
    return render(
        profile,
        "vote_reply",
        product=profile.project.product,
        version=report.version or "(unknown version)",
        rc=report.rc,
        tag=report.tag,
        source=report.source,
        keys=report.keys,
        vote="+1" if report.passed else "-1",
        items=listed,
        reasons=reasons,
    )
