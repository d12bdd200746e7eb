"""headers: each text file judged once, by the project's own header rule and by ASF policy.

The project's rule decides which files need a header: its license-eye configurations (the
profile's header_configs, and `.licenserc.yaml` files of sub-directories, each for its own
directory), else RAT's excludes (`.rat-excludes`..., or apache-rat-plugin in pom.xml), else
hawkeye's licenserc.toml. A covered file without its header fails. With no rule at all, files
without a license header are warnings, listed by directory: the ASF leaves those exemptions to the
PMC.

ASF policy decides the rest, from what each file's head grants: category X fails wherever the file
is (a choice with a category A or B option is not X); category B warns, unless the project's rule
leaves the file out on purpose; other third-party licenses are notes. License texts (LICENSE*,
COPYING*, licenses/...) are documentation and grant nothing. One finding per file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from asf_release.checks.common import capped, release_date, source_archive
from asf_release.policy import licenses, licenseye, normalize, projectrules, recognize, toolpins
from asf_release.policy.recognize import Grant
from asf_release.verify import content
from asf_release.verify.model import CheckResult, Finding, Level, fail, note, warn
from asf_release.verify.rc import OpenedRC
from asf_release.verify.scan import ArchiveScan, FileFacts, heads

ID = "headers"
# A file the quick look could not clear is read again: up to FULL_READ bytes (license-eye reads
# whole files; a pattern may match anywhere), of which the first HEADER_READ are searched for the
# expected header (it must start within the threshold: near the top).
FULL_READ = 256 << 10
HEADER_READ = 64 << 10
EXAMPLES = 5  # file names shown per directory in the default rule's warnings


class Reading:
    """A file read again: its first bytes, normalised on demand (license-eye's normalisation costs
    about a millisecond per kilobyte, so only what a rule needs is normalised)."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self._normalized: dict[int, str] = {}

    def normalized(self, size: int) -> str:
        if size not in self._normalized:
            self._normalized[size] = normalize.normalize(normalize.decode(self.head[:size]))
        return self._normalized[size]


@dataclass(frozen=True)
class Need:
    """One header a rule asks of one file."""

    describe: str  # "the ASF header (.licenserc.yaml, section 1)"
    # from the scan's facts: True when the header is there, False when it certainly is not, None
    # when the file must be read again to tell
    quick: Callable[[FileFacts], bool | None]
    full: Callable[[Reading], bool]  # judged on the file read again


@dataclass
class Scheme:
    """The project's header rule: what it asks of each file, and what it leaves out on purpose."""

    kind: str  # license-eye, RAT, hawkeye, default
    sources: list[str]
    needs: Callable[[str, FileFacts], list[Need]]
    leaves_out: Callable[[str], bool]
    problems: list[Finding] = field(default_factory=list)
    missing: Level = Level.FAIL  # a covered file without its header: fail, or warn when not provable

    @property
    def owned(self) -> bool:
        return self.kind != "default"

    def describe(self) -> str:
        if not self.owned:
            return "no header rule of the project (license-eye, RAT or hawkeye): missing headers only warn"
        return f"{', '.join(self.sources)} ({self.kind})"


# --- the project's rule ----------------------------------------------------------------------------
def _license_eye(rc: OpenedRC, scan: ArchiveScan, when: Callable[[], date]) -> Scheme | None:
    configs: list[licenseye.Config] = []
    problems: list[Finding] = []
    root = next((path for path in rc.profile.checks.header_configs if path in scan.texts), None)
    located = [root] if root else []
    located += sorted(
        path for path in scan.texts if "/" in path and licenseye.is_config_name(path) and path != root
    )
    legacy = toolpins.license_eye_legacy(scan.texts)
    for path in located:
        base = path.rsplit("/", 1)[0] if path != root and "/" in path else ""
        more = licenseye.legacy_ignores(scan.texts.get(f"{base}/.gitignore" if base else ".gitignore"))
        config = licenseye.parse(scan.texts[path], path, when, base, more if legacy else ())
        problems += [warn(path, problem) for problem in config.problems]
        if config.rules:
            configs.append(config)
        else:
            problems.append(warn(path, "has no usable header section: it decides nothing here"))
    if not configs:
        return None

    def needs(path: str, facts: FileFacts) -> list[Need]:
        if not facts.sniffed_text:
            return []  # license-eye skips what Go does not sniff as text
        found = []
        for config in configs:
            relative = config.relative(path)
            if relative is None:
                continue
            for rule in config.rules:
                if rule.covers(relative):
                    found.append(_rule_need(rule, config))
        return found

    def leaves_out(path: str) -> bool:
        for config in configs:
            relative = config.relative(path)
            if relative is not None and any(
                r.selects(relative) and not r.covers(relative) for r in config.rules
            ):
                return True
        return False

    sources = [c.source for c in configs]
    if legacy:
        sources[-1] += ", as license-eye before v0.5.0 reads it (the version the CI pins)"
    return Scheme("license-eye", sources, needs, leaves_out, problems)


def _rule_need(rule: licenseye.Rule, config: licenseye.Config) -> Need:
    where = config.source + (f", section {rule.number}" if len(config.rules) > 1 else "")

    def quick(facts: FileFacts) -> bool | None:
        if not rule.asf:
            return None
        if facts.header is not None and facts.header < rule.threshold:
            return True
        if rule.pattern is not None:
            return None  # the pattern may still match, anywhere in the file
        if facts.header is not None or facts.text_before < 0 or facts.text_before >= 2 * rule.threshold + 64:
            return False  # its first occurrence is too far, or the head leaves no room for one near the top
        return None

    def full(reading: Reading) -> bool:
        # license-eye's satisfy(): the expected header decides when it is found; else the pattern
        if rule.expected.strip():
            text = reading.normalized(HEADER_READ)
            index = text.find(rule.expected)
            if index >= 0:
                return normalize.byte_offset(text, index) < rule.threshold
        return rule.pattern is not None and rule.pattern.search(reading.normalized(FULL_READ)) is not None

    return Need(f"{rule.describe} ({where})", quick, full)


def _any_header(facts: FileFacts) -> bool | None:
    if facts.header is not None or (facts.grant is not None and not facts.grant.judgement.problem):
        return True
    return None  # other headers (an Apache notice, a generated file) are looked for on a second reading


_APACHE_GRANT = re.compile(
    rb"licensed\s+under\s+the\s+apache\s+license|the\s+asf\s+licenses\s+this\s+file"
    rb"|licensed\s+to\s+(?:the\s+)?apache\s+software\s+foundation",
    re.IGNORECASE,
)


def _full_any_header(rat: bool) -> Callable[[Reading], bool]:
    """Some license header in the file's first HEADER_READ bytes (RAT also accepts generated files)."""

    def judge(reading: Reading) -> bool:
        head = reading.head[:HEADER_READ]
        if _APACHE_GRANT.search(head) or licenseye.asf_header_position(head) is not None:
            return True
        if recognize.carries_license(head, HEADER_READ):
            return True
        return rat and projectrules.is_generated(head)

    return judge


def _exclusions_scheme(rules: projectrules.Exclusions) -> Scheme:
    rat = rules.kind == "RAT"
    need = Need("a license header", _any_header, _full_any_header(rat))

    def needs(path: str, facts: FileFacts) -> list[Need]:
        return [need] if facts.kind == content.TEXT and facts.size > 0 and rules.checks(path) else []

    problems = [warn(path, problem) for path, problem in rules.problems]
    level = Level.FAIL if rules.decisive else Level.WARN
    return Scheme(rules.kind, rules.sources, needs, rules.excludes, problems, level)


def _rat_or_hawkeye(scan: ArchiveScan) -> Scheme | None:
    texts = scan.texts
    gitignore = texts.get(".gitignore")
    if projectrules.HAWKEYE_CONFIG in texts:
        major = toolpins.hawkeye_major(texts)
        rules = projectrules.hawkeye(
            texts[projectrules.HAWKEYE_CONFIG], projectrules.HAWKEYE_CONFIG, gitignore, major
        )
        if major is not None:
            rules.sources[0] += f" as hawkeye v{major} reads it (the version the CI pins)"
        return _exclusions_scheme(rules)
    rat = projectrules.Exclusions("RAT")
    for path in sorted(texts):
        if path.rsplit("/", 1)[-1] in projectrules.RAT_EXCLUDE_FILES:
            projectrules.rat_exclude_file(texts[path], path, rat)
    poms = {path: text for path, text in texts.items() if path.rsplit("/", 1)[-1] == "pom.xml"}
    projectrules.rat_from_poms(poms, gitignore, rat, texts)
    rat.decisive = False
    return _exclusions_scheme(rat) if rat.sources else None


def _default() -> Scheme:
    need = Need("a license header", _any_header, _full_any_header(rat=True))

    def needs(path: str, facts: FileFacts) -> list[Need]:
        wanted = facts.kind == content.TEXT and facts.size > 0  # an empty file has nothing to license
        return [need] if wanted and projectrules.is_default_source(path) else []

    return Scheme("default", [], needs, lambda _path: False)


def scheme_for(rc: OpenedRC, scan: ArchiveScan, when: Callable[[], date]) -> Scheme:
    return _license_eye(rc, scan, when) or _rat_or_hawkeye(scan) or _default()


# --- the check -----------------------------------------------------------------------------------
def check(rc: OpenedRC) -> CheckResult:
    scan = source_archive(rc, ID)
    if isinstance(scan, CheckResult):
        return scan
    scheme = scheme_for(rc, scan, lambda: release_date(rc))
    pending: dict[str, list[Need]] = {}
    missing: dict[str, list[Need]] = {}
    checked = 0
    for path in sorted(scan.files):
        facts = scan.files[path]
        if facts.kind != content.TEXT or recognize.is_license_text(path):
            continue
        needs = scheme.needs(path, facts)
        checked += bool(needs)
        for need in needs:
            verdict = need.quick(facts)
            if verdict is None:
                pending.setdefault(path, []).append(need)
            elif not verdict:
                missing.setdefault(path, []).append(need)
    for path, unmet in (_judge_in_full(rc, scan, pending) if pending else {}).items():
        missing.setdefault(path, []).extend(unmet)
    findings = [*scheme.problems, *_file_findings(scan, scheme, missing)]
    summary = f"{checked} file(s) checked with {scheme.describe()}"
    return CheckResult.of(ID, capped(findings, "files"), summary)


def _judge_in_full(rc: OpenedRC, scan: ArchiveScan, pending: dict[str, list[Need]]) -> dict[str, list[Need]]:
    """The files the quick look could not clear, read again and judged on their whole text."""
    missing: dict[str, list[Need]] = {}
    seen: set[str] = set()
    for path, head in heads(rc.path(scan.name), scan.top, rc.limits(), pending.__contains__, FULL_READ):
        seen.add(path)
        reading = Reading(head)
        unmet = [need for need in pending[path] if not need.full(reading)]
        if unmet:
            missing[path] = unmet
    for path in pending.keys() - seen:  # not read again (the archive changed?): judged on the quick look
        missing[path] = pending[path]
    return missing


def _file_findings(scan: ArchiveScan, scheme: Scheme, missing: dict[str, list[Need]]) -> list[Finding]:
    findings: list[Finding] = []
    undecided: dict[str, list[str]] = defaultdict(list)  # directory -> files, when no rule decides
    for path in sorted(scan.files):
        facts = scan.files[path]
        grant = None if recognize.is_license_text(path) else facts.grant
        judged = _license_finding(path, grant, grant is not None and scheme.leaves_out(path))
        needs = missing.get(path)
        if needs and scheme.owned:
            carried = f"; its head grants {grant.judgement.describe()}" if grant else ""
            if judged is not None and judged.level is Level.FAIL:
                findings.append(judged)
            else:
                hint = (
                    "add the header; if the file is not the project's own, leave it out of the header "
                    "rule and name its license in LICENSE"
                )
                if scheme.missing is not Level.FAIL:
                    hint += f" (a warning: whether {scheme.kind} as {', '.join(scheme.sources)} reaches it is not known)"
                findings.append(Finding(path, f"lacks {needs[0].describe}{carried}", hint, scheme.missing))
        elif needs:
            undecided[path.rsplit("/", 1)[0] if "/" in path else "."].append(path.rsplit("/", 1)[-1])
            if judged is not None and judged.level is Level.FAIL:
                findings.append(judged)
        elif judged is not None:
            findings.append(judged)
    for directory, names in sorted(undecided.items()):
        shown = ", ".join(names[:EXAMPLES]) + (
            f" and {len(names) - EXAMPLES} more" if len(names) > EXAMPLES else ""
        )
        findings.append(
            warn(
                directory,
                f"{len(names)} source file(s) without a license header: {shown}",
                "the project keeps no header rule (license-eye, RAT, hawkeye): if these are exempt, "
                "say so in one; otherwise add the ASF header",
            )
        )
    return sorted(findings, key=lambda f: ({Level.FAIL: 0, Level.WARN: 1, Level.NOTE: 2}[f.level], f.path))


def _license_finding(path: str, grant: Grant | None, left_out: bool) -> Finding | None:
    """What ASF policy says of a file, from the license its head grants."""
    if grant is None:
        return None
    judgement = grant.judgement
    if judgement.problem:
        return note(path, f"its {grant.how} '{judgement.expression}' is {judgement.problem}")
    if judgement.category == licenses.X:
        return fail(
            path,
            f"is under {judgement.describe()}: category X may not be in an Apache release",
            "remove it, or replace it with a version under a license the ASF allows",
        )
    if judgement.expression == "Apache-2.0":
        return None
    if judgement.category == licenses.B and not left_out:
        return warn(
            path,
            f"is under {judgement.describe()}: category B belongs in binary form, or as unmodified "
            "third-party source the project leaves out of its header rule",
            "check it is labelled in LICENSE and meant to ship as source",
        )
    return note(
        path, f"is under {judgement.describe()}" + (" (left out of the header rule)" if left_out else "")
    )
