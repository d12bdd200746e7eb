"""What verification produces: findings, one result per check, and the report with its verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


class Level(StrEnum):
    FAIL = "fail"  # the release should not pass with this
    WARN = "warn"  # worth a look; does not fail the check
    NOTE = "note"  # listed for the voter's information


@dataclass(frozen=True)
class Finding:
    path: str
    message: str
    hint: str = ""
    level: Level = Level.FAIL
    # a summary of findings left out ("... and N more"): how many of each level it stands for
    hidden: tuple[tuple[Level, int], ...] = ()

    def counts(self) -> dict[str, int]:
        """The findings this one stands for, by level: itself, or those it sums up."""
        if self.hidden:
            return {level.value: count for level, count in self.hidden}
        return {self.level.value: 1}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "message": self.message, "level": self.level.value}
        if self.hint:
            data["hint"] = self.hint
        if self.hidden:
            data["stands_for"] = self.counts()
        return data


def count_levels(findings: list[Finding]) -> dict[str, int]:
    """Findings by level, a summary counting for all it stands for: exact whatever the cap."""
    totals = {level.value: 0 for level in Level}
    for finding in findings:
        for level, count in finding.counts().items():
            totals[level] += count
    return totals


def fail(path: str, message: str, hint: str = "") -> Finding:
    return Finding(path, message, hint, Level.FAIL)


def warn(path: str, message: str, hint: str = "") -> Finding:
    return Finding(path, message, hint, Level.WARN)


def note(path: str, message: str, hint: str = "") -> Finding:
    return Finding(path, message, hint, Level.NOTE)


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: Status
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""  # one line on what was checked, or why it was skipped

    @classmethod
    def of(cls, check_id: str, findings: list[Finding], summary: str = "") -> CheckResult:
        """The status follows from the worst finding: a failure fails, a warning warns."""
        levels = {f.level for f in findings}
        status = Status.FAIL if Level.FAIL in levels else Status.WARN if Level.WARN in levels else Status.PASS
        return cls(check_id, status, list(findings), summary)

    @classmethod
    def skipped(cls, check_id: str, reason: str) -> CheckResult:
        return cls(check_id, Status.SKIP, [], reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "summary": self.summary,
            "counts": count_levels(self.findings),
            "findings": [f.to_json() for f in self.findings],
        }


@dataclass
class Report:
    version: str | None
    rc: int | None
    source: str
    checks: list[CheckResult] = field(default_factory=list)
    tag: str | None = None
    keys: str = ""
    logs: str | None = None  # where build and test logs were kept
    profile: str = ""  # the profile the RC was judged by

    @property
    def verdict(self) -> str:
        """fail: a check failed; incomplete: nothing was checked (every check skipped, or none
        selected), which is no pass; pass otherwise."""
        if any(c.status is Status.FAIL for c in self.checks):
            return "fail"
        if all(c.status is Status.SKIP for c in self.checks):
            return "incomplete"
        return "pass"

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "version": self.version,
            "rc": self.rc,
            "source": self.source,
            "tag": self.tag,
            "keys": self.keys,
            "logs": self.logs,
            "profile": self.profile,
            "counts": count_levels([f for c in self.checks for f in c.findings]),
            "checks": [c.to_json() for c in self.checks],
        }
