"""The parsers of outside input the image checks use: manifests, indexes, configurations, layer
tars and image references. Whatever arrives, no exception escapes but the documented one, and no
remembered path leaves the image's root. Plus the whiteout rules of the OCI image-spec, example
by example."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import tarfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asf_release.adapters import oci
from asf_release.adapters.oci import FormatError, Platform
from asf_release.adapters.registry import parse_reference
from asf_release.errors import UsageError
from asf_release.verify.layers import View, Watch
from asf_release.verify.tarstream import Limits

SETTINGS = settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LIMITS = Limits(max_members=10_000, max_unpacked=64 << 20, max_ratio=200)
DIGEST = "sha256:" + "ab" * 32

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    ["schemaVersion", "mediaType", "manifests", "config", "layers", "digest", "size", "platform",
     "os", "architecture", "variant", "annotations", "Labels", "Entrypoint", "Cmd", "urls"]
)  # fmt: skip
near_documents = st.recursive(
    st.none()
    | st.integers(-1, 3)
    | st.sampled_from([DIGEST, oci.OCI_INDEX, oci.DOCKER_MANIFEST, "linux", "amd64", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=6),
    max_leaves=25,
)


@SETTINGS
@given(st.one_of(json_values, near_documents), st.binary(max_size=40))
def test_documents_parse_or_say_why(document: Any, noise: bytes) -> None:
    for data in (json.dumps(document).encode(), noise):
        for parse in (oci.parse_index, oci.parse_manifest, oci.parse_config, oci.media_type):
            with contextlib.suppress(FormatError):
                parse(data)


def test_a_buildx_index_keeps_attestations_apart_from_the_platforms() -> None:
    index = {
        "schemaVersion": 2,
        "mediaType": oci.OCI_INDEX,
        "manifests": [
            {"mediaType": oci.OCI_MANIFEST, "digest": DIGEST, "size": 1, "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": oci.OCI_MANIFEST, "digest": DIGEST, "size": 1, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {
                "mediaType": oci.OCI_MANIFEST, "digest": DIGEST, "size": 1,
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": DIGEST},
            },
        ],
    }  # fmt: skip
    parsed = oci.parse_index(json.dumps(index).encode())
    assert [str(e.platform) for e in parsed.images] == ["linux/amd64", "linux/arm64/v8"]
    assert len(parsed.entries) == 3
    assert parsed.images[1].platform is not None and parsed.images[1].platform.matches(
        Platform.parse("linux/arm64")
    )


def test_a_docker_schema1_manifest_is_refused_with_its_reason() -> None:
    with pytest.raises(FormatError, match="schema 1"):
        oci.parse_manifest(json.dumps({"schemaVersion": 1, "fsLayers": []}).encode())


# --- layers -------------------------------------------------------------------------------------
names = st.lists(
    st.sampled_from(["kvrocks", "..", ".", "", "LICENSE", "NOTICE", ".wh.LICENSE", ".wh..wh..opq", ".wh.kvrocks", "etc", "a b"]),
    min_size=1,
    max_size=4,
).map(lambda parts: ("/" if parts[0] == "" else "") + "/".join(p for p in parts if p))  # fmt: skip
members = st.lists(
    st.tuples(names, st.sampled_from(["file", "dir", "symlink", "hardlink"]), st.binary(max_size=30), names),
    max_size=8,
)


def _layer(entries: list[tuple[str, str, bytes, str]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, kind, data, link in entries:
            info = tarfile.TarInfo(name or ".")
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = link
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


WATCH = Watch.of(["/kvrocks/LICENSE", "/kvrocks/NOTICE", "/kvrocks/LICENSE-*.txt", "/etc"])


def _assert_inside(view: View) -> None:
    for path in view.nodes:
        assert not path.startswith("/") and ".." not in path.split("/") and "\0" not in path


@SETTINGS
@given(st.lists(members, min_size=1, max_size=3), st.booleans(), st.integers(0, 200))
def test_layers_apply_without_escaping_whatever_they_hold(
    layers: list[list[tuple[str, str, bytes, str]]], compress: bool, cut: int
) -> None:
    view = View(WATCH)
    for index, entries in enumerate(layers):
        raw = _layer(entries)
        blob = gzip.compress(raw, mtime=0) if compress else raw
        if index == len(layers) - 1 and cut:
            blob = blob[: max(len(blob) - cut, 0)]  # the last layer truncated
        view.apply([blob[i : i + 97] for i in range(0, len(blob), 97)], "gzip" if compress else "", LIMITS)
        _assert_inside(view)


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from(["", "gzip"]))
def test_garbage_layers_stop_with_a_reason(data: bytes, compression: str) -> None:
    view = View(WATCH)
    view.apply([data], compression, LIMITS)
    _assert_inside(view)
    if view.complete:  # read to its end: it was a tar, possibly an empty one
        assert all(not p.startswith("layer 1 could not") for p in view.problems)


def _apply(view: View, entries: dict[str, bytes | None]) -> None:
    items = [(name, "dir" if data is None else "file", data or b"", "") for name, data in entries.items()]
    view.apply([_layer(items)], "", LIMITS)


def test_a_whiteout_hides_only_lower_layers() -> None:
    view = View(WATCH)
    _apply(view, {"kvrocks/LICENSE": b"old", "kvrocks/NOTICE": b"n"})
    # the same layer brings LICENSE back and whites it out: the whiteout hides the lower copy only
    _apply(view, {"kvrocks/.wh.LICENSE": b"", "kvrocks/LICENSE": b"new"})
    node = view.get("/kvrocks/LICENSE")
    assert node is not None and node.content == b"new"
    _apply(view, {"kvrocks/.wh.LICENSE": b""})
    assert view.get("/kvrocks/LICENSE") is None and view.removed["kvrocks/LICENSE"] == 2
    assert view.get("/kvrocks/NOTICE") is not None


def test_whiting_out_a_directory_hides_everything_beneath_it() -> None:
    view = View(WATCH)
    _apply(view, {"kvrocks": None, "kvrocks/LICENSE": b"l", "kvrocks/LICENSE-a.txt": b"a"})
    _apply(view, {".wh.kvrocks": b""})
    assert view.nodes == {}


def test_an_opaque_directory_applies_before_its_own_layer_whatever_the_order() -> None:
    view = View(WATCH)
    _apply(view, {"kvrocks/LICENSE": b"l", "kvrocks/NOTICE": b"n"})
    _apply(view, {"kvrocks/NOTICE": b"n2", "kvrocks/.wh..wh..opq": b""})  # the marker after the file
    assert view.get("kvrocks/LICENSE") is None
    node = view.get("kvrocks/NOTICE")
    assert node is not None and node.content == b"n2"


def test_a_file_replacing_a_directory_removes_what_was_beneath() -> None:
    view = View(WATCH)
    _apply(view, {"kvrocks": None, "kvrocks/LICENSE": b"l"})
    _apply(view, {"kvrocks": b"not a directory"})
    assert view.get("kvrocks/LICENSE") is None and view.get("kvrocks") is not None


def test_unsafe_names_are_reported_and_never_remembered() -> None:
    view = View(Watch.of(["/etc/passwd", "/kvrocks/LICENSE"]))
    _apply(view, {"../etc/passwd": b"x", "/kvrocks/LICENSE": b"abs is fine: layers are rooted"})
    assert "etc/passwd" not in view.nodes
    assert any("unsafe member name" in p for p in view.problems)
    assert view.get("kvrocks/LICENSE") is not None


# --- references ---------------------------------------------------------------------------------
@SETTINGS
@given(st.text(max_size=80))
def test_references_parse_or_say_why(text: str) -> None:
    try:
        reference = parse_reference(text)
    except UsageError:
        return
    assert reference.repository and reference.registry
    again = parse_reference(str(reference))
    assert (again.registry, again.repository, again.tag, again.digest) == (
        reference.registry,
        reference.repository,
        reference.tag,
        reference.digest,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("apache/kvrocks:2.11.0", ("docker.io", "apache/kvrocks", "2.11.0", None)),
        ("redis", ("docker.io", "library/redis", None, None)),
        (f"127.0.0.1:5000/rm/kvrocks:2.11.0@{DIGEST}", ("127.0.0.1:5000", "rm/kvrocks", "2.11.0", DIGEST)),
        ("localhost/rm/kvrocks", ("localhost", "rm/kvrocks", None, None)),
        (
            "https://hub.docker.com/layers/hulk/kvrocks/2.11.0/images/sha256-" + "ab" * 32,
            ("docker.io", "hulk/kvrocks", "2.11.0", DIGEST),
        ),
    ],
)
def test_references_people_write(text: str, expected: tuple[str, str, str | None, str | None]) -> None:
    reference = parse_reference(text)
    assert (reference.registry, reference.repository, reference.tag, reference.digest) == expected
    assert reference.loopback == reference.host.startswith(("127.", "localhost"))


def test_an_index_of_schema1_manifests_lists_their_platforms() -> None:
    # the shape of the old Docker manifest list examples: the images exist, their format is refused when read
    entry = {"mediaType": oci.DOCKER_SCHEMA1[0], "digest": DIGEST, "size": 2094}
    index = {
        "schemaVersion": 2,
        "mediaType": oci.DOCKER_LIST,
        "manifests": [
            {**entry, "platform": {"os": "linux", "architecture": arch}} for arch in ("ppc64le", "amd64")
        ],
    }
    assert [str(e.platform) for e in oci.parse_index(json.dumps(index).encode()).images] == [
        "linux/ppc64le",
        "linux/amd64",
    ]
