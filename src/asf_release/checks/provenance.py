"""provenance: the archive's files equal the RC tag's tree (git blob ids compared: an extra or
changed file fails, a missing one warns), whatever the archive's format. Then the archive is
rebuilt from the tag the way the profile packages it (git archive) and compared: a tar.gz byte for
byte, else the tar inside it; a tar.bz2 or tar.xz by the tar inside (git archive makes no bzip2
or xz of its own); a zip byte for byte with git archive's zip, where a difference is only a note
(zips are made by many tools, and the files were compared already)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from asf_release.adapters import http
from asf_release.adapters.git import Git, is_git_directory
from asf_release.checks.common import capped, source_archive
from asf_release.errors import ReleaseError
from asf_release.verify.model import CheckResult, Finding, fail, note, warn
from asf_release.verify.rc import OpenedRC
from asf_release.verify.scan import ArchiveScan
from asf_release.verify.tarstream import GZIP, ZIP, ArchiveStop, Inflater, Limits

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
    findings = _compare_tree(git, rc.tag, scan)
    if scan.commit and scan.commit != commit:
        findings.append(warn(scan.name, f"git archive recorded commit {scan.commit}; {rc.tag} is {commit}"))
    findings += _compare_rebuild(git, rc, scan)
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


def _compare_tree(git: Git, tag: str, scan: ArchiveScan) -> list[Finding]:
    tree = {path: (mode, sha) for mode, sha, path in git.ls_tree(tag) if mode != "160000"}
    ours: dict[str, str | None] = {path: facts.blob for path, facts in scan.files.items()}
    for path, target in scan.symlinks.items():
        data = target.encode()
        ours[path] = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
    extra = [fail(p, f"is in the archive but not in {tag}") for p in sorted(set(ours) - set(tree))]
    changed = [
        fail(p, f"differs from the file in {tag}")
        for p in sorted(set(ours) & set(tree))
        if ours[p] is not None and ours[p] != tree[p][1]
    ]
    missing = [warn(p, f"is in {tag} but not in the archive") for p in sorted(set(tree) - set(ours))]
    return [
        *capped(extra, "extra files"),
        *capped(changed, "changed files"),
        *capped(missing, "missing files"),
    ]


def _compare_rebuild(git: Git, rc: OpenedRC, scan: ArchiveScan) -> list[Finding]:
    tag = rc.tag or ""
    prefix = f"{scan.top}/"
    whole = {GZIP: "tar.gz", ZIP: "zip"}.get(scan.format)
    shown = f"git archive --format={whole or 'tar'} --prefix={prefix} {tag}"
    limits = rc.limits()
    try:
        if whole is not None:
            with git.archive(tag, prefix, whole) as out:
                rebuilt = _sha512(out)
            if rebuilt == rc.digests.get(scan.name, {}).get("sha512"):
                return [note(scan.name, f"byte for byte identical to `{shown}`")]
            if scan.format == ZIP:
                return [note(scan.name, f"its files equal {tag}'s; the zip itself differs from `{shown}`")]
        shown = f"git archive --format=tar --prefix={prefix} {tag}"
        with git.archive(tag, prefix, "tar") as out:
            offset = _first_difference(_inflate(rc.path(scan.name), limits), _pieces(out))
    except ReleaseError as error:
        return [warn(scan.name, f"could not rebuild it: {error.message}")]
    except ArchiveStop as stop:
        return [warn(scan.name, f"could not read it again: {stop}")]
    if offset is None:
        again = (
            "only the gzip bytes differ (another gzip)" if scan.format == GZIP else f"{scan.format} around it"
        )
        return [note(scan.name, f"the tar inside is identical to `{shown}`; {again}")]
    try:
        member = _member_at(rc.path(scan.name), offset, limits)
    except ArchiveStop:
        member = ""
    return [
        warn(
            scan.name,
            f"differs from `{shown}`: first difference at byte {offset} of the tar{member}",
            "the archive was not made by git archive from this tag (or with other settings)",
        )
    ]


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
