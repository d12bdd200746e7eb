"""Every archive Apache projects ship, read by content: gzip, bzip2 and xz around a tar, and zip,
with the same limits; hostile or broken archives stop with a reason, never an exception, and
nothing is written outside the work directory."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asf_release.verify.rc import tops_for, version_label
from asf_release.verify.scan import ArchiveScan, ScanOptions, heads, scan
from asf_release.verify.tarstream import ArchiveStop, Inflater, Limits, sniff
from asf_release.verify.ziparchive import ZipReader

LIMITS = Limits(max_members=1000, max_unpacked=64 << 20, max_ratio=200)
TOP = "demo-1.0"
FILES = {
    f"{TOP}/README.md": b"# demo\n",
    f"{TOP}/src/main.c": b"/* Licensed to the Apache Software Foundation (ASF) */\nint main(void) { return 0; }\n",
    f"{TOP}/data/big.txt": b"line of text\n" * 20000,
    f"{TOP}/bin/tool": b"\x7fELF\x02\x01\x01" + bytes(200),
}
COMPRESS = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def _scan(data: bytes, work: Path, *, piece: int = 1 << 16, limits: Limits = LIMITS) -> ArchiveScan:
    chunks = iter([data[i : i + piece] for i in range(0, len(data), piece)])
    options = ScanOptions(top=None, limits=limits, extract_to=work / "tree", spool_dir=work)
    return scan("artifact", chunks, options)


def _outside_untouched(work: Path) -> None:
    """Everything the scan made is under work, and only the unpacked tree is left there."""
    assert sorted(p.name for p in work.iterdir()) in ([], ["tree"])


@pytest.mark.parametrize("fmt", ["gzip", "bzip2", "xz", "zip"])
def test_each_format_is_read_whole_by_its_content(fmt: str, tmp_path: Path) -> None:
    data = _zip(FILES) if fmt == "zip" else COMPRESS[fmt](_tar(FILES))
    found = _scan(data, tmp_path)
    assert (found.format, found.complete, found.stopped) == (fmt, True, "")
    assert found.top == TOP
    assert set(found.files) == {name.removeprefix(f"{TOP}/") for name in FILES}
    assert found.files["data/big.txt"].size == len(FILES[f"{TOP}/data/big.txt"])
    assert (tmp_path / "tree" / TOP / "src" / "main.c").read_bytes() == FILES[f"{TOP}/src/main.c"]
    assert found.files["src/main.c"].kind == "text" and found.files["bin/tool"].kind == "compiled"
    _outside_untouched(tmp_path)  # the zip's spooled copy is gone


def test_the_name_does_not_choose_the_format(tmp_path: Path) -> None:
    assert sniff(lzma.compress(b"x")) == "xz" and sniff(bz2.compress(b"x")) == "bzip2"
    assert sniff(_tar({"a": b""})) == "tar" and sniff(b"\x28\xb5\x2f\xfd....") is None
    with pytest.raises(ArchiveStop, match="zstd"):
        list(Inflater(iter([b"\x28\xb5\x2f\xfd" + bytes(600)]), LIMITS))
    with pytest.raises(ArchiveStop, match="not an archive"):
        list(Inflater(iter([b"<html>not found</html>"]), LIMITS))


def test_concatenated_streams_are_one_archive() -> None:
    raw = _tar(FILES)
    for compress in (bz2.compress, lzma.compress):
        data = compress(raw[:2048]) + compress(raw[2048:])  # as pbzip2 and parallel xz write them
        assert b"".join(Inflater(iter([data]), LIMITS)) == raw


@pytest.mark.parametrize("fmt", ["bzip2", "xz"])
def test_truncated_and_corrupt_compressed_tars_stop_with_a_reason(fmt: str, tmp_path: Path) -> None:
    data = COMPRESS[fmt](_tar(FILES))
    truncated = _scan(data[: len(data) // 2], tmp_path / "t")
    assert not truncated.complete and ("truncated" in truncated.stopped or "corrupt" in truncated.stopped)
    broken = bytearray(data)
    broken[len(data) // 2] ^= 0xFF
    corrupt = _scan(bytes(broken), tmp_path / "c")
    assert not corrupt.complete and corrupt.stopped


@pytest.mark.parametrize("fmt", ["bzip2", "xz"])
def test_a_compression_bomb_stops_in_every_format(fmt: str) -> None:
    data = COMPRESS[fmt](_tar({f"{TOP}/zeros": bytes(40 << 20)}))
    with pytest.raises(ArchiveStop, match="bomb"):
        for _ in Inflater(iter([data]), LIMITS):
            pass


def test_a_zip_with_a_path_escape_writes_nothing_outside(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    escape = f"{TOP}/../../escaped-{os.getpid()}.txt"
    found = _scan(_zip({**FILES, escape: b"pwned\n", "/tmp/absolute.txt": b"pwned\n"}), work)
    messages = [f.message for f in found.problems]
    assert any("climbs out" in m for m in messages) and any("absolute" in m for m in messages)
    assert not (tmp_path / f"escaped-{os.getpid()}.txt").exists()
    assert not list(tmp_path.glob("escaped-*"))
    assert found.complete  # the rest is judged


def test_a_zip_symlink_out_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{TOP}/README.md", b"x")
        link = zipfile.ZipInfo(f"{TOP}/etc")
        link.create_system = 3
        link.external_attr = (0o120777 << 16) & 0xFFFF0000
        archive.writestr(link, "/etc")
    found = _scan(buffer.getvalue(), tmp_path)
    assert any("outside the archive" in f.message for f in found.problems)
    assert not (tmp_path / "tree" / TOP / "etc").exists()


def test_a_zip_bomb_by_ratio_stops_before_unpacking(tmp_path: Path) -> None:
    found = _scan(_zip({f"{TOP}/zeros": bytes(20 << 20)}), tmp_path, limits=Limits(1000, 1 << 30, 50))
    assert not found.complete and "bomb" in found.stopped
    assert not (tmp_path / "tree" / TOP / "zeros").exists()


def test_a_zip_with_too_many_members_stops_before_reading_them(tmp_path: Path) -> None:
    many = {f"{TOP}/f{i}": b"x" for i in range(30)}
    found = _scan(_zip(many), tmp_path, limits=Limits(20, 1 << 30, 200))
    assert not found.complete and "more than 20 members" in found.stopped
    assert found.members == 0 and not found.files


def test_zip_members_sharing_their_bytes_are_a_bomb(tmp_path: Path) -> None:
    """The "better zip bomb": central directory entries that all point at one member's data."""
    data = bytearray(_zip({f"{TOP}/a": b"a" * 1000, f"{TOP}/b": b"b" * 1000}, zipfile.ZIP_STORED))
    second = data.rfind(b"PK\x01\x02")  # the central directory entry of b
    data[second + 42 : second + 46] = struct.pack("<L", 0)  # now at a's local header
    found = _scan(bytes(data), tmp_path)
    assert not found.complete and "overlaps" in found.stopped


def test_a_truncated_zip_stops_with_a_reason(tmp_path: Path) -> None:
    data = _zip(FILES)
    found = _scan(data[: len(data) - 40], tmp_path)
    assert not found.complete and found.stopped


def test_heads_reads_again_in_every_format(tmp_path: Path) -> None:
    for fmt in ("bzip2", "xz", "zip"):
        path = tmp_path / f"a.{fmt}"
        path.write_bytes(_zip(FILES) if fmt == "zip" else COMPRESS[fmt](_tar(FILES)))
        got = dict(heads(path, TOP, LIMITS, lambda rel: rel == "src/main.c", size=20))
        assert got == {"src/main.c": FILES[f"{TOP}/src/main.c"][:20]}


def test_the_zip_comment_of_git_archive_is_the_commit(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    commit = "0123456789abcdef0123456789abcdef01234567"
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{TOP}/a", b"a")
        archive.comment = commit.encode()
    path = tmp_path / "a.zip"
    path.write_bytes(buffer.getvalue())
    reader = ZipReader(path, LIMITS)
    assert [m.name for m in reader.members()] == [f"{TOP}/a"] and reader.comment == commit


@pytest.mark.parametrize(
    ("artifact", "top", "agrees"),
    [
        ("apache-zookeeper-3.8.4.tar.gz", "apache-zookeeper-3.8.4", True),
        ("apache-kvrocks-2.10.1-src.tar.gz", "apache-kvrocks-2.10.1-src", True),
        ("apache-maven-3.9.6-src.tar.gz", "apache-maven-3.9.6", True),
        ("commons-lang3-3.14.0-src.zip", "commons-lang3-3.14.0-src", True),
        ("lucene-9.9.1-src.tgz", "lucene-9.9.1", True),
        ("foo-1.0-source-release.zip", "foo-1.0", True),
        ("apr-1.7.2.tar.bz2", "apr-1.7.2", True),
        ("apache-foo-1.0.tar.xz", "apache-foo-1.0-src", True),
        ("apr-1.7.2.tar.bz2", "apr-util-1.6.3", False),
    ],
)
def test_top_directories_that_agree_with_the_artifact_name(artifact: str, top: str, agrees: bool) -> None:
    assert (top in tops_for(artifact)) is agrees


def test_version_labels_of_artifact_names() -> None:
    assert version_label("subversion-1.14.2.tar.bz2") == "1.14.2"
    assert version_label("apache-log4cxx-1.1.0-src.zip") == "1.1.0"
    assert version_label("xml-security-c-2.0.4.tar.bz2") == "2.0.4"
    assert version_label("README") is None


# --- property-based: whatever the bytes, a reason and no escape ---------------------------------

NAMES = st.text(alphabet=st.sampled_from("ab./\\:\0-é"), min_size=1, max_size=24)
SLOW = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _assert_contained(work: Path) -> None:
    root = work.resolve()
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root) or path.is_symlink()
        if path.is_symlink():
            target = (path.parent / os.readlink(path)).resolve()
            assert target.is_relative_to(root / "tree"), (path, target)


@SLOW
@given(names=st.lists(NAMES, min_size=1, max_size=6), fmt=st.sampled_from(["bzip2", "xz", "zip"]))
def test_any_member_names_stay_inside(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], fmt: str
) -> None:
    work = tmp_path_factory.mktemp("names")
    files = {f"{TOP}/{name}" if i % 2 else name: b"x" for i, name in enumerate(names)}
    try:
        data = _zip(files) if fmt == "zip" else COMPRESS[fmt](_tar(files))
    except (ValueError, UnicodeEncodeError, IndexError):
        return  # a name the writer itself refuses
    found = _scan(data, work)
    assert found.complete or found.stopped
    _assert_contained(work)


@SLOW
@given(cut=st.floats(min_value=0.0, max_value=1.0), fmt=st.sampled_from(["gzip", "bzip2", "xz", "zip"]))
def test_truncated_archives_end_with_a_reason(
    tmp_path_factory: pytest.TempPathFactory, cut: float, fmt: str
) -> None:
    work = tmp_path_factory.mktemp("cut")
    data = _zip(FILES) if fmt == "zip" else COMPRESS[fmt](_tar(FILES))
    size = int(len(data) * cut)
    found = _scan(data[:size], work, piece=4096)
    assert found.complete or found.stopped
    if size < len(data):
        assert not found.complete or fmt == "zip"  # a zip cut in its padding may still read
    _assert_contained(work)


@SLOW
@given(
    data=st.binary(max_size=2048),
    magic=st.sampled_from([b"", b"\x1f\x8b", b"BZh9", b"\xfd7zXZ\x00", b"PK\x03\x04"]),
)
def test_random_bytes_never_raise(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, magic: bytes
) -> None:
    work = tmp_path_factory.mktemp("noise")
    found = _scan(magic + data, work)
    assert found.stopped or found.complete
    _assert_contained(work)
