"""Container registries, read and written through skopeo: no daemon, no engine.

Why skopeo rather than a Python client: it is the containers project's maintained tool (Debian
ships it), it reads the same credentials as `docker login` and `podman login` (including credential
helpers), honours registries.conf (mirrors, blocked registries), verifies every blob's digest as
it copies, and `skopeo copy --all --preserve-digests` is the daemon-less way to promote an index
without changing its digest. The Python clients on PyPI either target OCI artifacts (oras: its
manifest calls validate against the OCI schema and reject Docker manifest lists) or are
unmaintained. The one cost: a layer arrives as a compressed file in a temporary directory
(`skopeo copy ... dir:`), which the checks then stream; it is never unpacked to disk, and the sum
of the layers' declared sizes is bounded before anything is copied.

TLS is verified for every registry except one on the loopback address (a test registry).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from asf_release.adapters import proc
from asf_release.adapters.oci import MAX_DOCUMENT, digest_of, is_digest
from asf_release.errors import ExternalError, ToolFailed, UsageError

DOCKER_HUB = "docker.io"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DOMAIN = re.compile(
    r"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$"
)
_NOT_FOUND = ("manifest unknown", "not found", "name unknown", "404")


@dataclass(frozen=True)
class Reference:
    registry: str  # "docker.io", "127.0.0.1:5000"
    repository: str  # "apache/kvrocks"
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def host(self) -> str:
        host = self.registry
        if host.startswith("["):
            return host[: host.index("]") + 1]
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    def __str__(self) -> str:
        """As people write it: Docker Hub's repositories without their registry (user/kvrocks)."""
        text = self.repository if self.registry == DOCKER_HUB else self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def for_tools(self) -> str:
        """The reference as tools take it: registry named, by digest alone when there is one."""
        text = self.name
        if self.digest:
            return f"{text}@{self.digest}"
        return f"{text}:{self.tag}" if self.tag else text

    @property
    def transport(self) -> str:
        """As skopeo names it: docker://REF (by digest alone when there is one: skopeo takes
        either a tag or a digest)."""
        return f"docker://{self.for_tools}"

    def at(self, digest: str) -> Reference:
        """The same repository, by digest only."""
        return replace(self, tag=None, digest=digest)

    def tagged(self, tag: str) -> Reference:
        return replace(self, tag=tag, digest=None)


def parse_reference(text: str) -> Reference:
    """An image reference as people write it (`user/kvrocks:2.11.0`, `...@sha256:...`,
    `127.0.0.1:5000/rm/kvrocks`, or a Docker Hub page `https://hub.docker.com/layers/...`)."""
    raw = text.strip()
    if raw.startswith(("http://", "https://")):
        return _hub_url(raw)
    raw = raw.removeprefix("docker://")
    if not raw or len(raw) > 512 or any(c.isspace() or c == "\0" for c in raw):
        raise UsageError(f"'{text[:200]}' is not an image reference", _REFERENCE_HINT)
    rest, digest = raw, None
    if "@" in rest:
        rest, _, digest = rest.partition("@")
        if not is_digest(digest):
            raise UsageError(f"'{digest[:100]}' is not a digest (sha256:<64 hex>)", _REFERENCE_HINT)
    tag = None
    last = rest.rsplit("/", 1)[-1]
    if ":" in last:
        rest, _, tag = rest.rpartition(":")
        if not _TAG.match(tag):
            raise UsageError(f"'{tag[:100]}' is not a valid image tag", _REFERENCE_HINT)
    first, _, remainder = rest.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        registry, repository = first, remainder
        if not _DOMAIN.match(registry):
            raise UsageError(f"'{registry[:100]}' is not a registry host", _REFERENCE_HINT)
    else:
        registry, repository = DOCKER_HUB, rest
    if registry in (DOCKER_HUB, "index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
        if "/" not in repository:
            repository = f"library/{repository}"
    if not _REPOSITORY.match(repository):
        raise UsageError(f"'{repository[:100]}' is not a repository name", _REFERENCE_HINT)
    return Reference(registry, repository, tag, digest)


_REFERENCE_HINT = "give an image as REPOSITORY:TAG or REPOSITORY@sha256:DIGEST, e.g. apache/kvrocks:2.11.0"


def _hub_url(url: str) -> Reference:
    """Docker Hub's page of an image: https://hub.docker.com/layers/USER/NAME/TAG/images/sha256-HEX."""
    parts = [urllib.parse.unquote(p) for p in urllib.parse.urlsplit(url).path.split("/") if p]
    host = urllib.parse.urlsplit(url).hostname or ""
    if host != "hub.docker.com" or len(parts) < 4 or parts[0] != "layers":
        raise UsageError(f"'{url[:200]}' is not a Docker Hub image page", _REFERENCE_HINT)
    if len(parts) >= 6 and parts[-2] == "images":
        digest = parts[-1].replace("-", ":", 1)
        repository, tag = "/".join(parts[1:-3]), parts[-3]
    else:
        digest, repository, tag = "", "/".join(parts[1:-1]), parts[-1]
    text = f"{repository}:{tag}" + (f"@{digest}" if digest else "")
    return parse_reference(text)


class Registry:
    """skopeo, with the caller's environment (registries.conf, auth files) and bounded output."""

    def __init__(self, env: Mapping[str, str] | None = None, timeout: float = 600) -> None:
        self.env = dict(env or {})
        self.timeout = timeout

    @staticmethod
    def tls(reference: Reference, flag: str = "--tls-verify") -> list[str]:
        return [f"{flag}=false"] if reference.loopback else []

    def _run(self, argv: list[str], hint: str) -> proc.Completed:
        return proc.run(argv, env=self.env, timeout=self.timeout, hint=hint)

    def manifest(self, reference: Reference) -> bytes:
        """The raw manifest or index a reference names, exactly as the registry serves it."""
        done = self._run(
            ["skopeo", "inspect", "--raw", "--retry-times", "2", *self.tls(reference), reference.transport],
            hint=f"check that {reference} exists and that you may read it (skopeo login {reference.registry})",
        )
        if len(done.data) > MAX_DOCUMENT:
            raise ExternalError(f"{reference}: the manifest is larger than {MAX_DOCUMENT >> 20} MiB")
        if (
            reference.digest
            and digest_of(done.data) != reference.digest
            and reference.digest.startswith("sha256:")
        ):
            raise ExternalError(
                f"{reference}: the registry served a manifest whose digest is {digest_of(done.data)}",
                "the registry is not serving what the reference names; do not trust this image",
            )
        return done.data

    def digest(self, reference: Reference) -> str | None:
        """The digest of what a tag names now, or None when the registry has no such tag."""
        try:
            return digest_of(self.manifest(reference))
        except ToolFailed as error:
            if self.not_found(error):
                return None
            raise

    @staticmethod
    def not_found(error: ToolFailed) -> bool:
        """Whether skopeo failed because the registry has no such manifest (not a network failure)."""
        return any(word in error.stderr.lower() for word in _NOT_FOUND)

    def config(self, reference: Reference) -> bytes:
        """The configuration blob of an image manifest (reference by the manifest's digest)."""
        done = self._run(
            ["skopeo", "inspect", "--config", "--raw", *self.tls(reference), reference.transport],
            hint=f"check that {reference} is readable",
        )
        if len(done.data) > MAX_DOCUMENT:
            raise ExternalError(f"{reference}: the configuration is larger than {MAX_DOCUMENT >> 20} MiB")
        return done.data

    def fetch(self, reference: Reference, destination: Path) -> Path:
        """One image (a manifest digest) with its blobs, compressed as served, in skopeo's dir:
        layout; each blob is a file named by its hex digest."""
        destination.mkdir(parents=True, exist_ok=True)
        self._run(
            [
                "skopeo",
                "copy",
                "--quiet",
                "--preserve-digests",
                *self.tls(reference, "--src-tls-verify"),
                reference.transport,
                f"dir:{destination}",
            ],
            hint=f"check that {reference} is readable and that there is room in {destination.parent}",
        )
        return destination

    @staticmethod
    def copy_all_argv(source: Reference, target: Reference) -> list[str]:
        """The command that copies an index with every image it lists, digests unchanged."""
        return [
            "skopeo",
            "copy",
            "--all",
            "--preserve-digests",
            "--retry-times",
            "2",
            *Registry.tls(source, "--src-tls-verify"),
            *Registry.tls(target, "--dest-tls-verify"),
            source.transport,
            target.transport,
        ]
