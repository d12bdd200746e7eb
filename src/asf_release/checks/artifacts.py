"""artifacts: the expected artifacts are there, each with an armored signature and a SHA-2
checksum; no forbidden signature or checksum kinds; nothing orphaned or unexpected."""

from __future__ import annotations

from asf_release.verify.model import CheckResult, Finding, fail, warn
from asf_release.verify.rc import (
    CHECKSUM_SUFFIXES,
    FORBIDDEN_SUFFIXES,
    SIDECAR_SUFFIXES,
    OpenedRC,
)

ID = "artifacts"


def check(rc: OpenedRC) -> CheckResult:
    files = rc.located.files
    findings: list[Finding] = [
        fail(
            "",
            f"{rc.located.origin} lists a file named {refusal}, so it is not a plain file name; "
            "it was not downloaded",
            "a listing that names files outside their directory is broken or hostile: "
            "get the RC from the project's dist directory",
        )
        for refusal in rc.located.refused
    ]
    if not files:
        return CheckResult.of(ID, [*findings, fail("", f"{rc.located.origin} holds no files")])
    if rc.discovering and not rc.artifacts:
        findings.append(
            fail(
                "",
                "no file carries a .asc signature, so none is known to be an artifact",
                "check the directory, or give --profile with a profile naming the artifacts",
            )
        )
    elif rc.version is None and not rc.discovering:
        pattern = rc.profile.source.artifact
        findings.append(
            fail("", f"no file is named like an artifact ({pattern})", "check the directory or the profile")
        )
    for name in rc.expected:
        if name not in files:
            findings.append(fail(name, "the source release is missing", "the profile expects this file"))
    for artifact in rc.artifacts:
        if f"{artifact}.asc" not in files:
            findings.append(
                fail(artifact, "has no .asc signature", "sign it: gpg --armor --detach-sign " + artifact)
            )
        if not any(f"{artifact}{suffix}" in files for suffix in CHECKSUM_SUFFIXES):
            findings.append(
                fail(
                    artifact,
                    "has no .sha512 or .sha256 checksum",
                    f"shasum -a 512 {artifact} > {artifact}.sha512",
                )
            )
    for name in files:
        if name.endswith(FORBIDDEN_SUFFIXES):
            suffix = "." + name.rsplit(".", 1)[1]
            findings.append(
                fail(
                    name,
                    f"{suffix} checksums are not allowed",
                    "ASF policy: provide .sha512 (or .sha256) only",
                )
            )
        elif name.endswith(".sig"):
            findings.append(
                fail(
                    name,
                    "binary .sig signatures are not allowed",
                    "ASF policy: an ASCII-armored .asc (gpg --armor)",
                )
            )
        if name.endswith(SIDECAR_SUFFIXES):
            base = name.rsplit(".", 1)[0]
            if base not in files:
                findings.append(warn(name, f"orphan: there is no {base} beside it"))
        elif name not in rc.artifacts:
            findings.append(warn(name, "unexpected file in the RC directory"))
    summary = f"{len(rc.artifacts)} artifact(s) in {rc.located.origin}: " + ", ".join(rc.artifacts)
    return CheckResult.of(ID, findings, summary)
