"""verify(): find the RC, open it in one pass, run the selected checks, report."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from asf_release import checks
from asf_release.adapters import gpg as gpg_module
from asf_release.adapters import http
from asf_release.adapters.git import Git, is_git_directory, is_repository
from asf_release.context import Context
from asf_release.errors import ReleaseError, UsageError
from asf_release.verify import rc as rc_module
from asf_release.verify import sources
from asf_release.verify.model import CheckResult, Report
from asf_release.verify.rc import OpenedRC, Repository
from asf_release.verify.tarstream import ARCHIVE_SUFFIXES
from asf_release.version import Names, Version

MAX_KEYS = 16 << 20
_BARE_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_DIST_DEV = re.compile(r"^https://dist\.apache\.org/repos/dist/dev/(?P<project>[a-z0-9][a-z0-9.-]*)/")


@dataclass(frozen=True)
class VerifyRequest:
    source: str  # local dir, https URL of the RC dir, svn URL, or a bare version
    version: str | None = None
    rc: int | None = None
    keys: str | None = None  # path or URL; default: profile.dist.keys_url
    git: str | None = None  # local clone path or URL; default from the profile
    tag: str | None = None  # default: the profile's RC tag
    build: bool = True
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()


def selected_checks(request: VerifyRequest) -> list[str]:
    """The check ids to run, in order; unknown ids are a usage error."""
    named = [*request.only, *request.skip]
    unknown = sorted({name for name in named if name not in checks.IDS})
    if unknown:
        raise UsageError(
            f"unknown check id(s): {', '.join(unknown)}",
            f"the checks are: {', '.join(checks.IDS)}",
        )
    chosen = [c for c in checks.IDS if not request.only or c in request.only]
    return [c for c in chosen if c not in request.skip]


def verify(ctx: Context, request: VerifyRequest) -> Report:
    """Verify a release candidate: every selected check, in the order of the voter's checklist."""
    chosen = selected_checks(request)
    work = Path(tempfile.mkdtemp(prefix="asf-release-verify-"))
    try:
        return _verify(ctx, request, chosen, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _verify(ctx: Context, request: VerifyRequest, chosen: list[str], work: Path) -> Report:
    if _BARE_VERSION.match(request.source.strip()) and not ctx.profile.dist.dev_url:
        raise UsageError(
            f"the {ctx.profile.name} profile names no dist.dev_url, so a version alone does not say where the RC is",
            "give the RC's directory or URL, or --profile with the project's profile",
        )
    located = sources.locate(ctx, request.source, request.rc, work)
    names = ctx.names
    version = (
        Version.parse(request.version)
        if request.version
        else located.version or rc_module.detect_version(located.files, names)
    )
    repository = _repository(ctx, request, version)
    rc_number = (
        request.rc
        or located.rc
        or _rc_from_name(ctx, located.name, version)
        or _rc_from_tags(repository, version, names)
    )
    tag = request.tag
    if tag is None and version and rc_number and ctx.profile.git.rc_tag:
        tag = names.rc_tag(version, rc_number)
    opened = OpenedRC(
        profile=ctx.profile,
        located=located,
        version=version,
        rc=rc_number,
        tag=tag,
        work=work,
        today=ctx.now().date(),
        repository=repository,
        build=request.build and bool(set(chosen) & checks.BUILD),
    )
    opened.expected = [names.artifact(version)] if version and ctx.profile.source.artifact else []
    opened.artifacts = rc_module.artifact_names(located.files, names)
    opened.source_artifact = next((a for a in opened.expected if a in opened.artifacts), None)
    if opened.source_artifact is None:
        opened.source_artifact = next(
            (a for a in opened.artifacts if a.lower().endswith(ARCHIVE_SUFFIXES)), None
        )
    rc_module.read_sidecars(opened)
    if opened.build:
        opened.logs = _logs_dir(ctx, version, rc_number)
    label = str(version) if version else rc_module.version_label(opened.source_artifact or "")
    report = Report(label, rc_number, located.origin, tag=tag, profile=ctx.profile.name)
    with ExitStack() as stack:
        gpg = None
        if "signatures" in chosen:
            location = request.keys or ctx.profile.dist.keys_url or _keys_beside(located.origin)
            keys = http.read(location, max_bytes=MAX_KEYS, svn=ctx.svn)
            gpg = stack.enter_context(gpg_module.throwaway_home([keys]))
            # public keys only: listing secret keys would start a gpg-agent for nothing
            opened.keys = gpg_module.parse_colons(gpg.run("--list-keys").stdout)
            opened.keys_source = location
            report.keys = location
        needs_content = bool(set(chosen) & checks.CONTENT)
        rc_module.stream(
            opened,
            gpg=gpg,
            scan_source=needs_content,
            blobs="provenance" in chosen,
            extract=opened.build,
            progress=ctx.progress,
        )
        for check_id in chosen:
            if check_id in checks.BUILD and not request.build:
                result = CheckResult.skipped(check_id, "--no-build was given")
            else:
                result = checks.function(check_id)(opened)
            report.checks.append(result)
    report.logs = str(opened.logs) if opened.logs else None
    return report


def _keys_beside(origin: str) -> str:
    """The KEYS of the project whose dist/dev directory the RC comes from: the one place a voter
    takes keys from (never a KEYS file that came with the RC)."""
    found = _DIST_DEV.match(origin)
    if found is None:
        raise UsageError(
            "the profile names no KEYS file, and the RC does not come from dist.apache.org",
            "give --keys with the project's KEYS (https://downloads.apache.org/PROJECT/KEYS), "
            "or --profile with a profile naming dist.keys_url",
        )
    return f"https://downloads.apache.org/{found['project']}/KEYS"


def _repository(ctx: Context, request: VerifyRequest, version: Version | None) -> Repository:
    if request.git:
        return Repository(request.git, explicit=True)
    if ctx.root is not None and is_repository(ctx.root):
        return Repository(str(ctx.root), explicit=False)
    return Repository(ctx.profile.project.repository_url or None, explicit=False)


def _rc_from_name(ctx: Context, name: str, version: Version | None) -> int | None:
    staged_version, staged_rc = ctx.names.parse_staging_directory(name)
    if staged_rc is not None and (version is None or staged_version in (None, version)):
        return staged_rc
    return None


def _rc_from_tags(repository: Repository, version: Version | None, names: Names) -> int | None:
    """The highest RC tag of the version in a local repository (a remote one is not asked)."""
    if version is None or not repository.location:
        return None
    path = Path(repository.location).expanduser()
    if "://" in repository.location or not path.is_dir() or not is_git_directory(path):
        return None
    try:
        numbers = names.rc_numbers(version, Git(path).tags())
    except ReleaseError:
        return None
    return numbers[-1] if numbers else None


def _logs_dir(ctx: Context, version: Version | None, rc: int | None) -> Path:
    """Kept after the run: in the project's state directory, or in the person's state home."""
    label = f"{version}-rc{rc}" if version and rc else str(version or "unknown")
    stamp = ctx.now().strftime("%Y%m%dT%H%M%S")
    if ctx.root is not None:
        base = ctx.state_dir / "verify"
    else:
        state = ctx.env.get("XDG_STATE_HOME") or os.path.join(
            ctx.env.get("HOME", str(Path.home())), ".local", "state"
        )
        base = Path(state) / "asf-release" / "verify"
    return base / f"{label}-{stamp}"
