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


def test_the_package_step_call_on_a_project_context_without_network(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    """The exact call `asf-release package` makes before staging (ctx.root set, no network)."""
    from asf_release.context import Context
    from asf_release.steps.package import CHECKS
    from asf_release.verify import VerifyRequest, verify
    from tests.verify_fixtures import config_env

    ctx = Context.load(rc_factory.repo, env=config_env(tmp_path))
    assert ctx.root is not None
    request = VerifyRequest(
        source=str(rc_factory.build()),
        version="2.11.0",
        rc=1,
        keys=str(rc_factory.keyring.keys_file),
        git=str(ctx.root),
        tag="v2.11.0-rc1",
        build=False,
        only=CHECKS,
    )
    report = verify(ctx, request)
    assert report.verdict == "pass", [c.to_json() for c in report.checks if c.status.value != "pass"]
    assert [c.id for c in report.checks][-1] == "provenance" and report.to_json()["verdict"] == "pass"


def test_without_rc_the_highest_rc_tag_of_the_repository_counts(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    highest = rc_factory.defect_tag({"README.md": b"a later candidate\n"})
    report = run_verify(
        rc_factory, rc_factory.build(highest), tmp_path, rc=None, only=("artifacts", "provenance")
    )
    assert report.rc == highest and report.tag == f"v2.11.0-rc{highest}"
    assert statuses(report) == {"artifacts": "pass", "provenance": "pass"}
