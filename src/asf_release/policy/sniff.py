"""Whether Go's http.DetectContentType calls a file text: license-eye checks only files whose sniffed
type starts with "text/" (text/plain, text/html, text/xml), and skips the others silently.

The decision reads the first 512 bytes: signatures of HTML, XML and byte-order marks make text;
those of images, PDF, PostScript, archives and media make data (so a text file that happens to
start with "BM" or "%!PS-Adobe-" is skipped, as license-eye skips it); otherwise a control byte
other than tab, newline, form feed, carriage return and escape makes data.
"""

from __future__ import annotations

import re

SNIFF_LENGTH = 512
_WHITESPACE = b"\t\n\x0c\r "
_HTML = (
    b"<!DOCTYPE HTML",
    b"<HTML",
    b"<HEAD",
    b"<SCRIPT",
    b"<IFRAME",
    b"<H1",
    b"<DIV",
    b"<FONT",
    b"<TABLE",
    b"<A",
    b"<STYLE",
    b"<TITLE",
    b"<B",
    b"<BODY",
    b"<BR",
    b"<P",
    b"<!--",
)
_DATA_PREFIXES = (
    b"%PDF-",
    b"%!PS-Adobe-",
)
_TEXT_BOMS = ((b"\xfe\xff", 4), (b"\xff\xfe", 4), (b"\xef\xbb\xbf", 4))  # masked: needs 4 bytes
_BINARY_PREFIXES = (
    b"GIF87a",
    b"GIF89a",
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"BM",
    b"\x00\x00\x01\x00",
    b"OggS\x00",
    b"\x1a\x45\xdf\xa3",
    b"Rar \x1a\x07\x00",
    b"PK\x03\x04",
    b"\x1f\x8b\x08",
)
_BINARY_BYTE = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _html(data: bytes, signature: bytes) -> bool:
    if len(data) < len(signature) + 1:
        return False
    for index, wanted in enumerate(signature):
        got = data[index]
        if ord("A") <= wanted <= ord("Z"):
            got &= 0xDF
        if got != wanted:
            return False
    return data[len(signature)] in b" >"


def _mp4(data: bytes) -> bool:
    if len(data) < 12:
        return False
    box = int.from_bytes(data[:4], "big")
    if box % 4 != 0 or len(data) < box or data[4:8] != b"ftyp":
        return False
    return any(data[start : start + 3] == b"mp4" for start in range(8, box, 4) if start != 12)


def is_text(head: bytes) -> bool:
    """True when http.DetectContentType(head) starts with "text/"."""
    data = head[:SNIFF_LENGTH]
    stripped = data.lstrip(_WHITESPACE)
    if stripped[:1] == b"<" and any(_html(stripped, signature) for signature in _HTML):
        return True
    if stripped[:5] == b"<?xml":
        return True
    if data.startswith(_DATA_PREFIXES):
        return False
    for bom, needed in _TEXT_BOMS:
        if len(data) >= needed and data.startswith(bom):
            return True
    if data.startswith(_BINARY_PREFIXES):
        return False
    if data[:4] == b"RIFF" and len(data) >= 14 and data[8:14] == b"WEBPVP":
        return False
    if data[:4] == b"RIFF" and len(data) >= 12 and data[8:12] == b"WAVE":
        return False
    if _mp4(data):
        return False
    return _BINARY_BYTE.search(stripped) is None
