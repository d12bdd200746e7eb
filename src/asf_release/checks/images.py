"""The image checks, shared by the release manager's `images` step and a voter's `verify --image`:
data in (ImageFacts), findings out.

image-platforms: the index lists an image for every platform of the profile.
image-licenses:  every platform image holds the license paths (after whiteouts), with LICENSE and
                 NOTICE equal to the source release's.
image-version:   the OCI labels name the release's version, commit and repository, where present.
image-runs:      where this machine can run the image, it prints its version and passes its smoke test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asf_release.cmdline import display
from asf_release.verify.model import CheckResult, Finding, fail, note, warn

if TYPE_CHECKING:
    from asf_release.verify.image import ImageFacts, PlatformImage
    from asf_release.verify.rc import OpenedRC

PLATFORMS, LICENSES, VERSION, RUNS = "image-platforms", "image-licenses", "image-version", "image-runs"
IDS = (PLATFORMS, LICENSES, VERSION, RUNS)
LABEL_VERSION = "org.opencontainers.image.version"
LABEL_REVISION = "org.opencontainers.image.revision"
LABEL_SOURCE = "org.opencontainers.image.source"


# --- the checks as verify calls them (functions of an opened RC) --------------------------------
def check_platforms(rc: OpenedRC) -> CheckResult:
    return platforms(rc.image) if rc.image else CheckResult.skipped(PLATFORMS, "no image given")


def check_licenses(rc: OpenedRC) -> CheckResult:
    return licenses(rc.image) if rc.image else CheckResult.skipped(LICENSES, "no image given")


def check_version(rc: OpenedRC) -> CheckResult:
    return version(rc.image) if rc.image else CheckResult.skipped(VERSION, "no image given")


def check_runs(rc: OpenedRC) -> CheckResult:
    return runs(rc.image) if rc.image else CheckResult.skipped(RUNS, "no image given")


def run_all(facts: ImageFacts) -> list[CheckResult]:
    return [platforms(facts), licenses(facts), version(facts), runs(facts)]


def _unread(check_id: str, facts: ImageFacts) -> CheckResult | None:
    """The check skipped, when there is no image to look at: none given, or image-platforms
    could not read it (and says why)."""
    if facts.problem or not facts.images:
        return CheckResult.skipped(
            check_id, facts.absent or "the image could not be read (see image-platforms)"
        )
    return None


# --- image-platforms ----------------------------------------------------------------------------
def platforms(facts: ImageFacts) -> CheckResult:
    shown = str(facts.pinned)
    if facts.absent:
        return CheckResult.skipped(PLATFORMS, facts.absent)
    if facts.problem:
        return CheckResult.of(PLATFORMS, [fail(shown, f"could not be read: {facts.problem}")])
    findings: list[Finding] = []
    from asf_release.adapters.oci import Platform

    wanted = [Platform.parse(p) for p in facts.expected_platforms]
    if facts.index is None:
        only = facts.images[0].platform if facts.images else None
        if len(wanted) > 1 or (only is not None and wanted and not only.matches(wanted[0])):
            findings.append(
                fail(
                    shown,
                    f"names a single image ({only}), not an index of the platforms {', '.join(map(str, wanted))}",
                )
            )
        return CheckResult.of(PLATFORMS, findings, f"one image, {only}")
    listed = [e.platform for e in facts.index.images if e.platform is not None]
    for platform in wanted:
        if not any(p.matches(platform) for p in listed):
            findings.append(
                fail(
                    shown,
                    f"the index has no image for {platform}",
                    "build and push every platform of docker.platforms",
                )
            )
    extra = [str(p) for p in listed if not any(p.matches(w) for w in wanted)]
    if extra:
        findings.append(note(shown, f"also holds images for {', '.join(extra)}"))
    others = [e for e in facts.index.entries if not e.is_image]
    if others:
        findings.append(
            note(shown, f"{len(others)} index entries are not images (such as build attestations)")
        )
    for image in facts.images:
        declared = image.config.platform if image.config else None
        if declared is not None and not declared.matches(image.platform):
            findings.append(
                warn(
                    str(image.reference),
                    f"the index lists it for {image.platform}, its configuration says {declared}",
                )
            )
    summary = f"index {facts.digest[:19]}…: {', '.join(str(p) for p in listed)}"
    return CheckResult.of(PLATFORMS, findings, summary)


# --- image-licenses -----------------------------------------------------------------------------
def licenses(facts: ImageFacts) -> CheckResult:
    unread = _unread(LICENSES, facts)
    if unread is not None:
        return unread
    findings: list[Finding] = []
    for image in facts.images:
        findings += _licenses_of(image, facts)
    checked = ", ".join(str(i.platform) for i in facts.images)
    return CheckResult.of(LICENSES, findings, f"{', '.join(facts.license_paths)} in {checked}")


def _licenses_of(image: PlatformImage, facts: ImageFacts) -> list[Finding]:
    where = str(image.platform)
    findings = [fail(where, problem) for problem in image.problems]
    view = image.view
    if view is None:
        return findings or [fail(where, "its layers were not read")]
    findings += [warn(where, problem) for problem in view.problems]
    incomplete = "" if view.complete else " (a layer could not be read: it may be there)"
    source = facts.source
    for path in facts.license_paths:
        if any(c in path for c in "*?["):
            matches = view.glob(path)
            if not matches:
                findings.append(fail(where, f"no file matches {path}{incomplete}"))
            elif source is not None:
                findings += _third_party(
                    where, path, {m.rsplit("/", 1)[-1]: view.nodes[m].size for m in matches}, source.licenses
                )
            continue
        node = view.get(path)
        if node is None:
            layer = view.removed.get(path.strip("/"))
            why = f": a whiteout in layer {layer + 1} deletes it" if layer is not None else incomplete
            findings.append(fail(where, f"{path} is not in the image{why}"))
            continue
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if node.kind == "dir" and source is not None:
            prefix = path.strip("/") + "/"
            inside = {
                p[len(prefix) :]: n.size
                for p, n in view.nodes.items()
                if p.startswith(prefix) and "/" not in p[len(prefix) :]
            }
            findings += _third_party(where, path, inside, source.licenses)
        elif source is not None and name in source.texts:
            if node.content is None:
                findings.append(warn(where, f"{path} is a {node.kind} whose content was not compared"))
            elif node.content != source.texts[name]:
                findings.append(
                    fail(
                        where,
                        f"{path} differs from the source release's {name}",
                        "copy the released file unchanged",
                    )
                )
    return findings


def _third_party(where: str, path: str, present: dict[str, int], released: dict[str, int]) -> list[Finding]:
    findings = []
    missing = sorted(set(released) - set(present))
    if missing:
        findings.append(warn(where, f"{path}: lacks {', '.join(missing[:10])} from the source's licenses/"))
    for name, size in sorted(present.items()):
        if name in released and released[name] != size:
            findings.append(warn(where, f"{path}: {name} differs in size from the source's licenses/{name}"))
    return findings


# --- image-version ------------------------------------------------------------------------------
def version(facts: ImageFacts) -> CheckResult:
    unread = _unread(VERSION, facts)
    if unread is not None:
        return unread
    findings: list[Finding] = []
    for image in facts.images:
        labels = dict(facts.index.annotations) if facts.index else {}
        labels.update(image.annotations)
        labels.update(image.config.labels if image.config else {})
        where = str(image.platform)
        findings += _label(
            where, labels, LABEL_VERSION, facts.accepted_versions or (facts.version,), facts.version
        )
        if facts.commit:
            found = labels.get(LABEL_REVISION)
            if found is None:
                findings.append(
                    warn(
                        where, f"no {LABEL_REVISION} label", f"label the image with the commit {facts.commit}"
                    )
                )
            elif not (len(found) >= 7 and facts.commit.startswith(found.lower())):
                findings.append(
                    fail(
                        where, f"{LABEL_REVISION} is {found[:80]!r}, the candidate's commit is {facts.commit}"
                    )
                )
        source = labels.get(LABEL_SOURCE)
        if source is None:
            findings.append(warn(where, f"no {LABEL_SOURCE} label"))
        elif _url(source) != _url(facts.source_url):
            findings.append(
                warn(
                    where,
                    f"{LABEL_SOURCE} is {source[:120]!r}, the project's repository is {facts.source_url}",
                )
            )
    return CheckResult.of(
        VERSION, findings, f"labels of {len(facts.images)} platform images against {facts.version}"
    )


def _label(
    where: str, labels: dict[str, str], key: str, accepted: tuple[str, ...], shown: str
) -> list[Finding]:
    found = labels.get(key)
    if found is None:
        return [warn(where, f"no {key} label", f"label the image with {shown} (LABEL or --label)")]
    if found not in accepted:
        return [fail(where, f"{key} is {found[:80]!r}, the release is {shown}")]
    return []


def _url(text: str) -> str:
    return (
        text.strip()
        .lower()
        .removesuffix("/")
        .removesuffix(".git")
        .removeprefix("https://")
        .removeprefix("http://")
    )


# --- image-runs ---------------------------------------------------------------------------------
def runs(facts: ImageFacts) -> CheckResult:
    unread = _unread(RUNS, facts)
    if unread is not None:
        return unread
    ran = facts.runs
    if ran is None:
        return CheckResult.skipped(RUNS, "not run (asked not to)")
    if ran.skipped:
        return CheckResult.skipped(RUNS, ran.skipped)
    findings: list[Finding] = []
    said = []
    if ran.version is not None:
        command = display(facts.version_command)
        output = _tail(ran.version.output)
        if not ran.version.ok:
            findings.append(fail(ran.platform, f"`{command}` failed ({ran.version.detail}): {output}"))
        elif facts.version not in ran.version.output:
            findings.append(fail(ran.platform, f"`{command}` does not print {facts.version}: {output}"))
        else:
            said.append(f"`{command}`: {output}")
    if ran.smoke is not None:
        command = display(facts.smoke_command)
        if not ran.smoke.ok:
            findings.append(
                fail(
                    ran.platform,
                    f"started, `{command}` did not answer {facts.smoke_expect!r}: {_tail(ran.smoke.output)}",
                )
            )
        else:
            said.append(f"started, `{command}` answered {facts.smoke_expect}")
    return CheckResult.of(RUNS, findings, f"{ran.platform}: " + "; ".join(said) if said else ran.platform)


def _tail(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "(nothing)")[:200]
