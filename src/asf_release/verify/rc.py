"""An opened RC: its files, their digests and signature results, and the scan of its source
archive, all gathered in one pass. The checks are functions of this."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from asf_release.adapters.gpg import Gpg, Key, Signature, VerifyFeed, is_armored
from asf_release.policy import projectrules
from asf_release.profile import Profile
from asf_release.progress import NoProgress, Progress, ProgressTask
from asf_release.verify.image import ImageFacts
from asf_release.verify.scan import ArchiveScan, FilePump, ScanOptions, scan
from asf_release.verify.sources import Located
from asf_release.verify.tarstream import ARCHIVE_SUFFIXES, Limits
from asf_release.version import Names, Version

SIGNATURE_SUFFIXES = (".asc", ".sig")
CHECKSUM_SUFFIXES = (".sha512", ".sha256")
FORBIDDEN_SUFFIXES = (".md5", ".sha1", ".sha")
SIDECAR_SUFFIXES = SIGNATURE_SUFFIXES + CHECKSUM_SUFFIXES + FORBIDDEN_SUFFIXES
# What a source artifact's name may add after the name of its top directory.
SOURCE_CONVENTIONS = ("-source-release", "-sources", "-source", "-src")
MAX_SIDECAR = 1 << 20
# LICENSE and NOTICE under the names projects give them; the files projects keep their header
# rules in (license-eye, RAT, hawkeye), at the root or at any depth
ROOT_TEXTS = tuple(f"{name}{ext}" for name in ("LICENSE", "NOTICE") for ext in ("", ".txt", ".md"))
RULE_FILES = ("licenserc.toml", ".gitignore")
RULE_NAMES = (
    ".licenserc.yaml",
    ".licenserc.yml",
    "pom.xml",
    ".gitignore",
    "rat-excludes",  # a file of excludes a pom names (Apache OpenNLP)
    *projectrules.RAT_EXCLUDE_FILES,
)
# CI workflows, read for the versions of the header tools they run (policy/toolpins.py)
RULE_DIRECTORIES = (".github/workflows/",)


@dataclass(frozen=True)
class Repository:
    location: str | None  # a local clone or a URL; None when there is none to ask
    explicit: bool  # given with --git: not reaching it is a failure, not a skip


@dataclass
class OpenedRC:
    profile: Profile
    located: Located
    version: Version | None
    rc: int | None
    tag: str | None
    work: Path
    today: date
    repository: Repository
    expected: list[str] = field(default_factory=list)  # artifact names the profile expects
    artifacts: list[str] = field(default_factory=list)  # the files that are artifacts
    sidecars: dict[str, bytes] = field(default_factory=dict)  # small signature/checksum files
    digests: dict[str, dict[str, str]] = field(default_factory=dict)
    # .asc name -> gpg's verdict on each signature it holds (several release managers may sign)
    signatures: dict[str, list[Signature]] = field(default_factory=dict)
    keys: list[Key] = field(default_factory=list)
    keys_source: str = ""
    source_artifact: str | None = None
    archive: ArchiveScan | None = None
    logs: Path | None = None  # where build and test logs go
    build: bool = False  # run the build and test commands
    outcomes: dict[str, bool] = field(default_factory=dict)  # build -> succeeded, for tests
    image: ImageFacts | None = None  # the candidate's image, when one is given or known
    released: date | None = None  # the release's date, once looked up (checks.common.release_date)

    @property
    def names(self) -> Names:
        return Names(self.profile)

    @property
    def directory(self) -> Path:
        return self.located.directory

    def path(self, name: str) -> Path:
        return self.located.directory / name

    @property
    def top_directory(self) -> str | None:
        """The top directory the profile names, if it names one."""
        if self.version is None or not self.profile.source.top_directory:
            return None
        return self.names.top_directory(self.version)

    @property
    def discovering(self) -> bool:
        """The profile names no artifact: the artifacts are the files that carry a signature."""
        return not self.profile.source.artifact

    def limits(self) -> Limits:
        checks = self.profile.checks
        return Limits(
            max_members=checks.max_members,
            max_unpacked=checks.max_unpacked_mb << 20,
            max_ratio=checks.max_compression_ratio,
        )


def artifact_names(files: list[str], names: Names) -> list[str]:
    """Files that are artifacts: named like one, or signed or checksummed by a file beside them."""
    found = {f for f in files if names.parse_artifact(f) is not None}
    for f in files:
        for suffix in SIDECAR_SUFFIXES:
            if f.endswith(suffix) and f[: -len(suffix)] in files:
                found.add(f[: -len(suffix)])
    return sorted(found - {f for f in files if f.endswith(SIDECAR_SUFFIXES)})


def tops_for(artifact: str) -> list[str]:
    """Top directories that agree with an artifact's name: the name without its archive suffix,
    with or without the -src / -source conventions (apache-maven-3.9.6-src.tar.gz holds
    apache-maven-3.9.6, hadoop-3.3.6-src.tar.gz holds hadoop-3.3.6-src)."""
    stem = next((artifact[: -len(s)] for s in ARCHIVE_SUFFIXES if artifact.lower().endswith(s)), artifact)
    tops = [stem]
    for convention in SOURCE_CONVENTIONS:
        if stem.lower().endswith(convention):
            tops.append(stem[: -len(convention)])
            break
    else:
        tops += [stem + convention for convention in ("-src", "-source")]
    return tops


def version_label(name: str) -> str | None:
    """The version an artifact's name carries (1.14.2 in subversion-1.14.2.tar.bz2), for people."""
    found = re.findall(r"(?<![0-9A-Za-z])v?(\d+(?:\.\d+)+(?:-(?:rc|RC|M|alpha|beta)\.?\d*)?)", name)
    return found[-1] if found else None


def detect_version(files: list[str], names: Names) -> Version | None:
    versions = {v for v in (names.parse_artifact(f) for f in files) if v is not None}
    return max(versions) if versions else None


def read_sidecars(rc: OpenedRC) -> None:
    for name in rc.located.files:
        if name.endswith(SIDECAR_SUFFIXES):
            path = rc.path(name)
            if path.stat().st_size <= MAX_SIDECAR:
                rc.sidecars[name] = path.read_bytes()


def stream(
    rc: OpenedRC,
    *,
    gpg: Gpg | None,
    scan_source: bool,
    blobs: bool,
    extract: bool,
    progress: Progress | None = None,
) -> None:
    """The one pass: each artifact is read once, hashed, fed to gpg for each of its armored
    signatures, and (the source archive) unpacked and judged."""
    top = rc.top_directory
    keep = [*ROOT_TEXTS, *RULE_FILES, *rc.profile.checks.header_configs]
    for artifact in rc.artifacts:
        with ExitStack() as stack:
            feeds: dict[str, VerifyFeed] = {}
            signature = f"{artifact}.asc"
            if gpg is not None and signature in rc.located.files and is_armored(rc.path(signature)):
                feeds[signature] = stack.enter_context(gpg.verifying(rc.path(signature)))
            size = rc.path(artifact).stat().st_size
            task = stack.enter_context((progress or NoProgress()).task(f"check {artifact}", size))
            sinks = [feed.write for feed in feeds.values()]
            pump = FilePump(rc.path(artifact), [*sinks, _advancing(task)])
            if scan_source and artifact == rc.source_artifact:
                path = rc.path(artifact).resolve()
                options = ScanOptions(
                    top=top,
                    limits=rc.limits(),
                    blobs=blobs,
                    extract_to=rc.work / "tree" if extract else None,
                    keep=frozenset(keep),
                    keep_names=frozenset(RULE_NAMES),
                    keep_under=RULE_DIRECTORIES,
                    spool_dir=rc.work,
                    # downloaded into the private work directory: read again from there
                    private_copy=path if path.is_relative_to(rc.work.resolve()) else None,
                )
                rc.archive = scan(artifact, pump.chunks(), options)
            else:
                pump.drain()
            rc.digests[artifact] = pump.digests()
        for name, feed in feeds.items():
            if feed.signatures:
                rc.signatures[name] = feed.signatures


def _advancing(task: ProgressTask) -> Callable[[bytes], None]:
    return lambda chunk: task.advance(len(chunk))
