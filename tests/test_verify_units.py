"""The parts of verify that need no RC: content classification and the streaming tar reader.
(Header rules and license recognition: test_policy.py.)"""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

from asf_release.verify import content
from asf_release.verify.tarstream import ArchiveStop, Inflater, Limits, TarReader

LIMITS = Limits(max_members=1000, max_unpacked=64 << 20, max_ratio=200)


@pytest.mark.parametrize(
    ("name", "head", "kind", "what"),
    [
        ("a", b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x03\x00" + bytes(46), "compiled", "ELF shared library"),
        ("a.o", b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x01\x00" + bytes(46), "compiled", "ELF object file"),
        ("a", b"\xcf\xfa\xed\xfe" + bytes(28), "compiled", "Mach-O binary"),
        ("A.class", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(8), "compiled", "Java class file"),
        ("fat", b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(8), "compiled", "Mach-O universal binary"),
        (
            "a.exe",
            b"MZ" + bytes(58) + (64).to_bytes(4, "little") + b"PE\0\0" + bytes(16),
            "compiled",
            "Windows executable or DLL (PE)",
        ),
        ("m.pyc", (3495).to_bytes(2, "little") + b"\r\n" + bytes(12), "compiled", "Python bytecode (.pyc)"),
        ("x.wasm", b"\0asm\x01\0\0\0", "compiled", "WebAssembly module"),
        ("l.a", b"!<arch>\n" + bytes(8), "compiled", "static library (ar archive)"),
        ("i.png", b"\x89PNG\r\n\x1a\n" + bytes(8), "data", "PNG image"),
        ("f.woff2", b"wOF2" + bytes(8), "data", "WOFF2 font"),
        ("b.bin", b"abc\0def", "data", "binary data"),
        ("u.txt", b"\xff\xfeh\0i\0", "text", "UTF-16 text"),
        ("s.cc", b"int main() {}\n", "text", ""),
    ],
)
def test_classify_by_content(name: str, head: bytes, kind: str, what: str) -> None:
    found = content.classify(name, head)
    assert (found.kind, found.what) == (kind, what)


def _tar(members: list[tuple[str, bytes]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for name, body in members:
            info = tarfile.TarInfo(name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def _read(data: bytes, limits: Limits = LIMITS) -> list[tuple[str, bytes]]:
    reader = TarReader(
        iter(Inflater(iter([data[i : i + 7000] for i in range(0, len(data), 7000)]), limits)), limits
    )
    return [(m.name, b"".join(reader.content())) for m in reader.members()]


def test_long_names_in_pax_and_gnu_form_and_multi_member_gzip() -> None:
    long_name = "top/" + "d" * 150 + "/" + "f" * 120 + ".txt"
    members = [(long_name, b"long\n"), ("top/short", b"x" * 70000)]
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        assert _read(gzip.compress(_tar(members, fmt))) == members
    raw = _tar(members)
    split = gzip.compress(raw[:1024]) + gzip.compress(raw[1024:])
    assert _read(split) == members


def test_corrupt_and_hostile_streams_stop_with_a_reason() -> None:
    raw = bytearray(_tar([("top/a", b"a")]))
    raw[148:156] = b"0000000\0"
    with pytest.raises(ArchiveStop, match="checksum"):
        _read(gzip.compress(bytes(raw)))
    with pytest.raises(ArchiveStop, match="truncated"):
        _read(gzip.compress(_tar([("top/a", b"a" * 5000)]))[:-30])
    with pytest.raises(ArchiveStop, match="bomb"):
        _read(gzip.compress(_tar([("top/zeros", bytes(40 << 20))])))
    with pytest.raises(ArchiveStop, match="more than 1 members"):
        _read(gzip.compress(_tar([("top/a", b""), ("top/b", b"")])), Limits(1, 1 << 20, 200))
