"""Small helpers the checks share."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

from asf_release.adapters.git import Git
from asf_release.errors import ReleaseError
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


def root_text(rc: OpenedRC, check_id: str, name: str, kind: str) -> tuple[str, str] | CheckResult:
    """(the file's name, its text) for a file at the archive's root under one of its accepted names
    (LICENSE, LICENSE.txt, LICENSE.md...), or the result that says why there is none."""
    scan = source_archive(rc, check_id)
    if isinstance(scan, CheckResult):
        return scan
    found = root_file(scan, name)
    if found is None:
        return CheckResult.of(
            check_id,
            [
                fail(
                    name,
                    f"there is no {name} file at the root of the archive ({name}, {name}.txt or {name}.md)",
                )
            ],
        )
    raw = scan.texts.get(found)
    if raw is None:
        return CheckResult.of(check_id, [fail(found, f"is too large to be a {kind} file")])
    return found, raw.decode("utf-8", errors="replace")


def root_file(scan: ArchiveScan, name: str) -> str | None:
    """The root file a project names NAME, NAME.txt or NAME.md (LICENSE, NOTICE), or None."""
    return next((f"{name}{ext}" for ext in ("", ".txt", ".md") if f"{name}{ext}" in scan.files), None)


def release_date(rc: OpenedRC) -> date:
    """The date the release was made: its tag's commit in a local repository, else the newest
    member's time in the archive, else today. Copyright years are judged against it."""
    if rc.released is None:
        rc.released = _tag_date(rc) or _newest_member(rc) or rc.today
    return rc.released


def _tag_date(rc: OpenedRC) -> date | None:
    location = rc.repository.location
    if not rc.tag or not location or "://" in location:
        return None
    path = Path(location).expanduser()
    if not path.is_dir():
        return None
    try:  # a clone or a bare repository: git log reads both
        commits = Git(path).log(rc.tag, "-1")
    except ReleaseError:
        return None
    return datetime.fromtimestamp(commits[0].timestamp, UTC).date() if commits else None


def _newest_member(rc: OpenedRC) -> date | None:
    newest = rc.archive.newest if rc.archive is not None else 0
    return datetime.fromtimestamp(newest, UTC).date() if newest > 0 else None


def capped(findings: list[Finding], what: str = "more") -> list[Finding]:
    """At most MAX_FINDINGS findings, the rest summed up in one that carries the level of the worst
    it hides and counts them by level, so a report stays readable and its counts stay true."""
    if len(findings) <= MAX_FINDINGS:
        return findings
    rest = findings[MAX_FINDINGS:]
    order = [Level.FAIL, Level.WARN, Level.NOTE]
    worst = min((f.level for f in rest), key=order.index)
    counts = tuple((level, sum(f.counts().get(level.value, 0) for f in rest)) for level in order)
    by_level = ", ".join(f"{count} {level.value}" for level, count in counts if count)
    total = sum(count for _, count in counts)
    summary = Finding(
        _common_directory(rest), f"... and {total} {what} like these ({by_level})", "", worst, hidden=counts
    )
    return [*findings[:MAX_FINDINGS], summary]


def _common_directory(findings: list[Finding]) -> str:
    """The directory all these findings are under ("." for the archive's root)."""
    directories = [f.path.rsplit("/", 1)[0] if "/" in f.path else "" for f in findings]
    common = os.path.commonpath(directories) if all(directories) else ""
    return common or "."
