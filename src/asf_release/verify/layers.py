"""An image's file system as its layers build it, for the few paths a check asks about.

Layers are applied the way the OCI image-spec says (layer.md): within a layer, whiteouts first,
and only on the layers below; `.wh.NAME` hides NAME and all beneath it, `.wh..wh..opq` hides what
lower layers put in its directory; an entry that is not a directory replaces whatever was at its
path. Each layer is read once, as a stream (tarstream's bounded reader): nothing is written to
disk, only the watched paths are remembered, and the content of the files a check compares is
kept up to MAX_KEPT bytes. Member names come from outside: a name that is absolute, climbs with
'..', holds a NUL or is empty is reported and never used, so every remembered path stays inside
the image's root.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from asf_release.verify.tarstream import ArchiveStop, Inflater, Limits, TarReader

MAX_KEPT = 1 << 20
MAX_NODES = 200_000
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True)
class Node:
    kind: str  # file, dir, symlink, hardlink, or another tar type
    size: int
    layer: int  # which layer (0 = the lowest) put it there
    content: bytes | None = None  # kept for the files a check compares
    link: str = ""


def clean(name: str) -> str | None:
    """A member name as a path under the image's root ("kvrocks/LICENSE"), or None when unsafe."""
    if not name or "\0" in name or "\\" in name:
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts)


@dataclass(frozen=True)
class Watch:
    """The paths a check asks about: exact paths (files or directories) and globs ("*" stays
    within one path segment)."""

    exact: frozenset[str]
    globs: tuple[str, ...] = ()

    @classmethod
    def of(cls, paths: Iterable[str]) -> Watch:
        exact, globs = set(), []
        for path in paths:
            cleaned = clean(path)
            if not cleaned:
                continue
            if any(c in cleaned for c in "*?["):
                globs.append(cleaned)
            else:
                exact.add(cleaned)
        return cls(frozenset(exact), tuple(globs))

    def _roots(self) -> Iterator[str]:
        yield from self.exact
        for pattern in self.globs:
            yield pattern.rsplit("/", 1)[0] if "/" in pattern else ""

    def wants(self, path: str) -> bool:
        """Whether the view must remember this path: a watched path, beneath an exact one, one of
        their ancestors (a file there would hide them), or a glob's match."""
        if self.matches(path):
            return True
        for root in self._roots():
            if path == root or (path.startswith(root + "/") and root in self.exact):
                return True
            if not root or root.startswith(path + "/"):
                return True
        return False

    def matches(self, path: str) -> bool:
        """Whether a check compares this file's content: an exact path or a glob's match."""
        if path in self.exact:
            return True
        depth = path.count("/")
        return any(p.count("/") == depth and fnmatch.fnmatchcase(path, p) for p in self.globs)


@dataclass
class View:
    watch: Watch
    nodes: dict[str, Node] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    complete: bool = True  # every layer was read to its end
    layers: int = 0
    removed: dict[str, int] = field(default_factory=dict)  # watched path -> the layer that deleted it

    # --- queries --------------------------------------------------------------------------------
    def get(self, path: str) -> Node | None:
        cleaned = clean(path)
        return self.nodes.get(cleaned) if cleaned is not None else None

    def glob(self, pattern: str) -> list[str]:
        cleaned = clean(pattern) or ""
        depth = cleaned.count("/")
        return sorted(
            p
            for p, node in self.nodes.items()
            if node.kind != "dir" and p.count("/") == depth and fnmatch.fnmatchcase(p, cleaned)
        )

    # --- applying a layer -----------------------------------------------------------------------
    def apply(self, chunks: Iterable[bytes], compression: str, limits: Limits) -> str:
        """Apply one layer given as its blob's chunks; returns the blob's sha256 digest.

        A layer that cannot be read to its end marks the view incomplete, with the reason."""
        index = self.layers
        self.layers += 1
        digest = hashlib.sha256()

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        whiteouts: list[str] = []
        opaques: list[str] = []
        added: dict[str, Node] = {}
        inflater = Inflater(hashed(), limits) if compression == "gzip" else None
        pieces: Iterator[bytes] = iter(inflater) if inflater is not None else hashed()
        reader = TarReader(pieces, limits)
        try:
            for member in reader.members():
                path = clean(member.name)
                if path is None:
                    self.problems.append(
                        f"layer {index + 1}: unsafe member name {member.name[:200]!r}: ignored"
                    )
                    continue
                parent, _, base = path.rpartition("/")
                if base == OPAQUE:
                    opaques.append(parent)
                    continue
                if base.startswith(WHITEOUT):
                    target = f"{parent}/{base[len(WHITEOUT) :]}" if parent else base[len(WHITEOUT) :]
                    whiteouts.append(target)
                    continue
                if not path or not self.watch.wants(path):
                    continue
                content = None
                if member.kind == "file" and self.watch.matches(path) and member.size <= MAX_KEPT:
                    content = b"".join(reader.content())
                elif member.kind == "hardlink":
                    content = self._linked(clean(member.link), added)
                added[path] = Node(member.kind, member.size, index, content, member.link)
                if len(added) + len(self.nodes) > MAX_NODES:
                    raise ArchiveStop(f"more than {MAX_NODES} watched entries")
        except ArchiveStop as stop:
            self.complete = False
            self.problems.append(f"layer {index + 1} could not be read to its end: {stop}")
        for target in whiteouts:
            self._remove(target, itself=True, by=index)
        for directory in opaques:
            self._remove(directory, itself=False, by=index)
        for path, node in added.items():
            existing = self.nodes.get(path)
            if node.kind != "dir" or (existing is not None and existing.kind != "dir"):
                self._remove(path, itself=True)
            self.nodes[path] = node
            self.removed.pop(path, None)
        # whatever reading left unread is hashed too, so the digest covers the whole blob
        try:
            for _ in pieces:
                pass
        except ArchiveStop as stop:
            if self.complete:
                self.complete = False
                self.problems.append(f"layer {index + 1} ends with unreadable data: {stop}")
        return "sha256:" + digest.hexdigest()

    def _linked(self, target: str | None, added: dict[str, Node]) -> bytes | None:
        if target is None:
            return None
        node = added.get(target) or self.nodes.get(target)
        return node.content if node is not None else None

    def _remove(self, path: str, *, itself: bool, by: int | None = None) -> None:
        prefix = path + "/" if path else ""
        for existing in [p for p in self.nodes if p.startswith(prefix) or (itself and p == path)]:
            del self.nodes[existing]
            if by is not None:
                self.removed[existing] = by
