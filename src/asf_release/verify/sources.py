"""Where an RC comes from: a local directory, the https URL of its directory (Apache's dist
server or Subversion over HTTP, read from their HTML listings), a Subversion URL, or a bare
version that the profile turns into its dist/dev directory.

Remote files are downloaded, bounded in size and time, into the work directory. Their names come
from outside: one rule (`unsafe`) judges every name from every source, after every decoding
(HTML entities, percent-encoding), before anything is written. A name it refuses is never
written, and the artifacts check fails on it: a listing holding such names is broken or hostile.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field
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
    refused: tuple[str, ...] = ()  # names the source listed that are not plain file names, and why


MAX_NAME_BYTES = 255  # what Linux and most file systems allow in one name


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


def unsafe(name: str) -> str | None:
    """Why `name` (already decoded) is not a plain file name to create in a directory, or None.
    The one rule for every source: HTTP listings, svn listings, a local directory."""
    if not name:
        return "it is empty"
    if name in (".", ".."):
        return "it names a directory"
    if "/" in name or "\\" in name:
        return "it holds a path separator"
    if any(unicodedata.category(c) in _INVISIBLE for c in name):
        return "it holds control or invisible characters"
    if name != name.strip():
        return "it begins or ends with a space"
    if name.startswith("-"):
        return "it begins with '-', as an option does"
    if len(name.encode("utf-8", errors="surrogatepass")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    return None


# control, format (bidi overrides, zero width), surrogates, private use, unassigned, line breaks
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _refusal(name: str, reason: str) -> str:
    return f"{name!r}: {reason}"


def _inside(target: Path, name: str) -> Path:
    """target/name, once more proved to stay in target (unsafe() has judged the name already)."""
    path = target / name
    if path.parent != target or unsafe(name):
        raise ExternalError(f"refusing to write {name!r}: it is not a plain file name")
    return path


def _local(path: Path) -> Located:
    files, refused = [], []
    for child in sorted(path.iterdir()):
        if not child.is_file() or child.is_symlink():
            continue
        reason = unsafe(child.name)
        if reason:
            refused.append(_refusal(child.name, reason))
        else:
            files.append(child.name)
    return Located(path.resolve(), files, str(path), path.resolve().name, refused=tuple(refused))


def _from_version(ctx: Context, version: Version, rc: int | None, work: Path) -> Located:
    names = ctx.names
    dev = ctx.profile.dist.dev_url
    if rc is None:
        rc = _latest_staged(ctx, dev, version)
    directory = names.staging_directory(version, rc)
    url = join(dev, directory)
    located = _from_svn(ctx, url, work) if http.kind(url) == "svn" else _from_http(ctx, url, work)
    return dataclasses.replace(located, version=version, rc=rc)


def _latest_staged(ctx: Context, dev: str, version: Version) -> int:
    if http.kind(dev) == "svn":
        entries = ctx.svn.ls(dev)
        if entries is None:
            raise ExternalError(f"{dev} does not exist", "check the profile's dist.dev_url")
        names = [entry.name for entry in entries if entry.kind == "dir"]
    else:
        page = http.fetch(dev.rstrip("/") + "/", max_bytes=MAX_LISTING)
        names = parse_listing(page.data.decode("utf-8", errors="replace"), page.url).dirs
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
    files, refused = [], []
    with ctx.progress.task(f"svn export {url}", sum(e.size for e in entries if e.kind == "file")) as task:
        for entry in entries:
            if entry.kind != "file":
                continue
            reason = unsafe(entry.name)
            if reason:
                refused.append(_refusal(entry.name, reason))
                continue
            if entry.size > limit:
                raise ExternalError(
                    f"{join(url, entry.name)} is {entry.size >> 20} MiB, more than the {limit >> 20} MiB allowed",
                    "raise checks.max_download_mb in your configuration if this is expected",
                )
            svn.export(join(url, urllib.parse.quote(entry.name)), _inside(target, entry.name))
            task.advance(entry.size)
            files.append(entry.name)
    name = url.rstrip("/").rsplit("/", 1)[-1]
    return Located(target, sorted(files), url, name, refused=tuple(refused))


def _from_http(ctx: Context, url: str, work: Path) -> Located:
    page = http.fetch(url if url.endswith("/") else url + "/", max_bytes=MAX_LISTING)
    base = page.url if page.url.endswith("/") else page.url + "/"  # links are relative to where it landed
    listing = parse_listing(page.data.decode("utf-8", errors="replace"), base)
    if not listing.files and not listing.refused:
        raise ExternalError(
            f"{base} lists no files",
            "give the URL of the RC's directory (an index page listing the artifacts)",
        )
    checks = ctx.profile.checks
    target = _target(work)
    for name in listing.files:
        http.download(
            urllib.parse.urljoin(base, urllib.parse.quote(name)),
            _inside(target, name),
            max_bytes=checks.max_download_mb << 20,
            progress=ctx.progress,
            seconds=checks.max_download_seconds,
            setting="checks.max_download_seconds",
        )
    name = base.rstrip("/").rsplit("/", 1)[-1]
    return Located(target, sorted(listing.files), base, name, refused=tuple(listing.refused))


def _target(work: Path) -> Path:
    target = work / "rc"
    target.mkdir(parents=True, exist_ok=True)
    return target


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for key, value in attrs:
                if key == "href" and value:
                    self.hrefs.append(value)  # HTMLParser has decoded its entities already


@dataclass
class Listing:
    files: list[str] = field(default_factory=list)
    dirs: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # entries that are not plain names, and why


def parse_listing(page: str, base: str) -> Listing:
    """Entries of an HTML directory listing: httpd's mod_autoindex ("Index of ...", in a table or
    a <pre>) and Subversion's mod_dav_svn (a <ul> of <li><a href>). Only names directly inside
    base count: parent links, sort links (?C=N;O=D) and links elsewhere are left out. An entry
    directly inside that decodes to something other than a plain name is refused (and said)."""
    parser = _Anchors()
    try:
        parser.feed(page)
        parser.close()
    except (AssertionError, ValueError):  # a malformed page: keep what was read before
        pass
    base = base if base.endswith("/") else base + "/"
    here = urllib.parse.urlsplit(base)
    listing = Listing()
    for href in parser.hrefs:
        try:
            resolved = urllib.parse.urlsplit(urllib.parse.urljoin(base, href.strip()))
        except ValueError:  # such as an invalid IPv6 host
            listing.refused.append(_refusal(href, "it is not a valid link"))
            continue
        if (
            resolved.query
            or resolved.fragment
            or (resolved.scheme, resolved.netloc) != (here.scheme, here.netloc)
            or not resolved.path.startswith(here.path)
        ):
            continue
        rest = resolved.path[len(here.path) :]
        is_dir = rest.endswith("/")
        rest = rest[:-1] if is_dir else rest
        if not rest or "/" in rest:
            continue  # the directory itself, or something deeper: not an entry of this one
        name = urllib.parse.unquote(rest, errors="surrogateescape")
        reason = unsafe(name)
        found = listing.dirs if is_dir else listing.files
        if reason:
            refusal = _refusal(name, reason)
            if refusal not in listing.refused:
                listing.refused.append(refusal)
        elif name not in found:
            found.append(name)
    return listing


def _links(page: str, base: str, *, dirs: bool) -> list[str]:
    """The plain names a listing gives: its subdirectories, or its files."""
    listing = parse_listing(page, base)
    return listing.dirs if dirs else listing.files
