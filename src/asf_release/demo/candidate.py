"""The demo's release candidate: the signing key in KEYS, package, stage, and a voter's verify.

Each stage calls the library as its command does; run again, each finds its work done.
"""

from __future__ import annotations

from asf_release.adapters.svn import join
from asf_release.demo.core import DemoRun, Stage, step_said, voted_files
from asf_release.steps import keys
from asf_release.steps.package import PackageStep
from asf_release.steps.stage import StageStep
from asf_release.verify import VerifyRequest, verify


def stages(version: str) -> list[Stage]:
    return [
        ("Check the signing key", "asf-release keys check", _keys_check),
        ("Add the signing key to KEYS", "asf-release keys add", _keys_add),
        ("Package the release candidate", f"asf-release package {version} --rc 1", _package),
        ("Stage it on dist/dev", f"asf-release stage {version} --rc 1", _stage),
        (
            "A voter verifies the staged candidate",
            f"asf-release verify <dist/dev>/{version}-rc1 --keys <KEYS>",
            _verify,
        ),
    ]


def _keys_check(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        report = keys.check(ctx)
    finally:
        ctx.close()
    lines = [f"{report.uid}, fingerprint {report.fingerprint}"]  # its strength is a finding below
    lines += [f"{f.level.value}: {f.message}" + (f" ({f.hint})" if f.hint else "") for f in report.findings]
    return lines


def _keys_add(run: DemoRun) -> list[str]:
    return step_said(run, keys.KeysStep())


def _package(run: DemoRun) -> list[str]:
    return step_said(run, PackageStep(run.version, run.rc))


def _stage(run: DemoRun) -> list[str]:
    return step_said(run, StageStep(run.version, run.rc))


def _verify(run: DemoRun) -> list[str]:
    """What a PMC member runs: the staged directory, KEYS from dist/release, and the build."""
    ctx = run.context()
    try:
        request = VerifyRequest(
            source=voted_files(ctx, run),
            keys=join(ctx.profile.dist.release_url, keys.KEYS_FILE),
            build=True,
        )
        report = verify(ctx, request)
    finally:
        ctx.close()
    lines = [
        f"{check.id}: {check.status}" + (f" ({check.summary})" if check.summary else "")
        for check in report.checks
    ]
    lines.append(f"verdict: {report.verdict}")
    return lines
