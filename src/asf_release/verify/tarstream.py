"""Reading a source archive that came from outside: one streaming pass, bounded, never trusting it.

The compression is recognised by the first bytes of the data, never by the file's name (a
`.tar.gz` may well hold xz): gzip, bzip2 and xz streams around a tar; a zip is read by
`verify.ziparchive`, since a zip's table of contents is at its end.

Nothing here touches the file system: the caller gets members and their content as bytes and
decides what to do with them. Every size the archive declares is checked against limits before
anything is read, decompression is bounded per call (a zip bomb never lands in memory), and a
malformed archive stops the reading with a reason instead of an exception from deep inside.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

BLOCK = 512
PIECE = 1 << 20  # the most one decompression call may produce
RATIO_FLOOR = 8 << 20  # below this many unpacked bytes the compression ratio is not judged
ZERO_BLOCK = bytes(BLOCK)
SNIFF = 512  # bytes enough to recognise every format below (a plain tar says "ustar" at 257)

GZIP, BZIP2, XZ, ZIP, TAR = "gzip", "bzip2", "xz", "zip", "tar"
MAGIC = (
    (b"\x1f\x8b", GZIP),
    (b"BZh", BZIP2),
    (b"\xfd7zXZ\x00", XZ),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),  # an empty zip: only the end of its central directory
)
UNREADABLE = ((b"\x28\xb5\x2f\xfd", "zstd"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"Rar!", "rar"))
# The usual names of each format, to tell a voter when the name and the content disagree.
SUFFIXES = {
    GZIP: (".tar.gz", ".tgz"),
    BZIP2: (".tar.bz2", ".tbz2", ".tbz"),
    XZ: (".tar.xz", ".txz"),
    ZIP: (".zip",),
    TAR: (".tar",),
}
ARCHIVE_SUFFIXES = tuple(suffix for names in SUFFIXES.values() for suffix in names)

KINDS = {
    "0": "file",
    "\0": "file",
    "7": "file",  # contiguous file: a regular file everywhere that matters
    "1": "hardlink",
    "2": "symlink",
    "3": "chardev",
    "4": "blockdev",
    "5": "dir",
    "6": "fifo",
}


class ArchiveStop(Exception):
    """Reading stopped: the archive is malformed or went past a limit. What was read stays valid."""


@dataclass(frozen=True)
class Limits:
    max_members: int
    max_unpacked: int  # bytes, the sum of the members' declared sizes
    max_ratio: int  # unpacked bytes per compressed byte
    max_meta: int = 1 << 20  # one pax header or GNU long name


@dataclass(frozen=True)
class Member:
    name: str  # as the archive names it (pax path, GNU long name, or ustar prefix/name)
    kind: str  # file, dir, symlink, hardlink, chardev, blockdev, fifo, or "type X"
    size: int
    mode: int
    link: str  # target of a symlink or hard link
    mtime: int = 0  # seconds since the epoch, 0 when unknown (the release's date is the newest)


class Archive(Protocol):
    """Members of an archive, in order; while a member is current, `content()` gives its bytes."""

    count: int
    comment: str | None  # what git archive records there: the commit id

    def members(self) -> Iterator[Member]: ...

    def content(self) -> Iterator[bytes]: ...


def sniff(head: bytes) -> str | None:
    """The format of data starting with head, or None when it is none we read."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    if head[257:262] == b"ustar":
        return TAR
    return None


def describe_unknown(head: bytes) -> str:
    for magic, name in UNREADABLE:
        if head.startswith(magic):
            return f"the file is {name}-compressed, which is no format of an Apache source release"
    return (
        f"the file is not an archive (it starts with the bytes {head[:8].hex(' ')}); "
        "source releases are .tar.gz, .tar.bz2, .tar.xz or .zip"
    )


def peek(chunks: Iterator[bytes], size: int = SNIFF) -> tuple[bytes, Iterator[bytes]]:
    """The first bytes of a stream of chunks, and the same stream, whole."""
    head = b""
    taken: list[bytes] = []
    for chunk in chunks:
        taken.append(chunk)
        head += chunk[: size - len(head)]
        if len(head) >= size:
            break

    def again() -> Iterator[bytes]:
        yield from taken
        yield from chunks

    return head, again()


class _Decoder(Protocol):
    """bz2.BZ2Decompressor and lzma.LZMADecompressor, as far as they are used here."""

    @property
    def eof(self) -> bool: ...

    @property
    def needs_input(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


DECODERS: dict[str, Callable[[], _Decoder]] = {
    BZIP2: bz2.BZ2Decompressor,
    XZ: lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ),
}


class Inflater:
    """Compressed data in (gzip, bzip2 or xz, each possibly in several streams one after the
    other, or a plain tar), decompressed pieces out, with the ratio watched. The format is
    recognised by the first bytes; `format` names it once iteration has begun."""

    def __init__(self, chunks: Iterator[bytes], limits: Limits) -> None:
        self._chunks = chunks
        self._limits = limits
        self.compressed = 0
        self.unpacked = 0
        self.format = ""

    def __iter__(self) -> Iterator[bytes]:
        head, chunks = peek(self._chunks)
        if not head:
            raise ArchiveStop("the file is empty")
        found = sniff(head)
        if found is None:
            raise ArchiveStop(describe_unknown(head))
        if found == ZIP:
            raise ArchiveStop("the file is a zip, not a compressed tar")
        self.format = found
        self._chunks = chunks
        if found == GZIP:
            yield from self._gzip()
        elif found == TAR:
            yield from self._plain()
        else:
            yield from self._decoded(DECODERS[found])

    def _plain(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.compressed += len(chunk)
            self.unpacked += len(chunk)
            yield chunk

    def _gzip(self) -> Iterator[bytes]:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        started = False
        for chunk in self._chunks:
            self.compressed += len(chunk)
            data = chunk
            while data:
                if decompressor.eof:
                    if not data.strip(b"\0"):
                        break  # zero padding after the last gzip member
                    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                try:
                    out = decompressor.decompress(data, PIECE)
                except zlib.error as error:
                    raise ArchiveStop(
                        f"the gzip data is corrupt after {self.unpacked} bytes ({error})"
                    ) from None
                started = True
                data = decompressor.unused_data if decompressor.eof else decompressor.unconsumed_tail
                if out:
                    self.unpacked += len(out)
                    self._watch_ratio(len(data))
                    yield out
        if not started:
            raise ArchiveStop("the file is empty")
        if not decompressor.eof:
            raise ArchiveStop("the gzip data ends early: the file is truncated")

    def _decoded(self, new: Callable[[], _Decoder]) -> Iterator[bytes]:
        """bzip2 or xz: the decoder keeps what it was given, and says when it needs more."""
        decoder = new()
        for chunk in self._chunks:
            self.compressed += len(chunk)
            data = chunk
            while True:
                if decoder.eof:
                    rest = (decoder.unused_data + data).lstrip(b"\0")  # xz allows zero padding
                    if not rest:
                        break
                    decoder, data = new(), rest  # another stream follows (pbzip2, xz -T)
                if not data and decoder.needs_input:
                    break
                try:
                    out = decoder.decompress(data, PIECE)
                except (OSError, EOFError, ValueError, lzma.LZMAError) as error:
                    raise ArchiveStop(
                        f"the {self.format} data is corrupt after {self.unpacked} bytes ({error})"
                    ) from None
                data = b""
                if out:
                    self.unpacked += len(out)
                    self._watch_ratio(0)
                    yield out
        if not self.compressed:
            raise ArchiveStop("the file is empty")
        if not decoder.eof:
            raise ArchiveStop(f"the {self.format} data ends early: the file is truncated")

    def _watch_ratio(self, unconsumed: int) -> None:
        consumed = max(self.compressed - unconsumed, 1)
        if self.unpacked > RATIO_FLOOR and self.unpacked > self._limits.max_ratio * consumed:
            raise ArchiveStop(
                f"the data expands more than {self._limits.max_ratio} times "
                f"({self.unpacked} bytes from {consumed}): a decompression bomb"
            )


class TarReader:
    """Members of an uncompressed tar stream given as pieces of bytes.

    Iterate `members()`; while a member is current, `content()` yields its bytes. Content not
    read is skipped before the next header.
    """

    def __init__(self, pieces: Iterator[bytes], limits: Limits) -> None:
        self._pieces = iter(pieces)
        self._limits = limits
        self._buf = b""
        self._pos = 0
        self._pending = 0  # content bytes of the current member not yet read
        self._padding = 0
        self.count = 0
        self.declared = 0
        self.comment: str | None = None  # the pax global comment (git archive: the commit id)
        self.ended_cleanly = False

    # --- buffer -------------------------------------------------------------------------------
    def _fill(self, n: int) -> bool:
        """At least n bytes ready from _pos; False when the stream ends first."""
        have = len(self._buf) - self._pos
        if have >= n:
            return True
        parts = [self._buf[self._pos :]]
        while have < n:
            piece = next(self._pieces, None)
            if piece is None:
                self._buf, self._pos = b"".join(parts), 0
                return False
            parts.append(piece)
            have += len(piece)
        self._buf, self._pos = b"".join(parts), 0
        return True

    def _take(self, n: int) -> bytes:
        if not self._fill(n):
            raise ArchiveStop("the archive ends in the middle of a member: the file is truncated")
        data = self._buf[self._pos : self._pos + n]
        self._pos += n
        return data

    def _skip(self, n: int) -> None:
        while n > 0:
            have = len(self._buf) - self._pos
            if have == 0:
                piece = next(self._pieces, None)
                if piece is None:
                    raise ArchiveStop("the archive ends in the middle of a member: the file is truncated")
                self._buf, self._pos = piece, 0
                continue
            step = min(have, n)
            self._pos += step
            n -= step

    def content(self) -> Iterator[bytes]:
        """The current member's bytes, in pieces."""
        while self._pending > 0:
            have = len(self._buf) - self._pos
            if have == 0:
                piece = next(self._pieces, None)
                if piece is None:
                    raise ArchiveStop("the archive ends in the middle of a member: the file is truncated")
                self._buf, self._pos = piece, 0
                continue
            step = min(have, self._pending)
            data = self._buf[self._pos : self._pos + step]
            self._pos += step
            self._pending -= step
            yield data

    # --- members ------------------------------------------------------------------------------
    def members(self) -> Iterator[Member]:
        pax: dict[str, str] = {}
        long_name: str | None = None
        long_link: str | None = None
        while True:
            self._skip(self._pending + self._padding)
            self._pending = self._padding = 0
            if not self._fill(BLOCK):
                if len(self._buf) - self._pos:
                    raise ArchiveStop("the archive ends in the middle of a header: the file is truncated")
                return  # no end-of-archive blocks: tolerated, many tools omit them
            header = self._take(BLOCK)
            if header == ZERO_BLOCK:
                self.ended_cleanly = True
                return
            _verify_checksum(header, self.count)
            size = _number(header[124:136], "size")
            flag = chr(header[156])
            if flag in ("x", "g", "L", "K"):
                meta = self._meta(size)
                if flag == "x":
                    pax.update(_pax_records(meta))
                elif flag == "g":
                    records = _pax_records(meta)
                    self.comment = records.get("comment", self.comment)
                elif flag == "L":
                    long_name = _text(meta.rstrip(b"\0"))
                else:
                    long_link = _text(meta.rstrip(b"\0"))
                continue
            name = pax.get("path") or long_name or _ustar_name(header)
            link = pax.get("linkpath") or long_link or _text(header[157:257].split(b"\0", 1)[0])
            if "size" in pax:
                size = _pax_size(pax["size"])
            pax_mtime = pax.get("mtime", "")
            pax, long_name, long_link = {}, None, None
            kind = KINDS.get(flag, f"type {flag!r}")
            if kind != "file" and not kind.startswith("type"):
                size = 0  # as tar readers do: only regular files (and unknown types) carry data
            self.count += 1
            self.declared += size
            if self.count > self._limits.max_members:
                raise ArchiveStop(f"the archive holds more than {self._limits.max_members} members")
            if self.declared > self._limits.max_unpacked:
                raise ArchiveStop(
                    f"the members add up to more than {self._limits.max_unpacked >> 20} MiB unpacked"
                )
            self._pending = size
            self._padding = (-size) % BLOCK
            mode = _number(header[100:108], "mode") & 0o7777
            yield Member(
                name=name, kind=kind, size=size, mode=mode, link=link, mtime=_mtime(header, pax_mtime)
            )

    def _meta(self, size: int) -> bytes:
        if size > self._limits.max_meta:
            raise ArchiveStop(f"an extended header of {size} bytes is larger than any real one")
        data = self._take(size)
        self._skip((-size) % BLOCK)
        return data


def _verify_checksum(header: bytes, index: int) -> None:
    stored = header[148:156]
    try:
        expected = _number(stored, "checksum")
    except ArchiveStop:
        raise ArchiveStop(f"header {index + 1} is not a tar header: the file is not a tar archive") from None
    unsigned = sum(header[:148]) + 256 + sum(header[156:])
    if expected != unsigned:
        raise ArchiveStop(f"header {index + 1} has a wrong checksum: the archive is corrupt")


def _number(field: bytes, what: str) -> int:
    if field and field[0] & 0x80:  # base-256, for sizes beyond what 11 octal digits hold
        value = int.from_bytes(field[1:], "big")
        return -value if field[0] & 0x40 else value
    text = field.split(b"\0", 1)[0].strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise ArchiveStop(f"a tar header has an unreadable {what} field") from None


def _mtime(header: bytes, pax_mtime: str) -> int:
    """A member's time (pax's, else the header's); 0 when unreadable: it only dates the release."""
    try:
        return max(0, int(float(pax_mtime))) if pax_mtime else max(0, _number(header[136:148], "mtime"))
    except (ArchiveStop, ValueError, OverflowError):
        return 0


def _pax_size(text: str) -> int:
    if not text.isdigit():
        raise ArchiveStop("a pax header gives an unreadable size")
    return int(text)


def _pax_records(data: bytes) -> dict[str, str]:
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0 or not data[pos:space].isdigit():
            raise ArchiveStop("a pax extended header is malformed")
        length = int(data[pos:space])
        record = data[space + 1 : pos + length]
        if length <= 0 or pos + length > len(data) or not record.endswith(b"\n") or b"=" not in record:
            raise ArchiveStop("a pax extended header is malformed")
        key, _, value = record[:-1].partition(b"=")
        records[_text(key)] = _text(value)
        pos += length
    return records


def _ustar_name(header: bytes) -> str:
    name = header[0:100].split(b"\0", 1)[0]
    if header[257:262] == b"ustar":
        prefix = header[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return _text(name)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
