"""Real Apache releases as release candidates, with findings by level and the time each takes.

Two modes, on the same release tags (and the same mirrors):

- as a voter (the default): each tag that names its project's own source release is archived
  under that name with `git archive`, signed with a throwaway key, checksummed, and verified as a
  voter would (`verify --no-build`, outside any checkout, the repository given as a bare mirror
  with --git, a built-in profile only where the project has one). Prints each release's verdict,
  findings by level and time.
- --content: the content checks (archive, license, notice, headers, binaries) through the
  library, on every tag as an RC made the x.py way (`git archive --format=tar.gz --prefix=TOP/`
  of the tag), each with a throwaway asf-release.toml naming its artifact, product and top
  directory, and with its tag for the release date. With --debian DIR, upstream source releases
  from Debian's source archive too (`apt-get source --download-only PKG` gives PKG_VER.orig.tar.*,
  the upstream artifact byte for byte): unpacked with tar and packed again as tar.gz under the
  upstream top directory, so the checks judge the same tree whatever archive format the reader
  takes.

The tags come from the bare mirrors under /work/.mirror (or --mirrors DIR: DIR/OWNER+NAME/repo);
a repository that is not there is said to be missing, never passed. The right verdict of each is
pass: they are real releases whose CI enforces their license headers; a fail comes from a content
rule that judges them wrongly (see tests/realworld/releases.toml for the Debian-made suite).

    .venv/bin/python -m benchmarks.realworld                 # as a voter
    .venv/bin/python -m benchmarks.realworld --content --debian /tmp/deb --json out.json
    .venv/bin/python -m benchmarks.realworld --content --package   # and package Kvrocks 2.10.2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asf_release import profile as profile_module
from asf_release.adapters.gpg import Gpg, throwaway_home
from asf_release.context import Context
from asf_release.verify import VerifyRequest, verify

CHECKS = ("archive", "license", "notice", "headers", "binaries")
MIRRORS = Path(os.environ.get("ASF_RELEASE_MIRRORS", "/work/.mirror"))


@dataclass(frozen=True)
class Tagged:
    repository: str  # owner+name, as the mirror directory names it
    tag: str
    product: str
    short: str  # the name in apache-SHORT-VERSION-src
    version: str
    rule: str  # the header rule the project keeps, for the reader of the figures
    # paths left out of the archive: blobs the mirror does not hold (its largest files)
    absent: tuple[str, ...] = ()
    # as a voter: the source release as its project names it (.zip, or a tarball), and the
    # built-in profile a voter would name (None: a voter with nothing set up); without a name,
    # the release is judged by --content only
    published: str = ""
    profile: str | None = None


TAGGED = [
    Tagged(
        "apache+kvrocks",
        "v2.10.1",
        "Apache Kvrocks",
        "kvrocks",
        "2.10.1",
        "license-eye",
        published="apache-kvrocks-2.10.1-src.tar.gz",
        profile="kvrocks",
    ),
    Tagged(
        "apache+skywalking-eyes",
        "v0.8.0",
        "Apache SkyWalking Eyes",
        "skywalking-eyes",
        "0.8.0",
        "license-eye",
        published="skywalking-license-eye-0.8.0-src.tgz",
    ),
    Tagged(
        "apache+skywalking-go",
        "v0.6.0",
        "Apache SkyWalking Go",
        "skywalking-go",
        "0.6.0",
        "license-eye",
        published="apache-skywalking-go-0.6.0-src.tgz",
    ),
    Tagged(
        "apache+dubbo-go",
        "v3.3.2",
        "Apache Dubbo-go",
        "dubbo-go",
        "3.3.2",
        "license-eye",
        published="apache-dubbo-go-3.3.2-src.zip",
    ),
    Tagged(
        "apache+curator", "apache-curator-5.9.0", "Apache Curator", "curator", "5.9.0", "hawkeye, RAT (pom)"
    ),
    Tagged(
        "apache+opendal-reqsign", "v0.20.5", "Apache OpenDAL Reqsign", "opendal-reqsign", "0.20.5", "hawkeye"
    ),
    Tagged(
        "apache+cloudstack-go",
        "v2.19.1",
        "Apache CloudStack Go",
        "cloudstack-go",
        "2.19.1",
        "RAT (.rat-excludes)",
        absent=("generate/listApis.json",),
    ),
]
# Debian source package -> the product its upstream NOTICE names
DEBIAN_PRODUCTS = {
    "subversion": "Apache Subversion",
    "zookeeper": "Apache ZooKeeper",
    "apr": "Apache Portable Runtime",
}


@dataclass
class Outcome:
    name: str
    rule: str
    seconds: float
    verdict: str
    counts: dict[str, int]
    failing: list[str]
    warnings: list[str]
    unnamed: int  # findings without a path
    statuses: dict[str, str]


def judged(name: str, rule: str, document: dict[str, Any], seconds: float) -> Outcome:
    """A release's figures from its verify report (as --json prints it)."""
    checks: list[dict[str, Any]] = document.get("checks", [])
    findings = [(check, finding) for check in checks for finding in check["findings"]]
    return Outcome(
        name,
        rule,
        seconds,
        str(document["verdict"]),
        document.get("counts", {"fail": 0, "warn": 0, "note": 0}),
        [f"{c['id']}: {f['path']}: {f['message']}" for c, f in findings if f["level"] == "fail"],
        [f"{f['level']} {c['id']}: {f['path']}: {f['message']}" for c, f in findings if f["level"] != "fail"]
        + [f"summary {check['id']}: {check['summary']}" for check in checks],
        sum(1 for _, finding in findings if not finding["path"]),
        {check["id"]: check["status"] for check in checks},
    )


def archive(repository: Path, tag: str, top: str, out: Path, absent: tuple[str, ...] = ()) -> str:
    """`git archive` of the tag under TOP/ into out, as a zip when out's name says so, else as a
    tar.gz; paths in `absent` left out. Returns what went wrong, or nothing."""
    fmt = "zip" if out.name.endswith(".zip") else "tar.gz"
    paths = ["--", ".", *(f":!{path}" for path in absent)] if absent else []
    with out.open("wb") as stream:
        made = subprocess.run(
            ["git", "-C", str(repository), "archive", f"--format={fmt}", f"--prefix={top}/", tag, *paths],
            stdout=stream,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    return f"git archive {tag} failed ({made.stderr.strip()[:160]})" if made.returncode else ""


def mirror_of(release: Tagged, mirrors: Path) -> Path | str:
    mirror = mirrors / release.repository / "repo"
    return (
        mirror
        if mirror.is_dir()
        else f"{release.repository}: no mirror at {mirror} (fetch it first); not checked"
    )


# --- as a voter ---------------------------------------------------------------------------------
def as_voter(
    release: Tagged, mirrors: Path, gpg: Gpg, fingerprint: str, keys: Path, base: Path
) -> Outcome | str:
    """The RC directory a release manager would stage (artifact, .asc, .sha512), verified by the
    CLI in a directory of its own, outside any checkout."""
    mirror = mirror_of(release, mirrors)
    if isinstance(mirror, str):
        return mirror
    rc = base / release.repository
    rc.mkdir(parents=True)
    artifact = rc / release.published
    top = artifact.name
    for suffix in (".tar.gz", ".tgz", ".zip"):
        top = top.removesuffix(suffix)
    failed = archive(mirror, release.tag, top, artifact)
    if failed:
        return f"{release.repository}: {failed}; not checked"
    gpg.sign_detached(artifact, rc / f"{artifact.name}.asc", fingerprint)
    digest = hashlib.sha512(artifact.read_bytes()).hexdigest()
    (rc / f"{artifact.name}.sha512").write_text(f"{digest}  {artifact.name}\n")
    argv = [sys.executable, "-m", "asf_release", "verify", str(rc), "--keys", str(keys), "--git", str(mirror)]
    argv += ["--tag", release.tag, "--no-build", "--json"]
    if release.profile:
        argv += ["--profile", release.profile]
    cwd = base / "voter"
    cwd.mkdir(exist_ok=True)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        document = {"verdict": f"error (exit {done.returncode}): {done.stderr.strip()[-300:]}", "checks": []}
    return judged(release.published, release.rule, document, seconds)


def voters(mirrors: Path, base: Path) -> list[Outcome | str]:
    with throwaway_home() as gpg:
        fingerprint = gpg.generate_key("Throwaway RM <rm@apache.org>", "ed25519")
        keys = base / "KEYS"
        keys.write_text(gpg.export_armored(fingerprint))
        return [as_voter(r, mirrors, gpg, fingerprint, keys, base) for r in TAGGED if r.published]


def print_voters(outcomes: list[Outcome], everything: bool) -> None:
    print(f"{'release':40} {'verdict':8} {'fail':>5} {'warn':>5} {'note':>5} {'time':>7}  failing checks")
    for outcome in outcomes:
        counts = outcome.counts
        failing = [check for check, status in outcome.statuses.items() if status == "fail"]
        print(
            f"{outcome.name:40} {outcome.verdict:8} {counts['fail']:5} {counts['warn']:5} {counts['note']:5} "
            f"{outcome.seconds:6.2f}s  {', '.join(failing) or '-'}"
        )
        _details(outcome, everything)


# --- the content checks -------------------------------------------------------------------------
def _profile_dir(base: Path, product: str, short: str, artifact: str, top: str, version: str) -> Path:
    """A project directory whose asf-release.toml names the release's artifact and top directory."""
    artifact, top = artifact.replace(version, "{version}"), top.replace(version, "{version}")
    folder = base / "profile"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "asf-release.toml").write_text(
        "[project]\n"
        f"product = {json.dumps(product)}\n"
        f"short_name = {json.dumps(short)}\n"
        "[source]\n"
        f"artifact = {json.dumps(artifact)}\n"
        f"top_directory = {json.dumps(top)}\n"
    )
    return folder


def _run(
    name: str, rule: str, rc_dir: Path, version: str, profile_dir: Path, git: str | None, tag: str | None
) -> Outcome:
    env = {"HOME": str(profile_dir), "PATH": "/usr/bin:/bin"}
    ctx = Context(profile=profile_module.load(profile_dir, env=env), root=None, env=env)
    request = VerifyRequest(
        source=str(rc_dir), version=version, rc=1, git=git, tag=tag, build=False, only=CHECKS
    )
    started = time.perf_counter()
    report = verify(ctx, request)
    seconds = time.perf_counter() - started
    return judged(name, rule, report.to_json(), seconds)


def tagged(release: Tagged, base: Path, mirrors: Path) -> Outcome | str:
    mirror = mirror_of(release, mirrors)
    if isinstance(mirror, str):
        return mirror
    top = f"apache-{release.short}-{release.version}-src"
    artifact = f"{top}.tar.gz"
    work = base / release.repository
    rc_dir = work / "rc"
    rc_dir.mkdir(parents=True)
    failed = archive(mirror, release.tag, top, rc_dir / artifact, release.absent)
    if failed:
        return f"{release.repository}: {failed}; not checked"
    profile_dir = _profile_dir(work, release.product, release.short, artifact, top, release.version)
    name = f"{release.repository.replace('+', '/')} {release.tag}"
    return _run(name, release.rule, rc_dir, release.version, profile_dir, str(mirror), release.tag)


def debian(orig: Path, base: Path) -> Outcome | str:
    found = re.match(r"(?P<package>[^_]+)_(?P<version>[^_]+)\.orig\.tar\.(?:gz|bz2|xz)$", orig.name)
    if not found:
        return f"{orig.name}: not a Debian upstream tarball name"
    package, version = found.group("package"), found.group("version")
    work = base / f"debian-{package}"
    tree = work / "tree"
    tree.mkdir(parents=True)
    with tarfile.open(orig) as opened:
        opened.extractall(tree, filter="data")
    tops = [p.name for p in tree.iterdir()]
    if len(tops) != 1:
        return f"{orig.name}: {len(tops)} top directories, expected one"
    top = tops[0]
    artifact = f"{top}.tar.gz"
    rc_dir = work / "rc"
    rc_dir.mkdir()
    subprocess.run(["tar", "-czf", str(rc_dir / artifact), "-C", str(tree), top], check=True)
    product = DEBIAN_PRODUCTS.get(package, f"Apache {package}")
    profile_dir = _profile_dir(work, product, package, artifact, top, version)
    return _run(f"debian {orig.name}", "(upstream's own)", rc_dir, version, profile_dir, None, None)


def contents(mirrors: Path, debian_dir: Path | None, base: Path) -> list[Outcome | str]:
    results = [tagged(release, base, mirrors) for release in TAGGED]
    if debian_dir:
        for orig in sorted(debian_dir.glob("*.orig.tar.*")):
            if not orig.name.endswith(".asc"):
                results.append(debian(orig, base))
    return results


def print_contents(outcomes: list[Outcome], everything: bool) -> None:
    print(f"{'release':48} {'rule':22} {'fail':>4} {'warn':>4} {'note':>4} {'unnamed':>7} {'seconds':>7}")
    for outcome in outcomes:
        counts = outcome.counts
        print(
            f"{outcome.name:48} {outcome.rule:22} {counts['fail']:>4} {counts['warn']:>4} {counts['note']:>4} "
            f"{outcome.unnamed:>7} {outcome.seconds:>7.2f}"
        )
        for line in outcome.failing:
            print(f"    FAIL {line}")
        _details(outcome, everything)


def _details(outcome: Outcome, everything: bool) -> None:
    for line in outcome.warnings if everything else []:
        print(f"    {line}")


# --- packaging Kvrocks --------------------------------------------------------------------------
def kvrocks_package(base: Path, mirrors: Path) -> list[str]:
    """The Kvrocks 2.10 branch at v2.10.1, cloned from a local bare copy, with a GnuPG home and a
    personal config as the sandbox makes them: `package 2.10.2 --rc 1` must succeed and archive
    exactly what `git archive` makes of the new tag; then `verify` of an x.py-made RC of the tag
    v2.10.1 (git archive, gpg, shasum) must pass with no headers finding above a note."""
    mirror = mirrors / "apache+kvrocks" / "repo"
    if not mirror.is_dir():
        return [f"MISSING apache+kvrocks: no mirror at {mirror}; the package run was not made"]
    work = base / "kvrocks-package"
    work.mkdir()
    origin, clone = work / "origin.git", work / "kvrocks"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(mirror), str(origin)], check=True)
    subprocess.run(["git", "clone", "--quiet", "--branch", "2.10", str(origin), str(clone)], check=True)
    for key, value in (("user.name", "Riley Release"), ("user.email", "rm@apache.org")):
        subprocess.run(["git", "config", key, value], cwd=clone, check=True)
    with throwaway_home() as gpg:
        assert gpg.home is not None
        fingerprint = gpg.generate_key("Riley Release <rm@apache.org>", "rsa4096")
        keys = work / "KEYS"
        keys.write_text(gpg.list_sigs_text(fingerprint) + gpg.export_armored(fingerprint))
        config = work / "user-config.toml"
        config.write_text(
            f'[dist]\nkeys_url = {json.dumps(str(keys))}\n[release_manager]\nname = "Riley Release"\n'
            f'apache_id = "rm"\nsigning_key = "{fingerprint}"\ngnupg_home = {json.dumps(str(gpg.home))}\n'
        )
        env = {**os.environ, "ASF_RELEASE_CONFIG": str(config), "GNUPGHOME": str(gpg.home)}
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "asf_release", "-C", str(clone), "package", "2.10.2", "--rc", "1"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        lines = [f"kvrocks package 2.10.2 --rc 1: exit {done.returncode} in {seconds:.2f} s"]
        if done.returncode != 0:
            return [*lines, (done.stdout + done.stderr)[-2000:]]
        made = clone / ".git/asf-release/artifacts/2.10.2-rc1/apache-kvrocks-2.10.2-src.tar.gz"
        plain = work / "plain.tar.gz"
        archive(clone, "v2.10.2-rc1", "apache-kvrocks-2.10.2-src", plain)
        lines.append(
            f"  byte-identical to git archive of v2.10.2-rc1: {made.read_bytes() == plain.read_bytes()}"
        )
        rc = work / "xpy-rc"
        rc.mkdir()
        artifact = rc / "apache-kvrocks-2.10.2-src.tar.gz"
        archive(clone, "v2.10.1", "apache-kvrocks-2.10.2-src", artifact)
        gpg.sign_detached(artifact, rc / f"{artifact.name}.asc", fingerprint)
        with open(f"{artifact}.sha512", "w") as out:
            subprocess.run(["shasum", "-a", "512", artifact.name], cwd=rc, stdout=out, check=True)
        started = time.perf_counter()
        verified = subprocess.run(
            [
                sys.executable,
                "-m",
                "asf_release",
                "verify",
                str(rc),
                "--keys",
                str(keys),
                "--no-build",
                "--json",
            ],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        document = json.loads(verified.stdout)
        (headers,) = [c for c in document["checks"] if c["id"] == "headers"]
        lines.append(
            f"  verify of the x.py-made RC: verdict {document['verdict']} in {seconds:.2f} s, counts "
            f"{document['counts']}, headers {headers['counts']}"
        )
        return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--content", action="store_true", help="the content checks through the library")
    parser.add_argument("--mirrors", type=Path, default=MIRRORS)
    parser.add_argument("--debian", type=Path, help="with --content: a directory holding PKG_VER.orig.tar.*")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--all", action="store_true", help="list the warnings, notes and summaries too")
    parser.add_argument("--package", action="store_true", help="also package Kvrocks 2.10.2 from v2.10.1")
    args = parser.parse_args()
    if args.debian and not args.content:
        parser.error("--debian goes with --content")
    base = Path(tempfile.mkdtemp(prefix="asfr-realworld-"))
    packaged: list[str] = []
    try:
        if args.package:
            packaged = kvrocks_package(base, args.mirrors)
        results = contents(args.mirrors, args.debian, base) if args.content else voters(args.mirrors, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    outcomes = [result for result in results if isinstance(result, Outcome)]
    missing = [result for result in results if isinstance(result, str)]
    (print_contents if args.content else print_voters)(outcomes, args.all)
    for line in missing:
        print(f"MISSING {line}")
    for line in packaged:
        print(line)
    if args.json:
        args.json.write_text(json.dumps([outcome.__dict__ for outcome in outcomes], indent=2))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
