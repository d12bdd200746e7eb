"""provenance: the archive's files equal the RC tag's tree as git archive writes it (see
provenance_files for what fails, warns or is noted), whatever the archive's format. Then the archive
is rebuilt from the tag in its own format, the way `package` makes it, and compared byte for byte:
gzip and zip as git archive writes them, bzip2 and xz as git's tar through the fixed compressor
(adapters/gitarchive). Where the bytes differ, the tar inside is compared; a difference of
compression alone is a note, and so is an archive made by another tool than git archive (its
files were compared one by one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from asf_release.adapters import http
from asf_release.adapters.git import Git, is_git_directory
from asf_release.adapters.gitarchive import GZIP, TAR, ZIP, SourceFormat, for_content
from asf_release.checks import provenance_files
from asf_release.checks.common import source_archive
from asf_release.errors import ReleaseError
from asf_release.verify.model import CheckResult, Finding, fail, note, warn
from asf_release.verify.rc import OpenedRC
from asf_release.verify.scan import ArchiveScan
from asf_release.verify.tarstream import ArchiveStop, Inflater, Limits

ID = "provenance"
CHUNK = 1 << 20


class Unreachable(Exception):
    """The repository or the tag could not be reached."""


def check(rc: OpenedRC) -> CheckResult:
    scan = source_archive(rc, ID)
    if isinstance(scan, CheckResult):
        return scan
    if rc.tag is None:
        return CheckResult.skipped(ID, "no tag to compare with: give --tag, or --rc to name it")
    try:
        git, commit = _repository(rc, rc.tag)
    except Unreachable as problem:
        if rc.repository.explicit:
            return CheckResult.of(ID, [fail(rc.repository.location or "", str(problem))])
        return CheckResult.skipped(ID, f"{problem}; give --git with a clone to compare")
    findings = provenance_files.compare(git, rc.tag, commit, scan, rc.path(scan.name), rc.limits())
    if scan.commit and scan.commit != commit:
        findings.append(warn(scan.name, f"git archive recorded commit {scan.commit}; {rc.tag} is {commit}"))
    findings += _compare_rebuild(git, rc, scan, commit)
    return CheckResult.of(ID, findings, f"compared with {rc.tag} ({commit[:12]}) of {rc.repository.location}")


def _repository(rc: OpenedRC, tag: str) -> tuple[Git, str]:
    location = rc.repository.location
    if not location:
        raise Unreachable("no repository to compare with")
    if http.kind(location) == "file" and "://" not in location:
        path = Path(location).expanduser()
        if not path.is_dir() or not is_git_directory(path):
            raise Unreachable(f"{location} is not a git repository")
        git = Git(path)
    else:
        git = Git(rc.work / "git")
        git.root.mkdir(exist_ok=True)
        try:
            git.run("init", "--quiet", "--bare")
            git.run(
                "fetch", "--quiet", "--depth=1", location, f"+refs/tags/{tag}:refs/tags/{tag}", timeout=300
            )
        except ReleaseError as error:
            raise Unreachable(
                f"could not fetch {tag} from {location} ({error.message.splitlines()[-1]})"
            ) from None
    commit = git.tag_commit(tag)
    if commit is None:
        raise Unreachable(f"{location} has no tag {tag}")
    return git, commit


def _compare_rebuild(git: Git, rc: OpenedRC, scan: ArchiveScan, commit: str) -> list[Finding]:
    """The archive against what git archive makes of the tag in the archive's own format."""
    tag = rc.tag or ""
    prefix = f"{scan.top}/"
    fmt = for_content(scan.format)
    ours = rc.digests.get(scan.name, {}).get("sha512")
    limits = rc.limits()
    tar = TAR.pipeline(prefix, tag)
    try:
        if fmt is not None and not fmt.compressor:  # gzip, zip, tar: git writes the bytes itself
            shown = fmt.pipeline(prefix, tag)
            if _rebuilt_sha512(git, tag, prefix, fmt) == ours:
                return [note(scan.name, f"byte for byte identical to `{shown}`")]
            if fmt is ZIP:
                return [
                    note(scan.name, f"the zip differs from `{shown}`; its files were compared with {tag}'s")
                ]
        with git.archive(tag, prefix, "tar") as out:
            offset = _first_difference(_inflate(rc.path(scan.name), limits), _pieces(out))
    except ReleaseError as error:
        return [warn(scan.name, f"could not rebuild it: {error.message}")]
    except ArchiveStop as stop:
        return [warn(scan.name, f"could not read it again: {stop}")]
    if offset is None:
        if fmt is not None and fmt.compressor:
            return [_recompressed(git, rc, scan, fmt, ours or "")]
        again = "only the gzip bytes differ (another gzip)" if fmt is GZIP else f"{scan.format} around it"
        return [note(scan.name, f"the tar inside is identical to `{tar}`; {again}")]
    try:
        member = _member_at(rc.path(scan.name), offset, limits)
    except ArchiveStop:
        member = ""
    message = f"differs from `{tar}`: first difference at byte {offset} of the tar{member}"
    if scan.commit == commit:  # it says git archive made it from this commit: it was changed since
        return [
            warn(scan.name, message, "made by git archive from this tag, then changed (or other settings)")
        ]
    return [
        note(scan.name, f"{message}; it was not made by git archive, and its files were compared one by one")
    ]


def _recompressed(git: Git, rc: OpenedRC, scan: ArchiveScan, fmt: SourceFormat, ours: str) -> Finding:
    """A tar.bz2 or tar.xz whose tar is git's: is it also compressed as package compresses it?"""
    tag = rc.tag or ""
    shown = fmt.pipeline(f"{scan.top}/", tag)
    try:
        rebuilt = _rebuilt_sha512(git, tag, f"{scan.top}/", fmt)
    except ReleaseError as error:
        return note(
            scan.name,
            f"the tar inside is identical to git archive's; `{shown}` could not be tried: {error.message}",
        )
    if rebuilt == ours:
        return note(scan.name, f"byte for byte identical to `{shown}`")
    return note(
        scan.name,
        f"the tar inside is identical to git archive's; the {fmt.kind} bytes differ from "
        f"`{fmt.reproducible}`'s (other compression settings)",
    )


def _rebuilt_sha512(git: Git, tag: str, prefix: str, fmt: SourceFormat) -> str:
    with git.archive(tag, prefix, fmt) as out:
        return _sha512(out)


def _sha512(stream: IO[bytes]) -> str:
    digest = hashlib.sha512()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _pieces(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _inflate(path: Path, limits: Limits) -> Iterator[bytes]:
    """The tar inside a compressed tar, whatever the compression, bounded as the first pass was."""

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    yield from Inflater(chunks(), limits)


def _first_difference(left: Iterator[bytes], right: Iterator[bytes]) -> int | None:
    """The first byte offset where two streams differ (or one ends), None when equal."""
    offset = 0
    a = b = b""
    while True:
        if not a:
            a = next(left, b"")
        if not b:
            b = next(right, b"")
        if not a or not b:
            return None if not a and not b else offset
        n = min(len(a), len(b))
        if a[:n] != b[:n]:
            return offset + next(i for i in range(n) if a[i] != b[i])
        offset += n
        a, b = a[n:], b[n:]


def _member_at(path: Path, offset: int, limits: Limits) -> str:
    """' (in member NAME)' for the tar member whose header or data holds offset."""
    position = 0
    buffer = b""
    for piece in _inflate(path, limits):
        buffer += piece
        while len(buffer) >= 512:
            header = buffer[:512]
            if header == bytes(512):
                return ""
            try:
                size = int(header[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
            except ValueError:
                return ""
            span = 512 + (size + 511) // 512 * 512
            if position <= offset < position + span:
                name = header[:100].split(b"\0", 1)[0].decode("utf-8", errors="replace")
                return f" (in member {name})"
            if len(buffer) < span:
                break
            buffer = buffer[span:]
            position += span
    return ""
