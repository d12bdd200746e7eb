"""signatures: every .asc verified with gpg against the keys in KEYS only (a throwaway keyring,
never the voter's own); the signing key and digest judged by ASF policy. A .asc may hold several
signatures (Subversion's holds one per release manager who signed): it verifies only when every
one of them does, and each signer is reported."""

from __future__ import annotations

from asf_release.adapters.gpg import Key, Signature
from asf_release.verify.model import CheckResult, Finding, fail, note, warn
from asf_release.verify.rc import OpenedRC

ID = "signatures"
WEAK_DIGESTS = {"MD5", "SHA1", "RIPEMD160"}


def check(rc: OpenedRC) -> CheckResult:
    findings: list[Finding] = []
    if not rc.keys:
        return CheckResult.of(
            ID,
            [fail("KEYS", f"{rc.keys_source} holds no usable key", "check the KEYS location (--keys)")],
        )
    verified = 0
    for artifact in rc.artifacts:
        name = f"{artifact}.asc"
        if name not in rc.located.files:
            continue  # the artifacts check reports it
        signatures = rc.signatures.get(name)
        if not signatures:
            findings.append(
                fail(name, "is not an ASCII-armored signature", "sign with gpg --armor --detach-sign")
            )
            continue
        verified += 1
        for signature in signatures:
            findings += _judge(name, artifact, signature, rc.keys)
        if len(signatures) > 1:
            good = sum(1 for s in signatures if s.valid)
            findings.append(note(name, f"holds {len(signatures)} signatures, {good} of them good"))
    if not verified and not findings:
        return CheckResult.skipped(ID, "there is no signature to verify (see artifacts)")
    count = sum(len(rc.signatures.get(f"{a}.asc", [])) for a in rc.artifacts)
    return CheckResult.of(
        ID,
        findings,
        f"{count} signature(s) in {verified} file(s) verified with the {len(rc.keys)} key(s) of "
        f"{rc.keys_source}",
    )


def _judge(name: str, artifact: str, signature: Signature, keys: list[Key]) -> list[Finding]:
    status = signature.status
    who = signature.fingerprint or signature.key_id
    if status == "no-key":
        return [
            fail(
                name,
                f"made by key {who}, which is not in KEYS",
                "the release manager must add the key to KEYS before the vote",
            )
        ]
    if status == "bad":
        return [fail(name, f"does not match {artifact}: BAD signature", "download again; never vote on this")]
    if status in ("expired-key", "revoked-key"):
        state = "expired" if status == "expired-key" else "revoked"
        return [
            fail(name, f"made by key {who} ({signature.signer}), which is {state}", "sign with a valid key")
        ]
    if status != "good":
        detail = "; ".join(signature.details) or status
        return [fail(name, f"cannot be verified: {detail}")]
    findings: list[Finding] = []
    key = next((k for k in keys if k.matches(signature.primary_fingerprint or signature.fingerprint)), None)
    signer = f"{signature.signer} ({signature.primary_fingerprint})"
    if signature.digest in WEAK_DIGESTS:
        findings.append(
            fail(
                name,
                f"uses the {signature.digest} digest, which is broken",
                "sign again with SHA-512 (--digest-algo SHA512)",
            )
        )
    if key is not None:
        used = next(
            (k for k in (key.primary, *key.subkeys) if k.fingerprint == signature.fingerprint), key.primary
        )
        if used.algorithm == "RSA" and used.bits < 2048:
            findings.append(
                fail(
                    name,
                    f"made by {signer} with an RSA {used.bits}-bit key; ASF policy requires 2048 at least",
                )
            )
        elif used.algorithm == "RSA" and used.bits < 4096:
            findings.append(
                warn(name, f"made by {signer} with an RSA {used.bits}-bit key; 4096 bits are recommended")
            )
        if not any(email.lower().endswith("@apache.org") for email in key.emails()):
            findings.append(
                warn(name, f"signer {signature.signer} has no @apache.org user id", "add one to the key")
            )
    findings.append(note(name, f"good signature by {signer}, {signature.digest}"))
    return findings
