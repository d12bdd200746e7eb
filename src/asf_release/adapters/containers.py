"""Building and running container images: docker buildx (with a daemon) or buildah, and podman or
docker to run one. Each builds its argv in one function, so --dry-run shows exactly what runs.

Storage, registries and engine settings come from the environment the caller passes
(CONTAINERS_STORAGE_CONF, CONTAINERS_CONF, DOCKER_CONFIG...): the tests and the sandbox keep all
of it in their own directories.
"""

from __future__ import annotations

import json
import platform as host_platform
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asf_release.adapters import proc
from asf_release.adapters.oci import Platform
from asf_release.adapters.registry import Reference, Registry
from asf_release.errors import ExternalError, ReleaseError, ToolFailed

BUILD_TIMEOUT = 3 * 3600.0
_STOPPED = ("state improper", "is not running")  # what podman and docker say of a stopped container
_ARCHITECTURES = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
}


def host() -> Platform:
    machine = host_platform.machine().lower()
    return Platform("linux", _ARCHITECTURES.get(machine, machine))


def docker_ready(env: Mapping[str, str]) -> bool:
    """A Docker daemon answers and buildx is installed (the client alone is not enough)."""
    try:
        proc.run(["docker", "info", "--format", "{{.ServerVersion}}"], env=env, timeout=15)
        proc.run(["docker", "buildx", "version"], env=env, timeout=15)
    except ReleaseError:
        return False
    return True


@dataclass(frozen=True)
class BuildRequest:
    context: Path
    dockerfile: Path
    platforms: list[str]
    tags: list[Reference]  # where the index goes, every tag in one repository
    build_args: list[str]  # NAME=VALUE
    push: bool
    manifest: str  # buildah's local manifest list name
    labels: list[str] = field(default_factory=list)  # NAME=VALUE, the OCI labels


def buildx_argv(request: BuildRequest, metadata: Path | None = None) -> list[str]:
    """The seed's command: one buildx build for every platform, pushed to the registry."""
    argv = ["docker", "buildx", "build", "--platform", ",".join(request.platforms)]
    for tag in request.tags:
        argv += ["--tag", str(tag)]
    argv += ["--file", str(request.dockerfile)]
    for arg in request.build_args:
        argv += ["--build-arg", arg]
    for label in request.labels:
        argv += ["--label", label]
    if request.push:
        argv += ["--output", "type=registry"]
    if metadata is not None:
        argv += ["--metadata-file", str(metadata)]
    argv.append(str(request.context))
    return argv


def buildah_argvs(request: BuildRequest) -> list[list[str]]:
    """buildah's way: one build per platform into a local manifest list."""
    argvs = []
    for target in request.platforms:
        argv = ["buildah", "bud", "--quiet", "--platform", target, "--manifest", request.manifest]
        argv += ["--file", str(request.dockerfile)]
        for arg in request.build_args:
            argv += ["--build-arg", arg]
        for label in request.labels:
            argv += ["--label", label]
        argv.append(str(request.context))
        argvs.append(argv)
    return argvs


def buildah_push_argv(manifest: str, target: Reference, digestfile: Path | None = None) -> list[str]:
    argv = ["buildah", "manifest", "push", "--all", "--quiet"]
    if digestfile is not None:
        argv += ["--digestfile", str(digestfile)]
    return [*argv, *Registry.tls(target), manifest, target.transport]


def imagetools_argv(source: Reference, target: Reference) -> list[str]:
    """The seed's promotion: a new tag for the same index, by digest."""
    return ["docker", "buildx", "imagetools", "create", "--tag", str(target), source.for_tools]


class Builder:
    """Runs a BuildRequest with buildx or buildah; returns the pushed index digest (or None)."""

    def __init__(self, kind: str, env: Mapping[str, str]) -> None:
        self.kind = kind  # "docker" or "buildah"
        self.env = dict(env)

    def build(self, request: BuildRequest) -> str | None:
        if self.kind == "docker":
            return self._buildx(request)
        return self._buildah(request)

    def _buildx(self, request: BuildRequest) -> str | None:
        with tempfile.TemporaryDirectory(prefix="asf-release-buildx-") as work:
            metadata = Path(work) / "metadata.json"
            proc.run(buildx_argv(request, metadata), env=self.env, timeout=BUILD_TIMEOUT)
            if not request.push or not metadata.exists():
                return None
            try:
                data = json.loads(metadata.read_text())
            except ValueError:
                return None
            digest = data.get("containerimage.digest") if isinstance(data, dict) else None
            return str(digest) if digest else None

    def _buildah(self, request: BuildRequest) -> str | None:
        # a manifest list of the same name from an earlier, interrupted run would collect stale images
        proc.run(["buildah", "manifest", "rm", request.manifest], env=self.env, check=False)
        for argv in buildah_argvs(request):
            proc.run(argv, env=self.env, timeout=BUILD_TIMEOUT)
        if not request.push:
            return None
        digest = None
        with tempfile.TemporaryDirectory(prefix="asf-release-push-") as work:
            for tag in request.tags:
                digestfile = Path(work) / "digest"
                proc.run(
                    buildah_push_argv(request.manifest, tag, digestfile), env=self.env, timeout=BUILD_TIMEOUT
                )
                pushed = digestfile.read_text().strip() if digestfile.exists() else None
                if digest and pushed and pushed != digest:
                    raise ExternalError(
                        f"{tag} was pushed as {pushed}, another tag of the same build as {digest}",
                        "run the command again: the registry should hold one index under every tag",
                    )
                digest = pushed or digest
        return digest


@dataclass(frozen=True)
class RunResult:
    ok: bool
    output: str
    detail: str = ""


class Runtime:
    """Runs an image: podman (no daemon) or docker (with its daemon)."""

    def __init__(self, kind: str, env: Mapping[str, str]) -> None:
        self.kind = kind  # "podman" or "docker"
        self.env = dict(env)

    @classmethod
    def find(cls, env: Mapping[str, str], wanted: str = "auto") -> Runtime | None:
        """The runtime to use: the one asked for, else podman when it works, else docker with a daemon."""
        order = ["podman", "docker"] if wanted == "auto" else [wanted]
        for kind in order:
            try:
                argv = [
                    kind,
                    "info",
                    "--format",
                    "{{.Host.OCIRuntime.Name}}" if kind == "podman" else "{{.ServerVersion}}",
                ]
                proc.run(argv, env=env, timeout=30)
            except ReleaseError:
                continue
            return cls(kind, env)
        return None

    def _tls(self, image: Reference) -> list[str]:
        return ["--tls-verify=false"] if self.kind == "podman" and image.loopback else []

    def run_argv(self, image: Reference, command: Sequence[str]) -> list[str]:
        entry, *args = command
        return [
            self.kind,
            "run",
            "--rm",
            "--quiet",
            "--network",
            "none",
            *self._tls(image),
            "--entrypoint",
            entry,
            image.for_tools,
            *args,
        ]

    def run(self, image: Reference, command: Sequence[str], timeout: float = 300) -> RunResult:
        try:
            done = proc.run(self.run_argv(image, command), env=self.env, timeout=timeout, check=False)
        except ToolFailed as error:  # a timeout
            return RunResult(False, "", error.message)
        text = done.stdout if done.stdout.strip() else done.stderr
        return RunResult(done.returncode == 0, text, f"exit {done.returncode}")

    def smoke(self, image: Reference, probe: Sequence[str], expect: str, timeout: float) -> RunResult:
        """Start the image as it starts by itself, run probe inside it until its output holds
        expect (or time runs out), then stop and remove the container."""
        started = proc.run(
            [
                self.kind,
                "run",
                "--detach",
                "--quiet",
                "--network",
                "none",
                *self._tls(image),
                image.for_tools,
            ],
            env=self.env,
            timeout=300,
            check=False,
        )
        if started.returncode != 0:
            return RunResult(False, started.stderr, "the container did not start")
        container = started.stdout.strip().splitlines()[-1] if started.stdout.strip() else ""
        deadline = time.monotonic() + timeout
        last = RunResult(False, "", "not probed")
        try:
            while time.monotonic() < deadline:
                done = proc.run([self.kind, "exec", container, *probe], env=self.env, timeout=30, check=False)
                output = done.stdout if done.stdout.strip() else done.stderr
                if done.returncode == 0 and expect in done.stdout:
                    last = RunResult(True, output)
                    break
                last = RunResult(False, output, f"exit {done.returncode}")
                if any(words in done.stderr for words in _STOPPED):
                    last = RunResult(False, output, "the container stopped by itself")
                    break
                time.sleep(0.3)
        finally:
            # the server is the container's first process: it may never have installed a SIGTERM handler
            kill = ["--time", "0"] if self.kind == "podman" else []
            proc.run([self.kind, "rm", "--force", *kill, container], env=self.env, timeout=60, check=False)
        return last
