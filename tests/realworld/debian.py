"""Real Apache source releases from Debian's source archive, cached, laid out as their RC
directories were on dist.apache.org.

`apt-get source --download-only PKG=VERSION` gives the upstream artifact byte for byte
(`PKG_UPSTREAM.orig.tar.*`), the release manager's signature of it (`...orig.tar.*.asc`), and
Debian's copy of the signers' keys (`debian/upstream/signing-key.asc` in `PKG_VERSION.debian.tar.xz`),
which stands in for the project's KEYS. Debian renames the artifact; the top directory inside it
gives back the upstream name (`subversion_1.14.2.orig.tar.gz` holds `subversion-1.14.2/`, so it was
`subversion-1.14.2.tar.gz`), and the RC directory gets the artifact and its .asc under that name,
hard-linked, with a .sha512 written here (Debian does not carry the upstream checksum files).

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
    if not _complete(downloads):
        _download(release, downloads)
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
    keys = cache / "keys" / f"{release.package}_{release.debian}.asc"
    if not keys.exists():
        keys.parent.mkdir(parents=True, exist_ok=True)
        debian = next(downloads.glob("*.debian.tar.xz"))
        with tarfile.open(debian) as archive:
            member = archive.extractfile(KEY_FILE)
            if member is None:
                raise Unreachable(f"{debian.name} has no {KEY_FILE}")
            keys.write_bytes(member.read())
    return Prepared(rc, keys, upstream)


def _complete(folder: Path) -> bool:
    if not folder.is_dir():
        return False
    names = [p.name for p in folder.iterdir()]
    origs = [n for n in names if ORIG.match(n)]
    return bool(origs) and f"{origs[0]}.asc" in names and any(n.endswith(".debian.tar.xz") for n in names)


def _download(release: Release, folder: Path) -> None:
    if shutil.which("apt-get") is None:
        raise Unreachable("apt-get is not installed: the real-world suite needs a Debian machine")
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    argv = [
        "apt-get", "-o", "APT::Sandbox::User=root", "source", "--download-only",
        f"{release.package}={release.debian}",
    ]  # fmt: skip
    done = subprocess.run(argv, cwd=partial, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        hint = (
            "apt has no deb-src entry: run scripts/debian-sources.sh (as root)"
            if "You must put some 'deb-src' URIs" in done.stderr
            else f"Debian no longer offers {release.package} {release.debian}? see apt-cache showsrc {release.package}"
            if "Can not find version" in done.stderr or "Unable to find a source package" in done.stderr
            else "Debian's source archive could not be reached"
        )
        raise Unreachable(f"{' '.join(argv)} failed: {hint}\n{done.stderr.strip()[-2000:]}")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    if not _complete(folder):
        raise Unreachable(f"{release.package} {release.debian} in Debian carries no upstream signature")


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
