"""An image opened for its checks: the index, each platform's manifest, configuration and file
system (license paths only), read from the registry without a daemon; and, where a container
runtime runs this machine's platform, what the image says when run.

What the release manager's `images` step and a voter's `verify --image` both call; the checks
(checks/images.py) are functions of the ImageFacts gathered here.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from asf_release.adapters import oci
from asf_release.adapters.containers import RunResult, Runtime, host
from asf_release.adapters.oci import Config, FormatError, Index, Platform
from asf_release.adapters.registry import Reference, Registry
from asf_release.errors import ExternalError, ToolFailed
from asf_release.profile import Profile
from asf_release.verify.layers import View, Watch
from asf_release.verify.scan import file_chunks
from asf_release.verify.tarstream import Limits

ROOT_TEXTS = ("LICENSE", "NOTICE")


@dataclass(frozen=True)
class SourceFiles:
    """What the source release holds that an image must carry: LICENSE and NOTICE (their bytes)
    and the third-party license files (licenses/NAME -> size)."""

    texts: dict[str, bytes]
    licenses: dict[str, int]

    @classmethod
    def from_tree(cls, root: Path) -> SourceFiles:
        texts = {name: (root / name).read_bytes() for name in ROOT_TEXTS if (root / name).is_file()}
        folder = root / "licenses"
        licenses = (
            {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
        )
        return cls(texts, licenses)


@dataclass
class PlatformImage:
    platform: Platform
    reference: Reference  # repository@digest of this platform's manifest
    config: Config | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    view: View | None = None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Runs:
    platform: str
    version: RunResult | None = None
    smoke: RunResult | None = None
    skipped: str = ""  # why nothing ran


@dataclass
class ImageFacts:
    reference: Reference  # as given (tag and/or digest)
    digest: str = ""  # of the index, or of the manifest when the reference names one image
    index: Index | None = None
    images: list[PlatformImage] = field(default_factory=list)
    problem: str = ""  # why the image could not be read at all
    absent: str = ""  # the image a profile merely suggests is not there: the checks skip, saying so
    runs: Runs | None = None
    expected_platforms: list[str] = field(default_factory=list)
    license_paths: list[str] = field(default_factory=list)
    version: str = ""
    accepted_versions: tuple[str, ...] = ()
    commit: str = ""
    source_url: str = ""
    source: SourceFiles | None = None
    version_command: list[str] = field(default_factory=list)
    smoke_command: list[str] = field(default_factory=list)
    smoke_expect: str = ""

    @property
    def pinned(self) -> Reference:
        """The image by the digest read (what a vote names)."""
        return self.reference.at(self.digest) if self.digest else self.reference


@dataclass(frozen=True)
class Expectations:
    version: str
    accepted_versions: tuple[str, ...]
    commit: str
    source: SourceFiles | None


def open_image(
    reference: Reference,
    profile: Profile,
    expect: Expectations,
    *,
    registry: Registry,
    runtime: Runtime | None,
    run: bool = True,
    work: Path | None = None,
    guessed: bool = False,
) -> ImageFacts:
    """Read an image (index or single manifest) and run it where this machine can.

    guessed: the reference comes from the profile, not from the person or the ledger; when the
    registry has no such image, the checks skip instead of failing."""
    docker = profile.docker
    facts = ImageFacts(
        reference,
        expected_platforms=list(docker.platforms),
        license_paths=list(docker.license_paths),
        version=expect.version,
        accepted_versions=expect.accepted_versions,
        commit=expect.commit,
        source_url=profile.project.repository_url,
        source=expect.source,
        version_command=profile.fmt_list("docker.version_command"),
        smoke_command=profile.fmt_list("docker.smoke_command"),
        smoke_expect=docker.smoke_expect,
    )
    checks = profile.checks
    limits = Limits(checks.max_members, checks.max_unpacked_mb << 20, checks.max_compression_ratio)
    owned = work is None
    base = Path(tempfile.mkdtemp(prefix="asf-release-image-")) if work is None else work
    try:
        try:
            raw = registry.manifest(reference)
        except ExternalError as error:
            missing = isinstance(error, ToolFailed) and registry.not_found(error)
            if guessed:  # nobody asked for this image: its absence never stops a verification
                why = (
                    "the registry has no such image"
                    if missing
                    else f"it could not be read ({error.message.splitlines()[0]})"
                )
                facts.absent = f"the profile names {reference}, and {why}"
                return facts
            if not missing:
                raise
            facts.problem = f"the registry has no image {reference}"
            return facts
        try:
            facts.digest = oci.digest_of(raw)
            kind = oci.media_type(raw)
            if kind in oci.INDEX_TYPES:
                facts.index = oci.parse_index(raw)
                wanted = [Platform.parse(p) for p in docker.platforms]
                for entry in facts.index.images:
                    if entry.platform is None:
                        continue
                    if wanted and not any(entry.platform.matches(w) for w in wanted):
                        continue
                    image = PlatformImage(entry.platform, reference.at(entry.descriptor.digest))
                    _read_platform(image, registry, limits, base, profile)
                    facts.images.append(image)
            else:
                manifest = oci.parse_manifest(raw)
                config = oci.parse_config(registry.config(reference.at(facts.digest)))
                image = PlatformImage(
                    config.platform or Platform("unknown", "unknown"), reference.at(facts.digest)
                )
                _read_platform(image, registry, limits, base, profile, manifest=manifest)
                facts.images.append(image)
        except FormatError as error:
            facts.problem = str(error)
            return facts
        if run:
            facts.runs = _run(facts, runtime, profile)
        return facts
    finally:
        if owned:
            shutil.rmtree(base, ignore_errors=True)


def _read_platform(
    image: PlatformImage,
    registry: Registry,
    limits: Limits,
    base: Path,
    profile: Profile,
    *,
    manifest: oci.Manifest | None = None,
) -> None:
    try:
        if manifest is None:
            manifest = oci.parse_manifest(registry.manifest(image.reference))
        image.annotations = dict(manifest.annotations)
        raw_config = registry.config(image.reference)
        if oci.digest_of(raw_config) != manifest.config.digest:
            image.problems.append(
                "the configuration the registry served does not match the manifest's digest"
            )
        image.config = oci.parse_config(raw_config)
    except FormatError as error:
        image.problems.append(str(error))
        return
    total = sum(layer.size for layer in manifest.layers)
    limit = profile.checks.max_download_mb << 20
    if total > limit:
        image.problems.append(
            f"its layers add up to {total >> 20} MiB, more than checks.max_download_mb ({limit >> 20} MiB)"
        )
        return
    folder = base / image.reference.digest.replace(":", "-") if image.reference.digest else base / "image"
    view = View(Watch.of(profile.docker.license_paths))
    image.view = view
    try:
        registry.fetch(image.reference, folder)
        for number, layer in enumerate(manifest.layers, start=1):
            compression = oci.LAYER_TYPES.get(layer.media_type)
            if compression is None or compression == "zstd":
                what = (
                    "zstd-compressed"
                    if compression == "zstd"
                    else f"of an unknown type ({layer.media_type[:100]})"
                )
                view.problems.append(f"layer {number} is {what}: asf-release cannot read it")
                view.complete = False
                view.layers += 1
                continue
            blob = folder / layer.digest.split(":", 1)[1]
            if not blob.is_file():
                view.problems.append(f"layer {number} ({layer.digest}) was not downloaded")
                view.complete = False
                view.layers += 1
                continue
            digest = view.apply(file_chunks(blob), compression, limits)
            if digest != layer.digest and layer.digest.startswith("sha256:"):
                view.problems.append(f"layer {number}'s content does not match its digest {layer.digest}")
                view.complete = False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(facts: ImageFacts, runtime: Runtime | None, profile: Profile) -> Runs:
    here = host()
    if not facts.version_command and not facts.smoke_command:
        return Runs(str(here), skipped="the profile gives no docker.version_command or docker.smoke_command")
    if runtime is None:
        return Runs(
            str(here),
            skipped="no container runtime here (podman, or docker with its daemon): the image was not run",
        )
    image = next((i for i in facts.images if i.platform.matches(here)), None)
    if image is None:
        return Runs(str(here), skipped=f"the image has no {here} build, the only one this machine can run")
    try:
        version = runtime.run(image.reference, facts.version_command) if facts.version_command else None
        smoke = (
            runtime.smoke(
                image.reference,
                facts.smoke_command,
                facts.smoke_expect,
                float(profile.docker.smoke_timeout_seconds),
            )
            if facts.smoke_command
            else None
        )
    except ExternalError as error:
        return Runs(str(here), skipped=f"{runtime.kind} could not run the image: {error.message}")
    return Runs(str(here), version, smoke)
