"""Where an RC comes from: a local directory, the https URL of its directory (Apache's dist
server or Subversion over HTTP, read from their HTML listings), a Subversion URL, or a bare
version that the profile turns into its dist/dev directory.

Remote files are downloaded, size-limited, into the work directory; their names come from
outside, so each must be a plain file name before anything is written.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from asf_release.adapters import http
from asf_release.adapters.svn import Svn, join
from asf_release.context import Context
from asf_release.errors import ExternalError, UsageError
from asf_release.version import Version

MAX_LISTING = 4 << 20
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class Located:
    directory: Path  # a local directory holding the RC's files
    files: list[str]  # their names
    origin: str  # where they came from, for people
    name: str  # the RC directory's own name (dist's staging directory)
    version: Version | None = None  # when the source said it (a bare version)
    rc: int | None = None


def locate(ctx: Context, source: str, rc: int | None, work: Path) -> Located:
    """Find the RC's files, downloading them into work/ when they are remote."""
    where = http.kind(source) if "://" in source else "file"
    if where == "file":
        path = http.local_path(source)
        if path.is_dir():
            return _local(path)
        if _VERSION.match(source.strip()):
            return _from_version(ctx, Version.parse(source), rc, work)
        if path.is_file():
            raise UsageError(
                f"{path} is a file; give the directory that holds the RC's files",
                f"asf-release verify {path.parent}",
            )
        raise UsageError(
            f"'{source}' is neither a directory, a URL, nor a version",
            "give the RC's directory, its https or svn URL, or a version such as 2.11.0",
        )
    if where == "svn":
        return _from_svn(ctx, source, work)
    return _from_http(ctx, source, work)


def _local(path: Path) -> Located:
    files = sorted(child.name for child in path.iterdir() if child.is_file() and not child.is_symlink())
    return Located(path.resolve(), files, str(path), path.resolve().name)


def _from_version(ctx: Context, version: Version, rc: int | None, work: Path) -> Located:
    names = ctx.names
    dev = ctx.profile.dist.dev_url
    if rc is None:
        rc = _latest_staged(ctx, dev, version)
    directory = names.staging_directory(version, rc)
    url = join(dev, directory)
    located = _from_svn(ctx, url, work) if http.kind(url) == "svn" else _from_http(ctx, url, work)
    return Located(located.directory, located.files, located.origin, located.name, version, rc)


def _latest_staged(ctx: Context, dev: str, version: Version) -> int:
    if http.kind(dev) == "svn":
        entries = ctx.svn.ls(dev)
        if entries is None:
            raise ExternalError(f"{dev} does not exist", "check the profile's dist.dev_url")
        names = [entry.name for entry in entries if entry.kind == "dir"]
    else:
        page = http.read(dev.rstrip("/") + "/", max_bytes=MAX_LISTING)
        names = [name.rstrip("/") for name in _links(page.decode("utf-8", errors="replace"), dev, dirs=True)]
    numbers = []
    for name in names:
        staged_version, staged_rc = ctx.names.parse_staging_directory(name)
        if staged_version == version and staged_rc is not None:
            numbers.append(staged_rc)
    if not numbers:
        raise UsageError(
            f"no release candidate of {version} is staged under {dev}",
            "give --rc N, or the RC's URL",
        )
    return max(numbers)


def _from_svn(ctx: Context, url: str, work: Path) -> Located:
    svn: Svn = ctx.svn
    entries = svn.ls(url)
    if entries is None:
        raise ExternalError(
            f"{url} does not exist in Subversion", "check the version, the RC number and the URL"
        )
    limit = ctx.profile.checks.max_download_mb << 20
    target = _target(work)
    files = []
    with ctx.progress.task(f"svn export {url}", sum(e.size for e in entries if e.kind == "file")) as task:
        for entry in entries:
            if entry.kind != "file":
                continue
            name = _safe_name(entry.name, url)
            if entry.size > limit:
                raise ExternalError(
                    f"{join(url, name)} is {entry.size >> 20} MiB, more than the {limit >> 20} MiB allowed",
                    "raise checks.max_download_mb in your configuration if this is expected",
                )
            svn.export(join(url, urllib.parse.quote(name)), target / name)
            task.advance(entry.size)
            files.append(name)
    return Located(target, sorted(files), url, url.rstrip("/").rsplit("/", 1)[-1])


def _from_http(ctx: Context, url: str, work: Path) -> Located:
    base = url if url.endswith("/") else url + "/"
    page = http.read(base, max_bytes=MAX_LISTING)
    names = _links(page.decode("utf-8", errors="replace"), base, dirs=False)
    if not names:
        raise ExternalError(
            f"{base} lists no files",
            "give the URL of the RC's directory (an index page listing the artifacts)",
        )
    limit = ctx.profile.checks.max_download_mb << 20
    target = _target(work)
    for name in names:
        http.download(
            urllib.parse.urljoin(base, urllib.parse.quote(name)),
            target / name,
            max_bytes=limit,
            progress=ctx.progress,
        )
    return Located(target, sorted(names), base, base.rstrip("/").rsplit("/", 1)[-1])


def _target(work: Path) -> Path:
    target = work / "rc"
    target.mkdir(parents=True, exist_ok=True)
    return target


def _safe_name(name: str, where: str) -> str:
    if not name or name in (".", "..") or any(c in name for c in "/\\\0") or name != name.strip():
        raise ExternalError(f"{where} lists a file named {name!r}, which is not a plain file name")
    return name


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for key, value in attrs:
                if key == "href" and value:
                    self.hrefs.append(value)


def _links(page: str, base: str, *, dirs: bool) -> list[str]:
    """Entries of an HTML directory listing: httpd's mod_autoindex ("Index of ...", in a table or
    a <pre>) and Subversion's mod_dav_svn (a <ul> of <li><a href>). Only names directly inside
    base count: parent links, sort links (?C=N;O=D) and links elsewhere are left out."""
    parser = _Anchors()
    parser.feed(page)
    base = base if base.endswith("/") else base + "/"
    here = urllib.parse.urlsplit(base)
    names: list[str] = []
    for href in parser.hrefs:
        resolved = urllib.parse.urlsplit(urllib.parse.urljoin(base, href))
        if (
            resolved.query
            or resolved.fragment
            or (resolved.scheme, resolved.netloc) != (here.scheme, here.netloc)
        ):
            continue
        if not resolved.path.startswith(here.path):
            continue
        rest = resolved.path[len(here.path) :]
        is_dir = rest.endswith("/")
        rest = rest.rstrip("/") if is_dir else rest
        if not rest or "/" in rest or is_dir != dirs:
            continue
        name = urllib.parse.unquote(rest)
        if name in (".", "..") or any(c in name for c in "\\\0"):
            continue
        if name not in names:
            names.append(name)
    return names
