"""Real Apache source releases from Debian's source archive, cached, laid out as their RC
directories were on dist.apache.org.

`apt-get source --download-only PKG=VERSION` gives the upstream artifact byte for byte
(`PKG_UPSTREAM.orig.tar.*`), the release manager's signature of it (`...orig.tar.*.asc`), and
Debian's copy of the signers' keys (`debian/upstream/signing-key.asc` in `PKG_VERSION.debian.tar.xz`),
which stands in for the project's KEYS. Debian renames the artifact; the top directory inside it
gives back the upstream name (`subversion_1.14.2.orig.tar.gz` holds `subversion-1.14.2/`, so it was
`subversion-1.14.2.tar.gz`), and the RC directory gets the artifact and its .asc under that name,
hard-linked, with a .sha512 written here (Debian does not carry the upstream checksum files).

A release of another Debian suite (`suite = "trixie"`) is looked up with an apt state of its own
under the cache (its Sources index fetched once by `apt-get update`), leaving the machine's apt
alone. Only the files a release needs are fetched (`apt-get source --print-uris`, then
`apt-helper download-file` with the index's SHA256): the upstream artifact and its .asc, and
Debian's packaging for the keys, unless `keys_from` names another package whose key file holds
the signers (Subversion's holds the key of Serf's release manager).

Nothing here skips: when Debian's archive cannot be reached, or apt has no deb-src entry, the
error says so and the test fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "ASF_RELEASE_REALWORLD_CACHE"
ORIG = re.compile(r"^(?P<package>[^_]+)_(?P<upstream>[^_]+)\.orig\.(?P<suffix>tar\.(?:gz|bz2|xz))$")
KEY_FILE = "debian/upstream/signing-key.asc"


class Unreachable(Exception):
    """Debian's source archive could not give the release: said plainly, never skipped."""


@dataclass(frozen=True)
class Release:
    package: str
    debian: str  # Debian's version, pinned: the upstream artifact is the same whatever the revision
    verdict: str  # the verdict that is right for this real release
    failing: tuple[str, ...]  # the checks that must fail (a real defect), and only these
    why: str  # why that verdict is the right one
    pending: str = ""  # a content rule that fails it today by mistake; fixed in another branch
    suite: str = ""  # a Debian suite other than the machine's (bookworm): "trixie"
    keys_from: str = ""  # "PKG=VERSION" (of the machine's suite) whose key file holds the signers


@dataclass(frozen=True)
class Prepared:
    rc: Path  # the RC directory: artifact, .asc, .sha512, under the upstream name
    keys: Path  # the signers' keys, as Debian keeps them
    artifact: str  # the upstream artifact's name


def cache_dir() -> Path:
    named = os.environ.get(CACHE_ENV)
    base = Path(named) if named else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return (base if named else base / "asf-release-realworld").expanduser()


def prepare(release: Release, cache: Path) -> Prepared:
    downloads = cache / "debian" / f"{release.package}_{release.debian}"
    if not _complete(downloads, packaging=not release.keys_from):
        _download(release, downloads, cache)
    orig = next(p for p in downloads.iterdir() if ORIG.match(p.name))
    suffix = ORIG.match(orig.name)["suffix"]  # type: ignore[index]
    upstream = f"{_top_directory(orig)}.{suffix}"
    rc = cache / "rc" / upstream
    rc.mkdir(parents=True, exist_ok=True)
    for source, name in ((orig, upstream), (orig.with_name(orig.name + ".asc"), f"{upstream}.asc")):
        target = rc / name
        if not target.exists():
            _link(source, target)
    checksum = rc / f"{upstream}.sha512"
    if not checksum.exists():
        checksum.write_text(f"{_sha512(orig)}  {upstream}\n")
    if release.keys_from:
        package, _, version = release.keys_from.partition("=")
        keys = _keys(Release(package, version, "", (), ""), cache)
    else:
        keys = _keys(release, cache, downloads)
    return Prepared(rc, keys, upstream)


def _keys(release: Release, cache: Path, downloads: Path | None = None) -> Path:
    """Debian's key file of the release's signers, from its packaging (fetched when needed)."""
    keys = cache / "keys" / f"{release.package}_{release.debian}.asc"
    if keys.exists():
        return keys
    if downloads is None:
        downloads = cache / "debian" / f"{release.package}_{release.debian}"
        if not any(downloads.glob("*.debian.tar.xz")):
            _download(release, downloads, cache, wanted=(".debian.tar.xz",))
    keys.parent.mkdir(parents=True, exist_ok=True)
    debian = next(downloads.glob("*.debian.tar.xz"))
    with tarfile.open(debian) as archive:
        member = archive.extractfile(KEY_FILE)
        if member is None:
            raise Unreachable(f"{debian.name} has no {KEY_FILE}")
        keys.write_bytes(member.read())
    return keys


def _complete(folder: Path, *, packaging: bool = True) -> bool:
    if not folder.is_dir():
        return False
    names = [p.name for p in folder.iterdir()]
    origs = [n for n in names if ORIG.match(n)]
    packaged = not packaging or any(n.endswith(".debian.tar.xz") for n in names)
    return bool(origs) and f"{origs[0]}.asc" in names and packaged


def _download(release: Release, folder: Path, cache: Path, wanted: tuple[str, ...] = ()) -> None:
    """The release's upstream artifact, its .asc and (unless its keys come from another package)
    Debian's packaging; or only the files whose names end with one of `wanted`."""
    if shutil.which("apt-get") is None:
        raise Unreachable("apt-get is not installed: the real-world suite needs a Debian machine")
    options = _apt_state(release.suite, cache)
    argv = [
        "apt-get",
        *options,
        "source",
        "--download-only",
        "--print-uris",
        f"{release.package}={release.debian}",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        hint = (
            "apt has no deb-src entry: run scripts/debian-sources.sh (as root)"
            if "You must put some 'deb-src' URIs" in done.stderr
            else f"Debian no longer offers {release.package} {release.debian}? see apt-cache showsrc {release.package}"
            if "Can not find version" in done.stderr or "Unable to find a source package" in done.stderr
            else "Debian's source archive could not be reached"
        )
        raise Unreachable(f"{' '.join(argv)} failed: {hint}\n{done.stderr.strip()[-2000:]}")
    files = _print_uris(done.stdout)
    only = bool(wanted)
    if not wanted:
        wanted = (".orig.tar.gz", ".orig.tar.bz2", ".orig.tar.xz", ".asc")
        wanted += () if release.keys_from else (".debian.tar.xz",)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, (uri, digest) in files.items():
        if name.endswith(wanted):
            _fetch(uri, partial / name, digest)
    if folder.is_dir():  # files fetched earlier for another purpose (the packaging for keys)
        for kept in folder.iterdir():
            if not (partial / kept.name).exists():
                kept.rename(partial / kept.name)
        shutil.rmtree(folder)
    partial.rename(folder)
    if only:
        return
    if not _complete(folder, packaging=not release.keys_from):
        raise Unreachable(f"{release.package} {release.debian} in Debian carries no upstream signature")


def _apt_state(suite: str, cache: Path) -> list[str]:
    """apt options for a suite other than the machine's: a state of its own under the cache,
    its Sources index fetched once."""
    if not suite:
        return ["-o", "APT::Sandbox::User=root"]
    if not re.fullmatch(r"[a-z]{2,20}", suite):
        raise Unreachable(f"'{suite}' is not a Debian suite name")
    root = cache / "apt" / suite
    lists = root / "lists"
    (lists / "partial").mkdir(parents=True, exist_ok=True)
    (root / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    sources = root / "sources.list"
    sources.write_text(
        "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        f"http://deb.debian.org/debian {suite} main\n"
    )
    options = [
        "-o", "APT::Sandbox::User=root", "-o", f"Dir::Etc::sourcelist={sources}",
        "-o", "Dir::Etc::sourceparts=/nonexistent", "-o", f"Dir::State::Lists={lists}",
        "-o", f"Dir::Cache={root / 'cache'}",
    ]  # fmt: skip
    if not any(lists.glob("*_Sources*")):
        done = subprocess.run(
            ["apt-get", *options, "update"], capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0 or not any(lists.glob("*_Sources*")):
            raise Unreachable(f"apt-get update for {suite} failed: {done.stderr.strip()[-2000:]}")
    return options


def _print_uris(output: str) -> dict[str, tuple[str, str]]:
    """name -> (URI, hash) from `apt-get source --print-uris`: 'URI' NAME SIZE SHA256:HEX."""
    files = {}
    for line in output.splitlines():
        found = re.fullmatch(r"'(\S+)' (\S+) \d+ (\S+)", line.strip())
        if found and "/" not in found.group(2):
            files[found.group(2)] = (found.group(1), found.group(3))
    return files


def _fetch(uri: str, target: Path, digest: str) -> None:
    argv = [
        "/usr/lib/apt/apt-helper",
        "-o",
        "APT::Sandbox::User=root",
        "download-file",
        uri,
        str(target),
        digest,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0 or not target.is_file():
        raise Unreachable(f"{uri} could not be fetched: {(done.stdout + done.stderr).strip()[-600:]}")


def _top_directory(archive: Path) -> str:
    with tarfile.open(archive, "r:*") as opened:
        first = opened.next()
        if first is None:
            raise Unreachable(f"{archive.name} is empty")
        return first.name.lstrip("./").split("/", 1)[0]


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _sha512(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
