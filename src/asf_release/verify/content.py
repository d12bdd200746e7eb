"""What a file is, judged by its bytes: compiled code, other binary data, or text. (What a text
file's head says about licenses is judged in asf_release.policy.)

Everything here works on the first bytes of a file (HEAD), so each file is judged while it streams
by, without keeping it.
"""

from __future__ import annotations

from dataclasses import dataclass

HEAD = 8192  # bytes of each file kept while it streams by

COMPILED = "compiled"
DATA = "data"
TEXT = "text"


@dataclass(frozen=True)
class Kind:
    kind: str  # compiled, data, text
    what: str  # for people: "ELF shared library", "PNG image"...


_DATA_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
    (b"OTTO", "OpenType font"),
    (b"\x00\x01\x00\x00\x00", "TrueType font"),
    (b"%PDF-", "PDF document"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"SQLite format 3\x00", "SQLite database"),
]
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ELF_TYPES = {1: "ELF object file", 2: "ELF executable", 3: "ELF shared library", 4: "ELF core dump"}
_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_COFF_MACHINES = {0x14C, 0x8664, 0xAA64, 0x1C0, 0x1C4}
# Names inside a zip that make it compiled code (a jar of classes, a wheel with extensions...)
COMPILED_IN_ZIP = (".class", ".so", ".dll", ".dylib", ".exe", ".pyc", ".o", ".a", ".lib", ".wasm", ".jnilib")


def classify(name: str, head: bytes) -> Kind:
    """Compiled code, other binary data, or text, from a file's first bytes."""
    compiled = _compiled(name, head)
    if compiled:
        return Kind(COMPILED, compiled)
    if head.startswith(ZIP_MAGIC):
        return Kind(DATA, "zip archive")
    for magic, what in _DATA_MAGIC:
        if head.startswith(magic):
            return Kind(DATA, what)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Kind(TEXT, "UTF-16 text")
    if b"\0" in head:
        return Kind(DATA, "binary data")
    return Kind(TEXT, "")


def _compiled(name: str, head: bytes) -> str:
    if head.startswith(b"\x7fELF") and len(head) >= 18:
        kind = int.from_bytes(head[16:18], "little" if head[5] == 1 else "big")
        return _ELF_TYPES.get(kind, "ELF binary")
    if head.startswith(_MACHO):
        return "Mach-O binary"
    if head.startswith(b"\xca\xfe\xba\xbe") and len(head) >= 8:
        # the same magic starts a Java class and a universal Mach-O; the next word tells them apart
        return "Mach-O universal binary" if int.from_bytes(head[4:8], "big") < 45 else "Java class file"
    if head.startswith(b"MZ") and len(head) >= 64:
        offset = int.from_bytes(head[60:64], "little")
        if head[offset : offset + 4] == b"PE\0\0" or offset + 4 > len(head):
            return "Windows executable or DLL (PE)"
    if head.startswith(b"\0asm"):
        return "WebAssembly module"
    if head.startswith(b"!<arch>\n"):
        return "static library (ar archive)"
    if head.startswith(b"BC\xc0\xde"):
        return "LLVM bitcode"
    if head.startswith(b"dex\n"):
        return "Android DEX bytecode"
    if len(head) >= 16 and head[2:4] == b"\r\n" and _pyc_magic(int.from_bytes(head[:2], "little")):
        return "Python bytecode (.pyc)"
    is_object = name.lower().endswith((".obj", ".o")) and len(head) >= 2
    if is_object and int.from_bytes(head[:2], "little") in _COFF_MACHINES:
        return "COFF object file"
    return ""


def _pyc_magic(number: int) -> bool:
    return 3000 <= number < 4000 or number == 62211  # CPython 3.x, and 2.7


def zip_holds_compiled(names: list[str]) -> str:
    """The first name in a zip that is compiled code, or ''."""
    for item in names:
        if item.lower().endswith(COMPILED_IN_ZIP):
            return item
    return ""
