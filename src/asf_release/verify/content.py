"""What a file is, judged by its bytes: compiled code, other binary data, or text; and, for text,
where the ASF header starts and which other licenses its head names.

Everything here works on the first bytes of a file (HEAD), so each file is judged while it streams
by, without keeping it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from asf_release import data

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


# --- licenses in a file's head --------------------------------------------------------------------
# Comment markers at the start of a line, in the common languages: # // /* * */ <!-- --> -- ; (* *)
# {- -} :: .. REM % {# #} ' """
_COMMENT = re.compile(
    r"""^[ \t]*(?:/\*+|\*+/|//+|\#+\}|\{\#+|\#+|<!--+|--+>|--+|;+|\(\*+|\*+\)|\{-+|-\}|\*+|::|\.\.|@?rem\b|%+|"{3,}|'+)""",
    re.MULTILINE | re.IGNORECASE,
)
_QUOTES = str.maketrans({"“": "'", "”": "'", "’": "'", "`": "'", '"': "'"})
_REPEATED_QUOTES = re.compile(r"'+")
_ASF = re.compile(r"\b(?:the )?apache software foundation(?: \(asf\))?", re.IGNORECASE)
_DECORATION = re.compile(r"[-=*]{3,}")


def normalize(text: str) -> str:
    """Text with comment markers, decoration, quotes, case and spacing made uniform, so a header
    is found whatever the language's comment syntax (the skywalking-eyes way)."""
    text = _COMMENT.sub("", text)
    text = " ".join(text.split())
    text = _REPEATED_QUOTES.sub("'", text.translate(_QUOTES))
    text = text.replace("https://", "http://")
    text = _ASF.sub("the asf", text)
    text = _DECORATION.sub("", text)
    return " ".join(text.split()).lower()


@lru_cache(maxsize=1)
def asf_header_normalized() -> str:
    return normalize(data.asf_header())


_ANCHOR = b"Licensed to the Apache Software Foundation"
_END = b"governing permissions"  # on the header's next-to-last line in every comment style


def asf_header_position(head: bytes) -> int | None:
    """Where the ASF header starts in the normalized file, or None when the head lacks it."""
    start = head.find(_ANCHOR)
    if start < 0:
        return None
    end = head.find(_END, start)
    if end < 0:
        return None
    line_end = head.find(b"\n", end)
    line_end = head.find(b"\n", line_end + 1) if line_end >= 0 else -1  # the header's last line
    return _position_in(head[: line_end if line_end >= 0 else len(head)])


@lru_cache(maxsize=4096)
def _position_in(segment: bytes) -> int | None:
    # Most files of a project begin with the same bytes up to the end of their header: cached.
    found = normalize(segment.decode("utf-8", errors="replace")).find(asf_header_normalized())
    return found if found >= 0 else None


# Licenses named in a head. Category X (GPL family) fails a release; the others must be in LICENSE.
# Cheap byte searches first: only a head holding one of these is normalized and matched. (The ASF
# header holds none of them: "permission" alone would match its "governing permissions".)
_LICENSE_HINTS = (
    b"general public",
    b"gpl",
    b"hereby granted",
    b"redistribution and use",
    b"permission to use, copy",
    b"mozilla public",
    b"eclipse public",
    b"spdx-license",
    b"common development",
)
_LICENSE_PHRASES: list[tuple[str, re.Pattern[str]]] = [
    ("AGPL", re.compile(r"gnu affero general public license|spdx-license-identifier: agpl")),
    (
        "LGPL",
        re.compile(r"gnu (?:lesser|library) general public license|spdx-license-identifier: lgpl"),
    ),
    ("GPL", re.compile(r"gnu general public license|spdx-license-identifier: gpl")),
    ("MIT", re.compile(r"permission is hereby granted, free of charge|spdx-license-identifier: mit\b")),
    (
        "BSD",
        re.compile(r"redistribution and use in source and binary forms|spdx-license-identifier: bsd"),
    ),
    ("ISC", re.compile(r"permission to use, copy, modify, and/or distribute this software")),
    ("MPL", re.compile(r"mozilla public license|spdx-license-identifier: mpl")),
    ("EPL", re.compile(r"eclipse public license|spdx-license-identifier: epl")),
    ("CDDL", re.compile(r"common development and distribution license|spdx-license-identifier: cddl")),
]
CATEGORY_X = frozenset({"GPL", "LGPL", "AGPL"})


def other_licenses(head: bytes) -> tuple[str, ...]:
    """Licenses other than Apache-2.0 that a file's head names (GPL, MIT, BSD...)."""
    low = head[:4096].lower()
    if not any(hint in low for hint in _LICENSE_HINTS):
        return ()
    text = normalize(low.decode("utf-8", errors="replace"))
    return tuple(name for name, phrase in _LICENSE_PHRASES if phrase.search(text))


def normalize_pattern(pattern: str) -> str:
    """A header pattern made comparable with normalized text (comment markers stay: it is a regex)."""
    text = " ".join(pattern.split())
    text = _REPEATED_QUOTES.sub("'", text.translate(_QUOTES))
    return _ASF.sub("the asf", text.replace("https://", "http://")).lower()
