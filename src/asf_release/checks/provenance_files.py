"""provenance, file by file: the archive's files against the tag's tree, judged by what can be proved.

- A file of the tag whose blob differs is looked at again the way the release was made from it:
  as `git archive` writes it (the tag's .gitattributes: eol=crlf, export-subst), then with
  Subversion's keywords collapsed (`$LastChangedDate: ... $` is `$LastChangedDate$`, as projects
  kept in Subversion and mirrored in git ship them). Only a difference left after both fails.
- A file in the archive that is not in the tag fails only where the archive records that `git
  archive` made it from this very commit (git cannot have put the file there). Otherwise it is a
  note when it is a known output of release tooling (autoconf, automake, libtool, a `NAME.in`
  template of the tag), a warning with its path otherwise: real releases ship generated files.
- A file of the tag missing from the archive warns, unless the tag's attributes leave it out of
  `git archive` (export-ignore).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from asf_release.adapters.git import Git
from asf_release.checks.common import capped
from asf_release.errors import ReleaseError
from asf_release.verify.model import Finding, fail, note, warn
from asf_release.verify.scan import ArchiveScan
from asf_release.verify.tarstream import ZIP, Archive, ArchiveStop, Inflater, Limits, TarReader
from asf_release.verify.ziparchive import ZipReader

CHUNK = 1 << 20
KEEP = 4 << 20  # a file compared for keywords is kept whole up to this size
KEEP_ALL = 64 << 20  # and all of them up to this much (past it, a difference stays a difference)
# What autoconf, automake and libtool write into a release that is not in version control.
TOOLING_OUTPUTS = frozenset(
    {
        "configure",
        "aclocal.m4",
        "config.guess",
        "config.sub",
        "config.rpath",
        "install-sh",
        "missing",
        "depcomp",
        "compile",
        "ar-lib",
        "mkinstalldirs",
        "test-driver",
        "ylwrap",
        "py-compile",
        "ltmain.sh",
        "libtool.m4",
        "ltoptions.m4",
        "ltsugar.m4",
        "ltversion.m4",
        "lt~obsolete.m4",
    }
)
AUTOCONF_INPUTS = ("configure.ac", "configure.in")
SVN_KEYWORD = re.compile(
    rb"\$(Date|LastChangedDate|Revision|Rev|LastChangedRevision|Author|LastChangedBy|HeadURL|URL|Id|Header)"
    rb"::? [^$\n]*\$"
)


def compare(
    git: Git, tag: str, commit: str, scan: ArchiveScan, archive: Path, limits: Limits
) -> list[Finding]:
    tree = {path: sha for mode, sha, path in git.ls_tree(tag) if mode != "160000"}
    ours = _archive_blobs(scan)
    differing = sorted(p for p in set(ours) & set(tree) if ours[p] is not None and ours[p] != tree[p])
    missing = sorted(set(tree) - set(ours))
    rendered: dict[str, tuple[str, bytes | None]] | None = {}
    if differing or missing:
        try:
            rendered = _as_git_archive_writes(git, tag, set(differing) | set(missing), set(differing), limits)
        except (ReleaseError, ArchiveStop):
            rendered = None  # judged by the blobs alone, as git stores them
    written = rendered or {}
    still = [p for p in differing if p not in written or written[p][0] != ours[p]]
    keyword_only = _keyword_only(still, written, scan, archive, limits)
    marked = scan.commit == commit  # the archive says git archive made it from this commit
    changed = [fail(p, f"differs from the file in {tag}") for p in still if p not in keyword_only]
    expanded = [
        note(p, f"differs from the file in {tag} only by expanded Subversion keywords ($Id$, $Date$...)")
        for p in still
        if p in keyword_only
    ]
    extra = [_extra(p, tag, tree, marked, commit) for p in sorted(set(ours) - set(tree))]
    absent = [
        warn(p, f"is in {tag} but not in the archive") for p in missing if rendered is None or p in rendered
    ]
    return [
        *capped(changed, "changed files"),
        *capped([f for f in extra if f.level.value == "fail"], "extra files"),
        *capped([f for f in extra if f.level.value == "warn"], "extra files"),
        *capped([f for f in extra if f.level.value == "note"], "generated files"),
        *capped(expanded, "files with expanded keywords"),
        *capped(absent, "missing files"),
    ]


def _archive_blobs(scan: ArchiveScan) -> dict[str, str | None]:
    ours: dict[str, str | None] = {path: facts.blob for path, facts in scan.files.items()}
    for path, target in scan.symlinks.items():
        ours[path] = blob_id(target.encode())
    return ours


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _extra(path: str, tag: str, tree: Collection[str], marked: bool, commit: str) -> Finding:
    if marked:
        return fail(
            path,
            f"is in the archive but not in {tag}",
            f"the archive records that git archive made it from {commit[:12]}, which has no such file: "
            "it was added afterwards",
        )
    made_by = _tooling_that_makes(path, tree)
    if made_by:
        return note(path, f"is not in {tag}: {made_by} makes it when the release is rolled")
    return warn(
        path,
        f"is in the archive but not in {tag}",
        "generated when the release was rolled, or added by hand? the project's release script tells",
    )


def _tooling_that_makes(path: str, tree: Collection[str]) -> str:
    """Which release tooling writes this file, judged from the tag's own files ('' when none)."""
    name = PurePosixPath(path).name
    autoconf = any(PurePosixPath(p).name in AUTOCONF_INPUTS for p in tree)
    if name in TOOLING_OUTPUTS:
        return "autoconf, automake or libtool"
    if path.endswith(".in") and path.removesuffix(".in") + ".am" in tree:
        return "automake"
    if name.endswith(".h.in") and autoconf:
        return "autoheader"
    if any(PurePosixPath(p).name == f"{name}.in" for p in tree):
        return f"a template of the tag ({name}.in)"
    return ""


def _as_git_archive_writes(
    git: Git, tag: str, paths: set[str], keep: set[str], limits: Limits
) -> dict[str, tuple[str, bytes | None]]:
    """path -> (blob id, content when small) of these paths as `git archive` of the tag writes
    them; a path git archive leaves out (export-ignore) is absent."""
    with git.archive(tag, "", "tar") as out:
        return _collect(TarReader(_pieces(out), limits), paths, keep, "")


def _keyword_only(
    paths: list[str],
    rendered: dict[str, tuple[str, bytes | None]],
    scan: ArchiveScan,
    archive: Path,
    limits: Limits,
) -> set[str]:
    """The paths whose only difference from the tag is expanded Subversion keywords."""
    candidates = {p for p in paths if p in rendered and rendered[p][1] is not None}
    if not candidates:
        return set()
    try:
        ours = _archive_contents(archive, scan, candidates, limits)
    except ArchiveStop:
        return set()
    same = set()
    for path, (_, content) in ours.items():
        theirs = rendered[path][1]
        if content is not None and theirs is not None and _collapsed(content) == _collapsed(theirs):
            same.add(path)
    return same


def _collapsed(data: bytes) -> bytes:
    return SVN_KEYWORD.sub(rb"$\1$", data)


def _archive_contents(
    archive: Path, scan: ArchiveScan, paths: set[str], limits: Limits
) -> dict[str, tuple[str, bytes | None]]:
    """The content of these paths in the RC's archive, read again (bounded as the first pass)."""
    reader: Archive
    if scan.format == ZIP:
        reader = ZipReader(archive, limits)
    else:
        reader = TarReader(iter(Inflater(_file_pieces(archive), limits)), limits)
    return _collect(reader, paths, paths, f"{scan.top}/" if scan.top else "")


def _collect(
    reader: Archive, paths: set[str], keep: set[str], prefix: str
) -> dict[str, tuple[str, bytes | None]]:
    """path -> (blob id, content if kept) of the members named in paths; the content is kept for
    those in keep, within KEEP each and KEEP_ALL in all."""
    found: dict[str, tuple[str, bytes | None]] = {}
    budget = KEEP_ALL
    for member in reader.members():
        name = member.name.removeprefix(prefix)
        if name not in paths:
            continue
        if member.kind == "symlink":
            found[name] = (blob_id(member.link.encode()), member.link.encode())
        elif member.kind == "file":
            digest = hashlib.sha1(b"blob %d\0" % member.size, usedforsecurity=False)
            wanted = name in keep and member.size <= min(KEEP, budget)
            kept: list[bytes] | None = [] if wanted else None
            budget -= member.size if wanted else 0
            for piece in reader.content():
                digest.update(piece)
                if kept is not None:
                    kept.append(piece)
            found[name] = (digest.hexdigest(), b"".join(kept) if kept is not None else None)
    return found


def _pieces(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _file_pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
