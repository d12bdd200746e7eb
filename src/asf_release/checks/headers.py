"""headers: the project's own license-eye configuration (found in the archive) applied to every
text file, or the RAT-like default; files under another license named: GPL family fails,
permissive ones are noted unless LICENSE lists them."""

from __future__ import annotations

from asf_release.checks.common import capped, source_archive
from asf_release.verify import content, licenserc
from asf_release.verify.model import CheckResult, Finding, fail, note, warn
from asf_release.verify.rc import OpenedRC
from asf_release.verify.scan import ArchiveScan, heads

ID = "headers"


def config_for(rc: OpenedRC, scan: ArchiveScan) -> tuple[licenserc.HeaderConfig, list[Finding]]:
    findings: list[Finding] = []
    for path in rc.profile.checks.header_configs:
        text = scan.texts.get(path)
        if text is None:
            continue
        config = licenserc.parse(text, path, rc.today)
        findings += [warn(path, problem) for problem in config.problems]
        if config.rules:
            return config, findings
        findings.append(warn(path, "has no usable header rule; the RAT-like default applies"))
        break
    return licenserc.default(), findings


def check(rc: OpenedRC) -> CheckResult:
    scan = source_archive(rc, ID)
    if isinstance(scan, CheckResult):
        return scan
    config, findings = config_for(rc, scan)
    license_text = scan.texts.get("LICENSE", b"").decode("utf-8", errors="replace")
    missing: list[Finding] = []
    others: list[Finding] = []
    reread: dict[str, list[licenserc.Rule]] = {}
    checked = 0
    for path in sorted(scan.files):
        facts = scan.files[path]
        if facts.kind != content.TEXT:
            continue  # as license-eye: only text files carry headers
        rules = [rule for rule in config.rules if rule.applies(path)]
        if rules:
            checked += 1
        for rule in rules:
            if not rule.asf:
                reread.setdefault(path, []).append(rule)
            elif facts.header is None or facts.header >= rule.threshold:
                missing.append(_missing(path, rule, config.source))
        for name in facts.licenses:
            if name in content.CATEGORY_X:
                others.append(
                    fail(
                        path,
                        f"is under the {name} (category X): it may not be in an Apache release",
                        "remove it",
                    )
                )
            elif path not in license_text:
                others.append(note(path, f"is under {name}: LICENSE should name it", "list it in LICENSE"))
    if reread:
        # rules other than the ASF header are judged on the heads, read again (a second pass)
        top = scan.top
        for path, head in heads(rc.path(scan.name), top, rc.limits(), reread.__contains__):
            normalized = content.normalize(head.decode("utf-8", errors="replace"))
            for rule in reread[path]:
                if not rule.satisfied_by(normalized):
                    missing.append(_missing(path, rule, config.source))
    source = (
        "the RAT-like default (no license-eye configuration)" if config.source == "default" else config.source
    )
    summary = f"{checked} file(s) checked with {source}"
    return CheckResult.of(
        ID, [*findings, *capped(missing, "files without a header"), *capped(others)], summary
    )


def _missing(path: str, rule: licenserc.Rule, source: str) -> Finding:
    where = "the default rules" if source == "default" else source
    return fail(
        path,
        f"lacks {rule.describe}",
        f"add the header, or if the file is not the project's own, list it under paths-ignore in {where} and name its license in LICENSE",
    )
