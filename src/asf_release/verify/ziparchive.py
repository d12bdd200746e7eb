"""Reading a zip that came from outside (a Java project's `-src.zip`), bounded, never trusting it.

A zip's table of contents (the central directory) is at its end, and it is what every unzip
tool goes by: the local headers in front of each member may disagree with it, name other files,
or be missing. Judging the members as they stream by would judge another archive than the one a
voter unpacks. So the zip is read from a file: the one pass over the artifact (hashing it and
feeding gpg) writes it to the private work directory (`spool`), and the central directory is
read from that copy, which nobody else can change between the hashing and the reading.

Before a single member is read: the number of entries and the size of the central directory
(from its end record, zip64 included), the sum of the declared sizes, their ratio to the
compressed sizes, and members that overlap (the trick of the "better zip bomb") are all judged
against the limits. Reading a member never yields more than it declared.
"""

from __future__ import annotations

import os
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from asf_release.verify.tarstream import PIECE, RATIO_FLOOR, ArchiveStop, Limits, Member

END = b"PK\x05\x06"
END_SIZE = 22
LOCATOR = b"PK\x06\x07"
END64 = b"PK\x06\x06"
MAX_COMMENT = 0xFFFF
MAX_CENTRAL = 64 << 20  # a central directory larger than this belongs to no source release
MAX_LINK = 4096
LOCAL_HEADER = 30
UNIX = 3  # the "version made by" system of a zip written on Unix
READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def spool(chunks: Iterator[bytes], folder: Path) -> Path:
    """Write the chunks to a new private file in folder, and return its path."""
    fd, name = tempfile.mkstemp(suffix=".zip", prefix="spool-", dir=folder)
    with os.fdopen(fd, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return Path(name)


class ZipReader:
    """Members of a zip file, in the order of its central directory."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self._limits = limits
        self.count = 0
        self.comment: str | None = None
        self.compressed = 0
        self.unpacked = 0
        self.format = "zip"
        self._archive: zipfile.ZipFile | None = None
        self._current: zipfile.ZipInfo | None = None

    def members(self) -> Iterator[Member]:
        with self.path.open("rb") as handle:
            self.compressed = handle.seek(0, 2)
            entries, size = _directory_size(handle)
            if entries > self._limits.max_members:
                raise ArchiveStop(f"the archive holds more than {self._limits.max_members} members")
            if size > MAX_CENTRAL:
                raise ArchiveStop(f"its central directory of {size} bytes is larger than any real one")
            try:
                archive = zipfile.ZipFile(handle)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
                raise ArchiveStop(f"the zip is corrupt ({error})") from None
            with archive:
                infos = archive.infolist()
                _judge_declared(infos, self._limits, self.compressed)
                comment = archive.comment.decode("utf-8", errors="replace").strip()
                self.comment = comment if len(comment) == 40 and _is_hex(comment) else None
                self._archive = archive
                for info in infos:
                    self.count += 1
                    member = self._member(info)
                    self._current = info if member.kind == "file" else None
                    yield member
                self._current = None
                self._archive = None

    def _member(self, info: zipfile.ZipInfo) -> Member:
        # the upper half of the external attributes is a Unix mode only when a Unix tool wrote it
        mode = (info.external_attr >> 16) & 0xFFFF if info.create_system == UNIX else 0
        permissions = stat.S_IMODE(mode) if mode else 0o644
        if info.flag_bits & 0x1:
            return Member(info.filename, "encrypted file", 0, permissions, "")
        if info.compress_type not in READABLE:
            return Member(info.filename, f"compression method {info.compress_type}", 0, permissions, "")
        if info.filename.endswith("/") or stat.S_ISDIR(mode):
            return Member(info.filename, "dir", 0, permissions, "")
        if stat.S_ISLNK(mode):
            return Member(info.filename, "symlink", 0, permissions, self._link(info))
        if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            return Member(info.filename, "type special file", 0, permissions, "")
        return Member(info.filename, "file", info.file_size, permissions, "", _mtime(info))

    def _link(self, info: zipfile.ZipInfo) -> str:
        if info.file_size > MAX_LINK:
            raise ArchiveStop(f"the symbolic link {info.filename!r} has a target of {info.file_size} bytes")
        return b"".join(self._read(info)).decode("utf-8", errors="replace")

    def content(self) -> Iterator[bytes]:
        if self._current is not None:
            info, self._current = self._current, None
            yield from self._read(info)

    def _read(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        assert self._archive is not None
        try:
            with self._archive.open(info) as member:
                while piece := member.read(PIECE):
                    self.unpacked += len(piece)
                    yield piece
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, NotImplementedError) as error:
            raise ArchiveStop(f"the member {info.filename!r} is corrupt ({error})") from None


def _directory_size(handle: IO[bytes]) -> tuple[int, int]:
    """(entries, bytes) of the central directory, from the end record (zip64 when it says so)."""
    total = handle.seek(0, 2)
    tail_size = min(total, END_SIZE + MAX_COMMENT)
    handle.seek(total - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(END)
    if at < 0 or len(tail) - at < END_SIZE:
        raise ArchiveStop("the file has no zip central directory: it is truncated or not a zip")
    entries, size, offset = struct.unpack("<10xHLL", tail[at : at + 20])
    if 0xFFFF not in (entries,) and 0xFFFFFFFF not in (size, offset):
        return entries, size
    start = total - tail_size + at
    if start < 20:
        raise ArchiveStop("the zip64 end record is missing: the file is corrupt")
    handle.seek(start - 20)
    locator = handle.read(20)
    if locator[:4] != LOCATOR:
        raise ArchiveStop("the zip64 end record is missing: the file is corrupt")
    (position,) = struct.unpack("<8xQ4x", locator)
    if position > total - 56:
        raise ArchiveStop("the zip64 end record lies outside the file: it is corrupt")
    handle.seek(position)
    record = handle.read(56)
    if record[:4] != END64:
        raise ArchiveStop("the zip64 end record is missing: the file is corrupt")
    entries64, size64 = struct.unpack("<32xQQ8x", record)
    return int(entries64), int(size64)


def _judge_declared(infos: list[zipfile.ZipInfo], limits: Limits, file_size: int) -> None:
    """Declared sizes against the limits, and members sharing bytes (a zip bomb's trick)."""
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_unpacked:
        raise ArchiveStop(f"the members add up to more than {limits.max_unpacked >> 20} MiB unpacked")
    if declared > RATIO_FLOOR and declared > limits.max_ratio * max(file_size, 1):
        raise ArchiveStop(
            f"the data expands more than {limits.max_ratio} times ({declared} bytes from {file_size}): "
            "a decompression bomb"
        )
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ArchiveStop(
                f"the member {info.filename!r} expands more than {limits.max_ratio} times: a decompression bomb"
            )
    end = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            raise ArchiveStop(
                f"the member {info.filename!r} overlaps the one before it: a zip bomb or a corrupt archive"
            )
        end = info.header_offset + LOCAL_HEADER + info.compress_size
        if end > file_size:
            raise ArchiveStop(
                f"the member {info.filename!r} reaches past the end of the file: it is truncated"
            )


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _mtime(info: zipfile.ZipInfo) -> int:
    """A member's time as zip keeps it (local time, no zone: read as UTC; it only dates the
    release); 0 when unreadable."""
    try:
        return int(datetime(*info.date_time, tzinfo=UTC).timestamp())
    except (ValueError, OverflowError):
        return 0
