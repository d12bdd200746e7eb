"""The content checks (archive, license, notice, headers, binaries) on real Apache releases, with
findings by level and the time each release takes.

- Release tags of Apache repositories (the candidates of benchmarks/realworld.toml), as an RC
  made the x.py way (`git archive --format=tar.gz --prefix=TOP/` of the tag), from the bare
  mirrors under /work/.mirror (or --mirrors DIR); a repository that is not there is said to be
  missing, never passed.
- Upstream source releases from Debian's source archive (`apt-get source --download-only PKG`
  gives PKG_VER.orig.tar.*, the upstream artifact byte for byte), from --debian DIR: unpacked with
  tar and packed again as tar.gz under the upstream top directory, so the checks judge the same
  tree whatever archive format the reader takes.

Each release is verified through the library with a throwaway asf-release.toml naming its
artifact, product and top directory, and with its tag for the release date.

    .venv/bin/python -m benchmarks.realworld_content
    .venv/bin/python -m benchmarks.realworld_content --debian /tmp/deb --json out.json
    .venv/bin/python -m benchmarks.realworld_content --package     # and package Kvrocks 2.10.2
"""

from __future__ import annotations

import argparse
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
from asf_release.adapters.gpg import Gpg, stop_agent
from asf_release.context import Context
from asf_release.verify import VerifyRequest, verify
from benchmarks.realworld import candidates

CHECKS = ("archive", "license", "notice", "headers", "binaries")
MIRRORS = Path("/work/.mirror")


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


# the candidates of benchmarks/realworld.toml, shared with benchmarks.realworld
TAGGED = [
    Tagged(c.repository.replace("/", "+"), c.tag, c.product, c.name, c.version, c.rule, c.absent)
    for c in candidates()
]
# Debian source package -> the product its upstream NOTICE names
DEBIAN_PRODUCTS = {
    "subversion": "Apache Subversion",
    "zookeeper": "Apache ZooKeeper",
    "apr": "Apache Portable Runtime",
    "apache-opennlp": "Apache OpenNLP",
    "avro-c": "Apache Avro",
    "libapache-mod-jk": "Apache Tomcat Connectors",
    "libapache2-mod-perl2": "Apache mod_perl",
    "qpid-proton-j": "Apache Qpid Proton-J",
    "serf": "Apache Serf",
    "thrift": "Apache Thrift",
}


@dataclass
class Outcome:
    name: str
    rule: str
    seconds: float
    counts: dict[str, int]
    failing: list[str]
    warnings: list[str]
    unnamed: int  # findings without a path
    statuses: dict[str, str]


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
    document: dict[str, Any] = report.to_json()
    failing = [
        f"{check['id']}: {finding['path']}: {finding['message']}"
        for check in document["checks"]
        for finding in check["findings"]
        if finding["level"] == "fail"
    ]
    warnings = [
        f"{finding['level']} {check['id']}: {finding['path']}: {finding['message']}"
        for check in document["checks"]
        for finding in check["findings"]
        if finding["level"] != "fail"
    ] + [f"summary {check['id']}: {check['summary']}" for check in document["checks"]]
    unnamed = sum(1 for check in document["checks"] for finding in check["findings"] if not finding["path"])
    statuses = {check["id"]: check["status"] for check in document["checks"]}
    return Outcome(name, rule, seconds, document["counts"], failing, warnings, unnamed, statuses)


def tagged(release: Tagged, base: Path, mirrors: Path) -> Outcome | str:
    mirror = mirrors / release.repository / "repo"
    if not mirror.is_dir():
        return f"{release.repository}: no mirror at {mirror} (fetch it first); not checked"
    top = f"apache-{release.short}-{release.version}-src"
    artifact = f"{top}.tar.gz"
    work = base / release.repository
    rc_dir = work / "rc"
    rc_dir.mkdir(parents=True)
    with (rc_dir / artifact).open("wb") as out:
        made = subprocess.run(
            ["git", "--git-dir", str(mirror), "archive", "--format=tar.gz", f"--prefix={top}/", release.tag]
            + (["--", ".", *(f":!{path}" for path in release.absent)] if release.absent else []),
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if made.returncode != 0:
        return f"{release.repository}: git archive {release.tag} failed ({made.stderr.strip()[:160]}); not checked"
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
    with tarfile.open(orig) as archive:
        archive.extractall(tree, filter="data")
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
    home = Path(tempfile.mkdtemp(prefix="asfr-rw-", dir="/tmp"))
    home.chmod(0o700)
    gpg = Gpg(home)
    try:
        fingerprint = gpg.generate_key("Riley Release <rm@apache.org>", "rsa4096")
        keys = work / "KEYS"
        keys.write_text(gpg.list_sigs_text(fingerprint) + gpg.export_armored(fingerprint))
        config = work / "user-config.toml"
        config.write_text(
            f'[dist]\nkeys_url = {json.dumps(str(keys))}\n[release_manager]\nname = "Riley Release"\n'
            f'apache_id = "rm"\nsigning_key = "{fingerprint}"\ngnupg_home = {json.dumps(str(home))}\n'
        )
        env = {**os.environ, "ASF_RELEASE_CONFIG": str(config), "GNUPGHOME": str(home)}
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
        plain = subprocess.run(
            ["git", "archive", "--format=tar.gz", "--prefix=apache-kvrocks-2.10.2-src/", "v2.10.2-rc1"],
            cwd=clone,
            capture_output=True,
            check=True,
        ).stdout
        lines.append(f"  byte-identical to git archive of v2.10.2-rc1: {made.read_bytes() == plain}")
        rc = work / "xpy-rc"
        rc.mkdir()
        artifact = rc / "apache-kvrocks-2.10.2-src.tar.gz"
        with artifact.open("wb") as out:
            subprocess.run(
                ["git", "archive", "--format=tar.gz", "--prefix=apache-kvrocks-2.10.2-src/", "v2.10.1"],
                cwd=clone,
                stdout=out,
                check=True,
            )
        gpg.run(
            "--armor",
            "--detach-sign",
            "--local-user",
            fingerprint,
            "--output",
            f"{artifact}.asc",
            str(artifact),
        )
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
    finally:
        stop_agent(home)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirrors", type=Path, default=MIRRORS)
    parser.add_argument("--debian", type=Path, help="a directory holding PKG_VER.orig.tar.* files")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--all", action="store_true", help="list the warnings, notes and summaries too")
    parser.add_argument("--package", action="store_true", help="also package Kvrocks 2.10.2 from v2.10.1")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="asfr-realworld-"))
    outcomes: list[Outcome] = []
    missing: list[str] = []
    packaged: list[str] = []
    try:
        if args.package:
            packaged = kvrocks_package(base, args.mirrors)
        for release in TAGGED:
            result = tagged(release, base, args.mirrors)
            (outcomes.append(result) if isinstance(result, Outcome) else missing.append(result))
        if args.debian:
            for orig in sorted(args.debian.glob("*.orig.tar.*")):
                if orig.name.endswith(".asc"):
                    continue
                result = debian(orig, base)
                (outcomes.append(result) if isinstance(result, Outcome) else missing.append(result))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{'release':48} {'rule':28} {'fail':>4} {'warn':>4} {'note':>4} {'unnamed':>7} {'seconds':>7}")
    for outcome in outcomes:
        counts = outcome.counts
        print(
            f"{outcome.name:48} {outcome.rule:28} {counts['fail']:>4} {counts['warn']:>4} {counts['note']:>4} "
            f"{outcome.unnamed:>7} {outcome.seconds:>7.2f}"
        )
        for line in outcome.failing:
            print(f"    FAIL {line}")
        for line in outcome.warnings if args.all else []:
            print(f"    {line}")
    for line in missing:
        print(f"MISSING {line}")
    for line in packaged:
        print(line)
    if args.json:
        args.json.write_text(json.dumps([outcome.__dict__ for outcome in outcomes], indent=2))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
