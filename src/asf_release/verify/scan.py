"""The one pass over an RC's archive: every byte read once, while it is hashed, fed to gpg,
decompressed, split into members, judged (compiled code? header? other license?), hashed the way
git hashes blobs (for provenance), and written out only when a build needs the tree.

Memory stays bounded whatever the archive: pieces of at most 1 MiB, the first 8 KiB of each file,
a few small texts (LICENSE, NOTICE, the header configuration), and one small record per file.
Nothing is written outside the work directory: member paths are checked before anything is
created, files are opened with O_EXCL|O_NOFOLLOW, links are created last and only when they stay
inside, and devices or fifos are never created.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asf_release.policy import licenseye, recognize
from asf_release.policy import sniff as go_sniff
from asf_release.policy.recognize import Grant
from asf_release.verify import content
from asf_release.verify.model import Finding, fail, warn
from asf_release.verify.tarstream import (
    ZIP,
    Archive,
    ArchiveStop,
    Inflater,
    Limits,
    Member,
    TarReader,
    peek,
    sniff,
)
from asf_release.verify.ziparchive import ZipReader, spool

CHUNK = 1 << 20
MAX_KEPT_TEXT = 1 << 20  # LICENSE, NOTICE, header configuration: kept whole up to this size
MAX_ZIP_INSPECTED = 256 << 20
HASHES = ("sha512", "sha256")


@dataclass(slots=True)
class FileFacts:
    size: int
    executable: bool
    kind: str  # content.COMPILED, content.DATA, content.TEXT
    what: str
    blob: str | None = None  # git blob id, when provenance is checked
    header: int | None = None  # where the ASF header starts in the normalised file (license-eye's way)
    grant: Grant | None = None  # the license the file's head grants, when it grants one
    sniffed_text: bool = False  # license-eye reads it: Go's DetectContentType calls it text
    # when the head lacks the ASF header: how much text stands before any header further down
    # (letters and digits of the head; -1 when the head is the whole file: there is none further)
    text_before: int = 0


@dataclass
class ArchiveScan:
    name: str
    top: str | None  # the top directory every member should be under
    files: dict[str, FileFacts] = field(default_factory=dict)  # path under top -> facts
    dirs: set[str] = field(default_factory=set)
    symlinks: dict[str, str] = field(default_factory=dict)  # path under top -> target
    tops: dict[str, int] = field(default_factory=dict)  # first path components seen -> members
    problems: list[Finding] = field(default_factory=list)
    texts: dict[str, bytes] = field(default_factory=dict)  # small files kept whole
    complete: bool = False
    stopped: str = ""  # why reading stopped early
    members: int = 0
    unpacked: int = 0
    compressed: int = 0
    commit: str | None = None  # the commit id git archive records in the pax global header
    newest: int = 0  # the newest member's mtime (seconds since the epoch; 0 when none is known)
    extracted: Path | None = None  # the top directory on disk, when extracted
    format: str = ""  # what the content is (gzip, bzip2, xz, zip, tar), whatever the name says


@dataclass(frozen=True)
class ScanOptions:
    top: str | None
    limits: Limits
    blobs: bool = True
    extract_to: Path | None = None
    keep: frozenset[str] = frozenset()  # paths under top whose content is kept
    keep_names: frozenset[str] = frozenset()  # file names kept at any depth (pom.xml, .licenserc.yaml)
    keep_under: tuple[str, ...] = ()  # directories whose files are kept (CI workflows: tool versions)
    spool_dir: Path | None = None
    private_copy: Path | None = None  # the artifact itself, when it lies in the work directory


class FilePump:
    """Reads a file once, in a thread: hashes every chunk and hands it to sinks (a running gpg),
    while the caller consumes the same chunks (decompressing). The file is read to its end even
    when the caller stops early, so digests and signatures always cover the whole file."""

    def __init__(self, path: Path, sinks: Sequence[Callable[[bytes], None]] = ()) -> None:
        self.path = path
        self.sinks = list(sinks)
        self.hashes = {name: hashlib.new(name) for name in HASHES}
        self.size = 0
        self._discard = False

    def digests(self) -> dict[str, str]:
        return {name: h.hexdigest() for name, h in self.hashes.items()}

    def _consume(self, chunk: bytes) -> None:
        self.size += len(chunk)
        for digest in self.hashes.values():
            digest.update(chunk)
        for sink in self.sinks:
            sink(chunk)

    def drain(self) -> None:
        """Read the whole file without anyone consuming the chunks."""
        with self.path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                self._consume(chunk)

    def chunks(self) -> Iterator[bytes]:
        pipe: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)

        def produce() -> None:
            try:
                with self.path.open("rb") as handle:
                    while chunk := handle.read(CHUNK):
                        self._consume(chunk)
                        if not self._discard:
                            pipe.put(chunk)
                pipe.put(None)
            except BaseException as error:  # handed to the consumer, raised there
                pipe.put(error)

        worker = threading.Thread(target=produce, name="asf-release-read", daemon=True)
        worker.start()
        try:
            while True:
                item = pipe.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._discard = True
            while worker.is_alive() or not pipe.empty():
                try:
                    item = pipe.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(item, BaseException):
                    raise item
            worker.join()


def clean_path(name: str) -> tuple[list[str], str]:
    """A member name's components, or a problem that makes it unsafe to use."""
    if "\0" in name:
        return [], "its name holds a NUL byte"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":" and name[0].isalpha()):
        return [], "its path is absolute"
    if "\\" in name:
        return [], "its path holds a backslash (a Windows path separator)"
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        return [], "its path climbs out with '..'"
    if not parts:
        return [], "its name is empty"
    return parts, ""


def _resolve_link(link_parts: list[str], target: str) -> list[str] | None:
    """The path a symlink at link_parts points to, lexically; None when it leaves the archive."""
    if target.startswith("/") or not target:
        return None
    resolved = link_parts[:-1]
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return None
            resolved.pop()
        else:
            resolved.append(part)
    return resolved


class _Extractor:
    """Writes members under root, never following or creating anything outside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.links: list[tuple[list[str], str]] = []

    def directory(self, parts: list[str]) -> None:
        self.root.joinpath(*parts).mkdir(parents=True, exist_ok=True)

    def open(self, parts: list[str], executable: bool) -> int:
        target = self.root.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        return os.open(target, flags, 0o755 if executable else 0o644)

    def copy(self, source: list[str], parts: list[str]) -> None:
        with self.root.joinpath(*source).open("rb") as src:
            fd = self.open(parts, os.access(self.root.joinpath(*source), os.X_OK))
            with os.fdopen(fd, "wb") as dst:
                shutil.copyfileobj(src, dst)

    def finish(self) -> None:
        """Symlinks last, so no file is ever written through one."""
        for parts, target in self.links:
            path = self.root.joinpath(*parts)
            if os.path.lexists(path):
                continue  # a directory of that name was unpacked: the archive check reports it
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class _Scanner:
    def __init__(self, name: str, options: ScanOptions) -> None:
        self.options = options
        self.scan = ArchiveScan(name, options.top)
        self.seen: set[str] = set()
        self.extractor = _Extractor(options.extract_to) if options.extract_to else None

    def problem(self, member: str, message: str, hint: str = "", level: str = "fail") -> None:
        self.scan.problems.append((warn if level == "warn" else fail)(member, message, hint))

    def run(self, chunks: Iterator[bytes]) -> ArchiveScan:
        head, chunks = peek(chunks)
        if sniff(head) == ZIP:
            return self._run_zip(chunks)
        inflater = Inflater(chunks, self.options.limits)
        reader = TarReader(iter(inflater), self.options.limits)
        try:
            self._read(reader)
        finally:
            self.scan.unpacked = inflater.unpacked
            self.scan.compressed = inflater.compressed
            self.scan.format = inflater.format
        return self.scan

    def _run_zip(self, chunks: Iterator[bytes]) -> ArchiveScan:
        """A zip is judged by its central directory, at its end: the bytes streaming by are kept
        in the work directory (unless the artifact already lies there), then read from there."""
        options = self.options
        path = options.private_copy
        spooled: Path | None = None
        if path is None:
            spooled = path = spool(chunks, options.spool_dir or Path(tempfile.gettempdir()))
        else:
            for _ in chunks:  # the caller hashes and verifies what streams by
                pass
        reader = ZipReader(path, options.limits)
        try:
            self._read(reader)
        finally:
            self.scan.unpacked = reader.unpacked
            self.scan.compressed = reader.compressed
            self.scan.format = reader.format
            if spooled is not None:
                spooled.unlink(missing_ok=True)
        return self.scan

    def _read(self, reader: Archive) -> None:
        try:
            for member in reader.members():
                self.member(member, reader)
            self.scan.complete = True
            self.finish_links()
            if self.extractor:
                self.extractor.finish()
                self.scan.extracted = self.extractor.root / (self.scan.top or "")
        except ArchiveStop as stop:
            self.scan.stopped = str(stop)
        finally:
            self.scan.members = reader.count
            self.scan.commit = reader.comment

    def member(self, member: Member, reader: Archive) -> None:
        parts, unsafe = clean_path(member.name)
        shown = member.name
        if unsafe:
            self.problem(
                shown, f"unsafe member: {unsafe}", "a source archive never needs this; it is not unpacked"
            )
            return
        if not self.scan.tops:
            # the first member's top directory is the tree's, even when misnamed (the archive
            # check reports a wrong name; the content is still judged)
            self.scan.top = parts[0]
        self.scan.tops[parts[0]] = self.scan.tops.get(parts[0], 0) + 1
        self.scan.newest = max(self.scan.newest, member.mtime)
        path = "/".join(parts)
        if path in self.seen:
            self.problem(shown, "this name appears twice in the archive", "the second copy is not unpacked")
            return
        self.seen.add(path)
        if parts[0] != self.scan.top:
            return  # reported by the archive check from `tops`
        rel = "/".join(parts[1:])
        if self.scan.symlinks and self._under_link(parts[1:]):
            self.problem(shown, "its path goes through a symbolic link of the archive", "it is not unpacked")
            return
        try:
            self.dispatch(parts, rel, member, reader)
        except OSError as error:  # a path conflict while unpacking (a file where a directory goes)
            self.problem(shown, f"could not be unpacked ({error.strerror or error})")

    def dispatch(self, parts: list[str], rel: str, member: Member, reader: Archive) -> None:
        shown = member.name
        if member.kind == "dir":
            if rel:
                self.scan.dirs.add(rel)
            if self.extractor:
                self.extractor.directory(parts)
        elif member.kind == "file":
            self.file(parts, rel, member, reader)
        elif member.kind == "symlink":
            self.symlink(parts, rel, member)
        elif member.kind == "hardlink":
            self.hardlink(parts, rel, member)
        elif member.kind in ("chardev", "blockdev", "fifo"):
            kind = {"chardev": "a character device", "blockdev": "a block device", "fifo": "a fifo"}
            self.problem(shown, f"unsafe member: {kind[member.kind]}", "it is not created")
        else:
            self.problem(shown, f"unsupported member ({member.kind})", "it is not unpacked")

    def _under_link(self, parts: list[str]) -> bool:
        return any("/".join(parts[:end]) in self.scan.symlinks for end in range(1, len(parts)))

    def symlink(self, parts: list[str], rel: str, member: Member) -> None:
        resolved = _resolve_link(parts, member.link)
        if resolved is None or not resolved or resolved[0] != self.scan.top:
            self.problem(
                member.name,
                f"symbolic link leading outside the archive (-> {member.link})",
                "it is not created",
            )
            return
        self.scan.symlinks[rel] = member.link
        if self.extractor:
            self.extractor.links.append((parts, member.link))

    def hardlink(self, parts: list[str], rel: str, member: Member) -> None:
        target, unsafe = clean_path(member.link)
        target_rel = "/".join(target[1:]) if target and target[0] == self.scan.top else None
        if unsafe or target_rel is None or target_rel not in self.scan.files:
            self.problem(
                member.name,
                f"hard link to something that is not an earlier file of the archive (-> {member.link})",
                "it is not created",
            )
            return
        self.scan.files[rel] = self.scan.files[target_rel]
        if self.extractor:
            self.extractor.copy(target, parts)

    def file(self, parts: list[str], rel: str, member: Member, reader: Archive) -> None:
        options = self.options
        blob = hashlib.sha1(b"blob %d\0" % member.size) if options.blobs else None
        keep = (
            rel in options.keep
            or rel.rsplit("/", 1)[-1] in options.keep_names
            or (options.keep_under and rel.startswith(options.keep_under))
        ) and member.size <= MAX_KEPT_TEXT
        kept: list[bytes] = []
        head = b""
        spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        fd = self.extractor.open(parts, bool(member.mode & 0o111)) if self.extractor else None
        try:
            for piece in reader.content():
                if len(head) < content.HEAD:
                    head += piece[: content.HEAD - len(head)]
                    if (
                        spool is None
                        and head.startswith(content.ZIP_MAGIC)
                        and member.size <= MAX_ZIP_INSPECTED
                    ):
                        spool = _spool(options.spool_dir)
                if blob is not None:
                    blob.update(piece)
                if fd is not None:
                    _write_all(fd, piece)
                if keep:
                    kept.append(piece)
                if spool is not None:
                    spool.write(piece)
        finally:
            if fd is not None:
                os.close(fd)
        kind = content.classify(rel, head)
        facts = FileFacts(member.size, bool(member.mode & 0o111), kind.kind, kind.what)
        if blob is not None:
            facts.blob = blob.hexdigest()
        if spool is not None:
            facts.kind, facts.what = _inspect_zip(spool)
        elif kind.kind == content.TEXT:
            facts.header = licenseye.asf_header_position(head)
            if facts.header is None:
                facts.text_before = licenseye.text_before(head, member.size)
            facts.grant = recognize.grant(head, asf_header=facts.header is not None)
            facts.sniffed_text = go_sniff.is_text(head)
        if keep:
            self.scan.texts[rel] = b"".join(kept)
        self.scan.files[rel] = facts

    def finish_links(self) -> None:
        """A link whose target goes through another link could lead anywhere: refuse it."""
        for rel, target in list(self.scan.symlinks.items()):
            steps = [part for part in target.split("/") if part not in ("", ".")]
            walked = rel.split("/")[:-1]
            for index, part in enumerate(steps):
                walked = walked[:-1] if part == ".." else [*walked, part]
                if index < len(steps) - 1 and "/".join(walked) in self.scan.symlinks:
                    self.problem(
                        f"{self.scan.top}/{rel}",
                        f"symbolic link going through another link (-> {target})",
                        "it is not created",
                    )
                    del self.scan.symlinks[rel]
                    break
        if self.extractor:
            kept = set(self.scan.symlinks)
            self.extractor.links = [link for link in self.extractor.links if "/".join(link[0][1:]) in kept]


def _spool(folder: Path | None) -> tempfile.SpooledTemporaryFile[bytes]:
    """Room for a zip member to be listed: memory first, then the work directory. Closed by
    _inspect_zip."""
    return tempfile.SpooledTemporaryFile(16 << 20, dir=str(folder or tempfile.gettempdir()))


def _inspect_zip(spool: tempfile.SpooledTemporaryFile[bytes]) -> tuple[str, str]:
    try:
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive:
            names = archive.namelist()[:200_000]
    except (zipfile.BadZipFile, OSError, ValueError):
        return content.DATA, "zip archive (unreadable)"
    finally:
        spool.close()
    inside = content.zip_holds_compiled(names)
    if inside:
        return content.COMPILED, f"zip/jar archive holding compiled code ({inside})"
    return content.DATA, "zip archive"


def file_chunks(path: Path) -> Iterator[bytes]:
    """A file's bytes, a chunk at a time: bounded memory whatever its size."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def scan(name: str, chunks: Iterator[bytes], options: ScanOptions) -> ArchiveScan:
    """One pass over a tar.gz given as chunks of bytes."""
    return _Scanner(name, options).run(chunks)


def heads(
    path: Path, top: str | None, limits: Limits, wanted: Callable[[str], bool], size: int = 1 << 16
) -> Iterator[tuple[str, bytes]]:
    """The first bytes of the files `wanted` selects, reading the archive again (only for header
    configurations that cannot be judged while the archive first streams by)."""
    with path.open("rb") as handle:
        is_zip = sniff(handle.read(512)) == ZIP
    reader: Archive = (
        ZipReader(path, limits) if is_zip else TarReader(iter(Inflater(file_chunks(path), limits)), limits)
    )
    try:
        for member in reader.members():
            parts, unsafe = clean_path(member.name)
            if unsafe or member.kind != "file" or (top and parts[0] != top):
                continue
            rel = "/".join(parts[1:])
            if not wanted(rel):
                continue
            head = b""
            for piece in reader.content():
                head += piece[: size - len(head)]
                if len(head) >= size:
                    break
            yield rel, head
    except ArchiveStop:
        return
