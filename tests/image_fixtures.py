"""Fixtures for the image checks: a real registry (docker-registry) on 127.0.0.1, container storage
in the test's own directory, images built by buildah, and images whose layers a test writes
itself (whiteouts cannot be made with a Dockerfile that runs nothing), pushed by skopeo."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from asf_release.adapters.registry import Reference, parse_reference
from asf_release.sandbox.services import RegistryServer, container_settings

LICENSE = b"Apache License\nVersion 2.0, January 2004\n(the sample's text)\n"
NOTICE = b"Apache Kvrocks\nCopyright 2022-2026 The Apache Software Foundation\n"
THIRD_PARTY = b"Copyright (c) 2011-present, Facebook, Inc.\n"
LICENSE_FILES = {"LICENSE": LICENSE, "NOTICE": NOTICE, "licenses/LICENSE-rocksdb.txt": THIRD_PARTY}


@pytest.fixture(scope="session")
def image_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """buildah, podman and skopeo with storage and settings of their own."""
    root = tmp_path_factory.mktemp("containers")
    return {**os.environ, **container_settings(root)}


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    server = RegistryServer(tmp_path_factory.mktemp("registry"))
    server.start()
    yield server
    server.stop()


def run(argv: list[str], env: Mapping[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(argv, env=dict(env), cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}: {done.stderr}"
    return done.stdout


def context(folder: Path, files: Mapping[str, bytes], dockerfile: str) -> Path:
    """A build context: the files and a Dockerfile."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (folder / "Dockerfile").write_text(dockerfile)
    return folder


KVROCKS_LAYOUT = "FROM scratch\nCOPY ./LICENSE ./NOTICE ./licenses /kvrocks/\n"


def buildah_image(
    env: Mapping[str, str], target: str, builds: Mapping[str, Path], labels: Mapping[str, str] | None = None
) -> Reference:
    """Build one image per platform (each from its own context) into a manifest list and push
    it with every image; returns the reference by digest."""
    name = "test-" + hashlib.sha256(target.encode()).hexdigest()[:12]
    subprocess.run(["buildah", "manifest", "rm", name], env=dict(env), capture_output=True, check=False)
    label_args = [arg for key, value in (labels or {}).items() for arg in ("--label", f"{key}={value}")]
    for platform, folder in builds.items():
        run(
            [
                "buildah",
                "bud",
                "--quiet",
                "--platform",
                platform,
                "--manifest",
                name,
                *label_args,
                str(folder),
            ],
            env,
        )
    digestfile = Path(env["TMPDIR"]) / f"{name}.digest"
    run(
        [
            "buildah",
            "manifest",
            "push",
            "--all",
            "--quiet",
            "--digestfile",
            str(digestfile),
            "--tls-verify=false",
            name,
            f"docker://{target}",
        ],
        env,
    )
    return parse_reference(target).at(digestfile.read_text().strip())


# --- images whose layers the test writes --------------------------------------------------------
Layer = Mapping[str, bytes | None]  # path -> content; None: a directory


def _tar(layer: Layer) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in layer.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            else:
                info.size, info.mode = len(data), 0o644
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _blob(folder: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (folder / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def layered_image(
    env: Mapping[str, str],
    target: str,
    folder: Path,
    platforms: Mapping[str, list[Layer]],
    labels: Mapping[str, str] | None = None,
) -> Reference:
    """An OCI image layout written here (gzip layers as listed, lowest first), pushed with skopeo."""
    manifests = []
    for platform, layers in platforms.items():
        os_name, arch = platform.split("/")[:2]
        blobs, diff_ids = [], []
        for layer in layers:
            raw = _tar(layer)
            diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
            packed = gzip.compress(raw, mtime=0)
            blobs.append(
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **_blob(folder, packed)}
            )
        config = {
            "architecture": arch,
            "os": os_name,
            "config": {"Labels": dict(labels or {})},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
        config_blob = _blob(folder, json.dumps(config).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config_blob},
            "layers": blobs,
        }
        described = _blob(folder, json.dumps(manifest).encode())
        manifests.append(
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                **described,
                "platform": {"architecture": arch, "os": os_name},
            }
        )
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }
    nested = _blob(folder, json.dumps(index).encode())
    top = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                **nested,
                "annotations": {"org.opencontainers.image.ref.name": "image"},
            }
        ],
    }
    (folder / "index.json").write_text(json.dumps(top))
    (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            f"oci:{folder}:image",
            f"docker://{target}",
        ],
        env,
    )
    pushed = run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{target}"], env)
    return parse_reference(target).at("sha256:" + hashlib.sha256(pushed.encode()).hexdigest())
