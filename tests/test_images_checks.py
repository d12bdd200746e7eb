"""The image checks on real images in a real registry: each defect fails exactly its check."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from asf_release import profile as profile_module
from asf_release.adapters.containers import Runtime, host
from asf_release.adapters.registry import Reference, Registry
from asf_release.checks import images as image_checks
from asf_release.profile import Profile
from asf_release.sandbox.services import RegistryServer
from asf_release.verify.image import Expectations, ImageFacts, SourceFiles, open_image
from asf_release.verify.model import Status
from tests.image_fixtures import (
    KVROCKS_LAYOUT,
    LICENSE,
    LICENSE_FILES,
    NOTICE,
    THIRD_PARTY,
    buildah_image,
    context,
    layered_image,
)

VERSION = "2.11.0"
COMMIT = "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"
GOOD_LABELS = {
    "org.opencontainers.image.version": VERSION,
    "org.opencontainers.image.revision": COMMIT,
    "org.opencontainers.image.source": "https://github.com/apache/kvrocks",
}
SOURCE = SourceFiles({"LICENSE": LICENSE, "NOTICE": NOTICE}, {"LICENSE-rocksdb.txt": len(THIRD_PARTY)})
BOTH = ("linux/amd64", "linux/arm64")


@pytest.fixture(scope="module")
def kvrocks() -> Profile:
    return profile_module.load(None, env={})


def _open(profile: Profile, env: dict[str, str], reference: Reference, *, run: bool = False) -> ImageFacts:
    expect = Expectations(VERSION, (VERSION, f"v{VERSION}-rc1"), COMMIT, SOURCE)
    runtime = Runtime.find(env, "podman") if run else None
    return open_image(reference, profile, expect, registry=Registry(env), runtime=runtime, run=run)


def _statuses(facts: ImageFacts) -> dict[str, Status]:
    return {result.id: result.status for result in image_checks.run_all(facts)}


def _target(registry: RegistryServer, name: str) -> str:
    return f"{registry.host}/checks/{name}:{VERSION}"


def test_a_good_image_passes_every_check(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    folder = context(tmp_path / "ctx", LICENSE_FILES, KVROCKS_LAYOUT)
    reference = buildah_image(image_env, _target(registry, "good"), dict.fromkeys(BOTH, folder), GOOD_LABELS)
    facts = _open(kvrocks, image_env, reference)
    assert facts.digest == reference.digest
    assert sorted(str(i.platform) for i in facts.images) == list(BOTH)
    assert _statuses(facts) == {
        "image-platforms": Status.PASS,
        "image-licenses": Status.PASS,
        "image-version": Status.PASS,
        "image-runs": Status.SKIP,  # not asked to run
    }


def test_a_missing_platform_fails_image_platforms_only(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    folder = context(tmp_path / "ctx", LICENSE_FILES, KVROCKS_LAYOUT)
    reference = buildah_image(
        image_env, _target(registry, "one-platform"), {"linux/amd64": folder}, GOOD_LABELS
    )
    facts = _open(kvrocks, image_env, reference)
    statuses = _statuses(facts)
    assert statuses["image-platforms"] is Status.FAIL
    assert {statuses["image-licenses"], statuses["image-version"]} == {Status.PASS}
    platforms = image_checks.platforms(facts)
    assert [f.message for f in platforms.findings if f.level.value == "fail"] == [
        "the index has no image for linux/arm64"
    ]


def test_a_notice_missing_from_one_platform_fails_image_licenses_only(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    good = context(tmp_path / "good", LICENSE_FILES, KVROCKS_LAYOUT)
    files = {name: data for name, data in LICENSE_FILES.items() if name != "NOTICE"}
    lacking = context(tmp_path / "lacking", files, "FROM scratch\nCOPY ./LICENSE ./licenses /kvrocks/\n")
    reference = buildah_image(
        image_env, _target(registry, "no-notice"), {"linux/amd64": good, "linux/arm64": lacking}, GOOD_LABELS
    )
    facts = _open(kvrocks, image_env, reference)
    statuses = _statuses(facts)
    assert statuses["image-licenses"] is Status.FAIL
    assert {statuses["image-platforms"], statuses["image-version"]} == {Status.PASS}
    failures = [f for f in image_checks.licenses(facts).findings if f.level.value == "fail"]
    assert [(f.path, f.message) for f in failures] == [("linux/arm64", "/kvrocks/NOTICE is not in the image")]


def test_a_license_that_differs_from_the_source_fails(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    files = {**LICENSE_FILES, "LICENSE": b"MIT License\n"}
    folder = context(tmp_path / "ctx", files, KVROCKS_LAYOUT)
    reference = buildah_image(
        image_env, _target(registry, "other-license"), dict.fromkeys(BOTH, folder), GOOD_LABELS
    )
    result = image_checks.licenses(_open(kvrocks, image_env, reference))
    assert result.status is Status.FAIL
    assert {f.message for f in result.findings} == {
        "/kvrocks/LICENSE differs from the source release's LICENSE"
    }


def test_a_wrong_version_label_fails_image_version_only(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    folder = context(tmp_path / "ctx", LICENSE_FILES, KVROCKS_LAYOUT)
    labels = {**GOOD_LABELS, "org.opencontainers.image.version": "2.10.1"}
    reference = buildah_image(
        image_env, _target(registry, "wrong-label"), dict.fromkeys(BOTH, folder), labels
    )
    facts = _open(kvrocks, image_env, reference)
    statuses = _statuses(facts)
    assert statuses["image-version"] is Status.FAIL
    assert {statuses["image-platforms"], statuses["image-licenses"]} == {Status.PASS}
    messages = {f.message for f in image_checks.version(facts).findings}
    assert messages == {"org.opencontainers.image.version is '2.10.1', the release is 2.11.0"}


def test_missing_labels_only_warn(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    folder = context(tmp_path / "ctx", LICENSE_FILES, KVROCKS_LAYOUT)
    reference = buildah_image(image_env, _target(registry, "no-labels"), dict.fromkeys(BOTH, folder))
    result = image_checks.version(_open(kvrocks, image_env, reference))
    assert result.status is Status.WARN
    assert len(result.findings) == 6  # version, revision and source, on each platform


LOWER = {
    "kvrocks": None,
    "kvrocks/LICENSE": LICENSE,
    "kvrocks/NOTICE": NOTICE,
    "kvrocks/LICENSE-rocksdb.txt": THIRD_PARTY,
}


def test_a_whiteout_deleting_license_in_an_upper_layer_fails_image_licenses_only(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    upper = {"kvrocks": None, "kvrocks/.wh.LICENSE": b""}
    reference = layered_image(
        image_env,
        _target(registry, "whiteout"),
        tmp_path / "layout",
        {"linux/amd64": [LOWER, upper], "linux/arm64": [LOWER]},
        GOOD_LABELS,
    )
    facts = _open(kvrocks, image_env, reference)
    statuses = _statuses(facts)
    assert statuses["image-licenses"] is Status.FAIL
    assert {statuses["image-platforms"], statuses["image-version"]} == {Status.PASS}
    failures = [(f.path, f.message) for f in image_checks.licenses(facts).findings if f.level.value == "fail"]
    assert failures == [
        ("linux/amd64", "/kvrocks/LICENSE is not in the image: a whiteout in layer 2 deletes it")
    ]


def test_an_opaque_directory_hides_the_lower_files_but_not_its_own(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    # the upper layer makes /kvrocks opaque and brings LICENSE and NOTICE back: only the
    # third-party license of the lower layer is gone
    upper = {
        "kvrocks": None,
        "kvrocks/.wh..wh..opq": b"",
        "kvrocks/LICENSE": LICENSE,
        "kvrocks/NOTICE": NOTICE,
    }
    reference = layered_image(
        image_env,
        _target(registry, "opaque"),
        tmp_path / "layout",
        {platform: [LOWER, upper] for platform in BOTH},
        GOOD_LABELS,
    )
    result = image_checks.licenses(_open(kvrocks, image_env, reference))
    assert result.status is Status.FAIL
    assert {f.message for f in result.findings if f.level.value == "fail"} == {
        "no file matches /kvrocks/LICENSE-*.txt"
    }


def _static_binary(folder: Path, says: str) -> Path:
    source = folder / "server.c"
    source.write_text(
        "#include <stdio.h>\n#include <string.h>\nint main(int c, char **v) {\n"
        f'  if (c > 1 && strcmp(v[1], "-v") == 0) {{ puts("kvrocks version {says}"); return 0; }}\n'
        "  return 1;\n}\n"
    )
    subprocess.run(["gcc", "-static", "-O1", "-o", str(folder / "kvrocks"), str(source)], check=True)
    return folder


@pytest.mark.skipif(
    host().architecture not in ("amd64", "arm64"), reason="runs the image of this machine's platform"
)
def test_image_runs_reads_the_version_the_server_prints(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer, tmp_path: Path
) -> None:
    folder = context(tmp_path / "ctx", LICENSE_FILES, KVROCKS_LAYOUT + "COPY ./kvrocks /bin/kvrocks\n")
    _static_binary(folder, "2.10.1")
    reference = buildah_image(image_env, _target(registry, "runs"), dict.fromkeys(BOTH, folder), GOOD_LABELS)
    facts = _open(kvrocks, image_env, reference, run=True)
    statuses = _statuses(facts)
    assert statuses["image-runs"] is Status.FAIL
    assert {statuses["image-platforms"], statuses["image-licenses"], statuses["image-version"]} == {
        Status.PASS
    }
    messages = [f.message for f in image_checks.runs(facts).findings]
    assert messages[0] == "`kvrocks -v` does not print 2.11.0: kvrocks version 2.10.1"
    # the server never answers: the smoke test fails too, with what the probe said
    assert len(messages) == 2 and "did not answer 'PONG'" in messages[1]


def test_an_image_the_registry_does_not_have_fails_image_platforms(
    kvrocks: Profile, image_env: dict[str, str], registry: RegistryServer
) -> None:
    from asf_release.adapters.registry import parse_reference

    facts = _open(kvrocks, image_env, parse_reference(_target(registry, "never-pushed")))
    statuses = _statuses(facts)
    assert statuses["image-platforms"] is Status.FAIL
    assert {statuses["image-licenses"], statuses["image-version"], statuses["image-runs"]} == {Status.SKIP}
