"""A good RC, built by hand from the sample project, passes every check."""

from __future__ import annotations

from pathlib import Path

from tests.verify_fixtures import RcFactory, rc_factory, run_verify, statuses

__all__ = ["rc_factory"]


def test_a_good_rc_passes_every_check_including_build_and_tests(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    report = run_verify(rc_factory, rc_factory.build(), tmp_path, build=True)
    assert statuses(report) == {
        "artifacts": "pass",
        "checksums": "pass",
        "signatures": "pass",
        "archive": "pass",
        "license": "pass",
        "notice": "pass",
        "headers": "pass",
        "binaries": "pass",
        "provenance": "pass",
        "build": "pass",
        "tests": "pass",
    }, [c.to_json() for c in report.checks if c.status.value != "pass"]
    assert report.verdict == "pass" and report.version == "2.11.0" and report.rc == 1
    headers = report.check("headers")
    assert headers is not None and headers.findings == []  # sha1.* are ignored by the licenserc
    assert report.logs and (Path(report.logs) / "build.log").is_file()
    provenance = report.check("provenance")
    assert provenance is not None and "byte for byte identical" in provenance.findings[0].message
