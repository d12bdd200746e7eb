"""The JSON documents of container images, read from outside and never trusted.

Media types handled (OCI image-spec 1.1 and Docker's Image Manifest V2, Schema 2):
- indexes: application/vnd.oci.image.index.v1+json,
  application/vnd.docker.distribution.manifest.list.v2+json;
- image manifests: application/vnd.oci.image.manifest.v1+json,
  application/vnd.docker.distribution.manifest.v2+json;
- configurations: application/vnd.oci.image.config.v1+json,
  application/vnd.docker.container.image.v1+json;
- layers: application/vnd.oci.image.layer.v1.tar, ...tar+gzip, the nondistributable variants of
  both, and application/vnd.docker.image.rootfs.diff.tar.gzip (and .foreign.diff.tar.gzip, and
  the uncompressed .diff.tar that containers/image writes).
  +zstd layers are recognised and reported as unreadable here.
Schema 1 manifests (deprecated, unsigned digests) are refused. An index entry that is not an
image (buildx's attestation manifests, platform unknown/unknown) is kept apart from the platforms.

Every parser returns a dataclass or raises FormatError with a reason: no other exception escapes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
# layer media type -> compression ("", "gzip", "zstd")
LAYER_TYPES = {
    "application/vnd.oci.image.layer.v1.tar": "",
    "application/vnd.oci.image.layer.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd": "zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar": "",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": "gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": "zstd",
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "gzip",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": "gzip",
    # not in Docker's schema 2 text, but written by containers/image for uncompressed layers
    "application/vnd.docker.image.rootfs.diff.tar": "",
    "application/vnd.docker.image.rootfs.foreign.diff.tar": "",
}
ATTESTATION_KEY = "vnd.docker.reference.type"
MAX_DOCUMENT = 4 << 20  # no real manifest, index or configuration comes near this
MAX_ENTRIES = 10_000
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$")


class FormatError(Exception):
    """A document that is not what it claims to be; the message says why."""


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        return "/".join(part for part in (self.os, self.architecture, self.variant) if part)

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise FormatError(f"'{text}' is not a platform such as linux/amd64 or linux/arm/v7")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    def matches(self, wanted: Platform) -> bool:
        """Whether this image serves the wanted platform (arm64 images often omit the v8 variant)."""
        if (self.os, self.architecture) != (wanted.os, wanted.architecture):
            return False
        if not wanted.variant or self.variant == wanted.variant:
            return True
        return self.architecture == "arm64" and {self.variant, wanted.variant} <= {"", "v8"}


@dataclass(frozen=True)
class Entry:
    """One entry of an index: an image for a platform, or something else (an attestation)."""

    descriptor: Descriptor
    platform: Platform | None
    is_image: bool


@dataclass(frozen=True)
class Index:
    media_type: str
    entries: list[Entry]
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def images(self) -> list[Entry]:
        return [e for e in self.entries if e.is_image]


@dataclass(frozen=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: list[Descriptor]
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    platform: Platform | None
    labels: Mapping[str, str]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_digest(text: str) -> bool:
    return bool(_DIGEST.match(text))


def media_type(data: bytes) -> str:
    """The document's own mediaType, guessed from its shape when absent (as OCI allows)."""
    document = _load(data, "document")
    declared = document.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    if "manifests" in document:
        return OCI_INDEX
    if "config" in document and "layers" in document:
        return OCI_MANIFEST
    if "fsLayers" in document:
        return DOCKER_SCHEMA1[0]
    raise FormatError("the document is neither an index nor an image manifest")


def parse_index(data: bytes) -> Index:
    document = _load(data, "index")
    kind = media_type(data)
    if kind not in INDEX_TYPES:
        raise FormatError(f"expected an image index, found {kind}")
    _schema_version(document)
    raw = document.get("manifests")
    if not isinstance(raw, list):
        raise FormatError("the index has no 'manifests' list")
    if len(raw) > MAX_ENTRIES:
        raise FormatError(f"the index lists more than {MAX_ENTRIES} manifests")
    entries = []
    for item in raw:
        descriptor = _descriptor(item, "a manifest of the index")
        platform = _platform(item.get("platform"))
        annotations = descriptor.annotations
        is_image = (
            descriptor.media_type in (*MANIFEST_TYPES, *DOCKER_SCHEMA1)  # schema 1: listed, refused when read
            and ATTESTATION_KEY not in annotations
            and not (platform is not None and platform.os == "unknown" and platform.architecture == "unknown")
        )
        entries.append(Entry(descriptor, platform, is_image))
    return Index(kind, entries, _strings(document.get("annotations"), "annotations"))


def parse_manifest(data: bytes) -> Manifest:
    document = _load(data, "manifest")
    kind = media_type(data)
    if kind in DOCKER_SCHEMA1:
        raise FormatError(
            "this is a Docker schema 1 manifest, which is deprecated and not content-addressable"
        )
    if kind not in MANIFEST_TYPES:
        raise FormatError(f"expected an image manifest, found {kind}")
    _schema_version(document)
    config = _descriptor(document.get("config"), "the manifest's config")
    raw = document.get("layers")
    if not isinstance(raw, list):
        raise FormatError("the manifest has no 'layers' list")
    if len(raw) > MAX_ENTRIES:
        raise FormatError(f"the manifest lists more than {MAX_ENTRIES} layers")
    layers = [_descriptor(item, "a layer") for item in raw]
    return Manifest(kind, config, layers, _strings(document.get("annotations"), "annotations"))


def parse_config(data: bytes) -> Config:
    document = _load(data, "configuration")
    inner = document.get("config")
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise FormatError("the configuration's 'config' is not an object")
    labels = _strings(inner.get("Labels"), "Labels")
    platform = None
    os_name, arch = document.get("os"), document.get("architecture")
    if isinstance(os_name, str) and isinstance(arch, str) and os_name and arch:
        variant = document.get("variant")
        platform = Platform(os_name, arch, variant if isinstance(variant, str) else "")
    return Config(platform, labels, _argv(inner.get("Entrypoint")), _argv(inner.get("Cmd")))


def _load(data: bytes, what: str) -> dict[str, Any]:
    if len(data) > MAX_DOCUMENT:
        raise FormatError(f"the {what} is larger than {MAX_DOCUMENT >> 20} MiB")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise FormatError(f"the {what} is not JSON ({str(error)[:80]})") from None
    if not isinstance(document, dict):
        raise FormatError(f"the {what} is not a JSON object")
    return document


def _schema_version(document: Mapping[str, Any]) -> None:
    version = document.get("schemaVersion")
    if version != 2 or isinstance(version, bool):
        raise FormatError(f"schemaVersion is {version!r}, not 2")


def _descriptor(item: object, what: str) -> Descriptor:
    if not isinstance(item, dict):
        raise FormatError(f"{what} is not a descriptor object")
    kind, digest, size = item.get("mediaType"), item.get("digest"), item.get("size")
    if not isinstance(kind, str) or not kind:
        raise FormatError(f"{what} has no mediaType")
    if not isinstance(digest, str) or not is_digest(digest):
        raise FormatError(f"{what} has no valid digest ({str(digest)[:80]!r})")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise FormatError(f"{what} has no valid size")
    urls = item.get("urls")
    kept = tuple(u for u in urls if isinstance(u, str)) if isinstance(urls, list) else ()
    return Descriptor(kind, digest, size, _strings(item.get("annotations"), "annotations"), kept)


def _platform(item: object) -> Platform | None:
    if not isinstance(item, dict):
        return None
    os_name, arch, variant = item.get("os"), item.get("architecture"), item.get("variant")
    if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
        return None
    return Platform(os_name, arch, variant if isinstance(variant, str) else "")


def _strings(item: object, what: str) -> dict[str, str]:
    if item is None:
        return {}
    if not isinstance(item, dict):
        raise FormatError(f"'{what}' is not an object")
    return {str(k): v for k, v in item.items() if isinstance(v, str)}


def _argv(item: object) -> tuple[str, ...]:
    if isinstance(item, list):
        return tuple(part for part in item if isinstance(part, str))
    return ()
