"""Real Apache source releases from Debian's source archive, verified as a voter with nothing set
up would: `asf-release verify DIR --keys KEYS --no-build`, outside any checkout, no profile.

Two tests per release: the checks of the archive and its signatures, held to their expected
result now; and the whole verdict, the right one as written in releases.toml, an expected
failure (strict) while a content rule named there still fails the release by mistake."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.realworld.conftest import ROWS, Row
from tests.realworld.debian import Prepared, Release, Unreachable, cache_dir, prepare

pytestmark = pytest.mark.realworld

ENTRIES: list[dict[str, Any]] = tomllib.loads((Path(__file__).with_name("releases.toml")).read_text())[
    "release"
]
OWN_CHECKS = ("artifacts", "checksums", "signatures", "archive", "binaries")
_reports: dict[str, tuple[dict[str, Any], int, float]] = {}


def _release(entry: dict[str, Any]) -> Release:
    return Release(
        entry["package"],
        entry["debian"],
        entry["verdict"],
        tuple(entry["failing"]),
        entry["why"],
        entry.get("pending", ""),
        entry.get("suite", ""),
        entry.get("keys_from", ""),
    )


def _verify(entry: dict[str, Any], deadline: float, tmp_path: Path) -> tuple[Prepared, dict[str, Any], int]:
    """The release, prepared once and verified once per session (both tests read the report)."""
    if time.monotonic() > deadline:
        pytest.fail("the real-world suite went past its time budget (ASF_RELEASE_REALWORLD_BUDGET)")
    try:
        prepared = prepare(_release(entry), cache_dir())
    except Unreachable as problem:
        pytest.fail(f"Debian's source archive did not give {entry['package']}: {problem}")
    if prepared.artifact not in _reports:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "asf_release", "verify", str(prepared.rc), "--keys", str(prepared.keys),
             "--no-build", "--json"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"verify gave no report (exit {done.returncode}):\n{done.stderr[-3000:]}")
        _reports[prepared.artifact] = (report, done.returncode, seconds)
        counts: dict[str, int] = {}
        for check in report["checks"]:
            for finding in check["findings"]:
                counts[finding["level"]] = counts.get(finding["level"], 0) + 1
        failing = [c["id"] for c in report["checks"] if c["status"] == "fail"]
        ROWS.append(Row(prepared.artifact, report["verdict"], entry["verdict"], counts, seconds, failing))
    report, code, _ = _reports[prepared.artifact]
    return prepared, report, code


def _checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in report["checks"]}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.get("id", e["package"]) for e in ENTRIES])
def test_archive_and_signatures(entry: dict[str, Any], deadline: float, tmp_path: Path) -> None:
    prepared, report, _ = _verify(entry, deadline, tmp_path)
    checks = _checks(report)
    assert report["profile"] == "generic"
    assert prepared.artifact == entry["artifact"]
    expected_fail = set(entry["failing"]) & set(OWN_CHECKS)
    for check_id in OWN_CHECKS:
        status = checks[check_id]["status"]
        if check_id in expected_fail:
            assert status == "fail", (check_id, checks[check_id])
        else:
            assert status in ("pass", "warn"), (check_id, checks[check_id])
        for finding in checks[check_id]["findings"]:
            # every finding names its path (the capped remainder is the verdict test's concern)
            assert finding["path"] or finding["message"].startswith("... and "), (check_id, finding)
    assert checks["archive"]["summary"].startswith(entry["format"])  # read by content
    assert f"{entry['signatures']} signature(s)" in checks["signatures"]["summary"]
    signers = [f for f in checks["signatures"]["findings"] if f["message"].startswith("good signature by")]
    good = entry.get("good", 0 if "signatures" in expected_fail else entry["signatures"])
    assert len(signers) == good  # each signer reported


def _verdict_params() -> list[Any]:
    params = []
    for entry in ENTRIES:
        marks = []
        if entry.get("pending"):
            reason = "fails today only by a content rule: " + " ".join(entry["pending"].split())
            marks.append(pytest.mark.xfail(strict=True, reason=reason))
        params.append(pytest.param(entry, id=entry.get("id", entry["package"]), marks=marks))
    return params


@pytest.mark.parametrize("entry", _verdict_params())
def test_the_right_verdict(entry: dict[str, Any], deadline: float, tmp_path: Path) -> None:
    _, report, code = _verify(entry, deadline, tmp_path)
    checks = _checks(report)
    failing = sorted(check_id for check_id, check in checks.items() if check["status"] == "fail")
    assert (report["verdict"], failing) == (entry["verdict"], sorted(entry["failing"])), entry["why"]
    assert code == (0 if entry["verdict"] == "pass" else 1)
    for check_id, check in checks.items():
        false_failures = [
            f for f in check["findings"] if f["level"] == "fail" and check_id not in entry["failing"]
        ]
        assert not false_failures, (check_id, false_failures[:5])
        assert all(f["path"] for f in check["findings"]), check_id


def test_a_release_debian_cannot_give_fails_plainly(tmp_path: Path) -> None:
    """Never a silent pass: what apt-get cannot bring is an error naming what to do."""
    with pytest.raises(Unreachable, match="failed"):
        prepare(Release("asf-release-no-such-package", "1.0-1", "pass", (), ""), tmp_path)
