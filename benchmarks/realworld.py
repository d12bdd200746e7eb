"""Real Apache releases as release candidates: the verdict of each, whether it is the right one,
findings by level and the time each takes.

The candidates, their right verdicts and the evidence for each are in benchmarks/realworld.toml.
Two modes, on the same candidates (and the same mirrors):

- as a voter (the default): each tag is archived with `git archive` under the name its project
  gives the source release, signed with a throwaway key, checksummed, and verified as a voter
  would (`verify --no-build`, outside any checkout, the repository given as a bare mirror with
  --git): once with no profile (the generic one) and once with a small profile naming the
  project's artifact (or the built-in profile the entry names).
- --content: the content checks (archive, license, notice, headers, binaries) through the
  library, on every tag as an RC made the x.py way (`git archive --format=tar.gz --prefix=TOP/`
  of the tag), each with a throwaway asf-release.toml naming its artifact, product and top
  directory, and with its tag for the release date; the right verdict is the entry's, on these
  checks. With --debian DIR, upstream source releases from Debian's source archive too
  (`apt-get source --download-only PKG` gives PKG_VER.orig.tar.*, the upstream artifact byte for
  byte): unpacked with tar and packed again as tar.gz under the upstream top directory, so the
  checks judge the same tree whatever archive format the reader takes (no verdict is written down
  for them: see tests/realworld/releases.toml for the signed ones).

The tags come from the bare mirrors under /work/.mirror (or --mirrors DIR: DIR/apache+NAME/repo);
a repository that is not there is said to be missing, never passed. It exits 1 when a verdict is
not the right one, a check fails that the entry does not name, or a candidate is missing.

    .venv/bin/python -m benchmarks.realworld                 # as a voter
    .venv/bin/python -m benchmarks.realworld --only thrift --findings   # list what was found
    .venv/bin/python -m benchmarks.realworld --content --debian /tmp/deb --json out.json
    .venv/bin/python -m benchmarks.realworld --content --package   # and package Kvrocks 2.10.2
"""

from __future__ import annotations

import argparse
import dataclasses
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
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asf_release import profile as profile_module
from asf_release.adapters.gpg import Gpg, throwaway_home
from asf_release.context import Context
from asf_release.verify import VerifyRequest, verify

CHECKS = ("archive", "license", "notice", "headers", "binaries")
MIRRORS = Path(os.environ.get("ASF_RELEASE_MIRRORS", "/work/.mirror"))
CANDIDATES_FILE = Path(__file__).with_name("realworld.toml")
SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")


@dataclass(frozen=True)
class Candidate:
    repository: str  # apache/NAME
    tag: str
    version: str
    product: str
    artifact: str  # the name its project gives the source release, with {version}
    top: str  # the archive's top directory, with {version}
    fmt: str  # git archive's format: tar.gz or zip
    rule: str  # the header rule the project keeps, for the reader of the figures
    profile: str | None  # a built-in profile; None: a small one written from the fields above
    verdict: str  # the right verdict
    failing: tuple[str, ...]  # the checks a real defect fails
    absent: tuple[str, ...]  # paths the mirror does not hold, left out of the archive
    why: str
    # checks that fail today by a mistake another change owns (named in `why`): such a run is
    # reported "pending", neither right nor wrong
    pending: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]

    @property
    def mirror_name(self) -> str:
        return self.repository.replace("/", "+")

    @property
    def artifact_name(self) -> str:
        return self.artifact.replace("{version}", self.version)

    @property
    def top_name(self) -> str:
        return self.top.replace("{version}", self.version)


def candidates(path: Path = CANDIDATES_FILE) -> list[Candidate]:
    found = []
    for entry in tomllib.loads(path.read_text())["candidate"]:
        artifact = entry["artifact"]
        top = entry.get("top") or next(
            (artifact.removesuffix(s) for s in SUFFIXES if artifact.endswith(s)), artifact
        )
        found.append(
            Candidate(
                entry["repository"], entry["tag"], entry["version"], entry["product"], artifact, top,
                entry.get("format", "tar.gz"), entry["rule"], entry.get("profile"), entry["verdict"],
                tuple(entry.get("failing", ())), tuple(entry.get("absent", ())), entry["why"],
                tuple(entry.get("pending", ())),
            )
        )  # fmt: skip
    return found


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
    repository: str  # apache/NAME, or "debian"
    tag: str  # the tag, or the Debian upstream tarball's name
    rule: str
    profile: str  # as a voter: generic, small or the built-in profile's name; else ""
    seconds: float
    verdict: str
    right: str  # yes, pending or NO; "-" where no verdict is written down
    counts: dict[str, int]
    failing: list[str]  # the failing checks
    findings: list[str]  # "LEVEL CHECK: PATH: MESSAGE"
    summaries: list[str]
    unnamed: int  # findings without a path


def judge(candidate: Candidate, report: dict[str, Any], run: tuple[str, ...] = ()) -> str:
    """Whether the verdict is the right one: "yes" (the right verdict, and no failing check other
    than those the entry names), "pending" (the only other failing checks are the entry's pending
    ones), else "NO". With `run`, only those checks ran: the entry is judged on them."""
    expected = [c for c in candidate.failing if not run or c in run]
    pending = [c for c in candidate.pending if not run or c in run]
    verdict = candidate.verdict
    if run and verdict == "fail" and not expected:
        verdict = "pass"  # the entry's defect lies in a check that did not run
    failing = [check["id"] for check in report.get("checks", []) if check["status"] == "fail"]
    if report.get("verdict") == verdict and sorted(failing) == sorted(expected):
        return "yes"
    if pending and report.get("verdict") == "fail" and sorted(failing) == sorted({*expected, *pending}):
        return "pending"
    return "NO"


def judged(
    repository: str, tag: str, rule: str, profile: str, document: dict[str, Any], seconds: float, right: str
) -> Outcome:
    """A release's figures from its verify report (as --json prints it)."""
    checks: list[dict[str, Any]] = document.get("checks", [])
    findings = [(check, finding) for check in checks for finding in check["findings"]]
    # the report's counts are exact: a capped list's remainder counts what it hides
    counts = document.get("counts", {})
    return Outcome(
        repository,
        tag,
        rule,
        profile,
        seconds,
        str(document["verdict"]),
        right,
        {level: int(counts.get(level, 0)) for level in ("fail", "warn", "note")},
        [check["id"] for check in checks if check["status"] == "fail"],
        [f"{f['level']:4} {c['id']}: {f['path']}: {f['message']}" for c, f in findings],
        [f"summary {check['id']}: {check['summary']}" for check in checks],
        sum(1 for _, finding in findings if not finding["path"]),
    )


def archive(
    repository: Path, tag: str, top: str, out: Path, absent: tuple[str, ...] = (), fmt: str = "tar.gz"
) -> str:
    """`git archive` of the tag under TOP/ into out, in git archive's format fmt; paths in `absent`
    left out. Returns what went wrong, or nothing."""
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


def mirror_of(candidate: Candidate, mirrors: Path) -> Path | str:
    mirror = mirrors / candidate.mirror_name / "repo"
    return (
        mirror
        if mirror.is_dir()
        else f"{candidate.repository} {candidate.tag}: no mirror at {mirror} (fetch it first); not checked"
    )


# --- as a voter ---------------------------------------------------------------------------------
def small_profile(candidate: Candidate, base: Path) -> Path:
    """A profile file naming the project's artifact and top directory, as a voter would write."""
    path = base / f"{candidate.name}.toml"
    path.write_text(
        "[project]\n"
        f"product = {json.dumps(candidate.product)}\n"
        f"short_name = {json.dumps(candidate.name)}\n"
        "[source]\n"
        f"artifact = {json.dumps(candidate.artifact)}\n"
        f"top_directory = {json.dumps(candidate.top)}\n"
    )
    return path


def as_voter(
    candidate: Candidate, mirrors: Path, gpg: Gpg, fingerprint: str, keys: Path, base: Path
) -> list[Outcome | str]:
    """The RC directory a release manager would stage (artifact, .asc, .sha512), verified by the
    CLI in a directory of its own, outside any checkout: with no profile, then with the small
    profile (or the built-in one the entry names)."""
    mirror = mirror_of(candidate, mirrors)
    if isinstance(mirror, str):
        return [mirror]
    rc = base / candidate.name
    rc.mkdir(parents=True)
    artifact = rc / candidate.artifact_name
    failed = archive(mirror, candidate.tag, candidate.top_name, artifact, candidate.absent, candidate.fmt)
    if failed:
        return [f"{candidate.repository}: {failed}; not checked"]
    gpg.sign_detached(artifact, rc / f"{artifact.name}.asc", fingerprint)
    digest = hashlib.sha512(artifact.read_bytes()).hexdigest()
    (rc / f"{artifact.name}.sha512").write_text(f"{digest}  {artifact.name}\n")
    cwd = base / "voter"
    cwd.mkdir(exist_ok=True)
    outcomes: list[Outcome | str] = []
    small = candidate.profile or str(small_profile(candidate, base))
    for label, profile in (("generic", None), (candidate.profile or "small", small)):
        argv = [sys.executable, "-m", "asf_release", "verify", str(rc), "--keys", str(keys)]
        argv += ["--git", str(mirror), "--tag", candidate.tag, "--no-build", "--json"]
        if profile:
            argv += ["--profile", profile]
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        try:
            document = json.loads(done.stdout)
        except json.JSONDecodeError:
            document = {
                "verdict": f"error (exit {done.returncode}): {done.stderr.strip()[-300:]}",
                "checks": [],
            }
        right = judge(candidate, document)
        outcomes.append(
            judged(candidate.repository, candidate.tag, candidate.rule, label, document, seconds, right)
        )
    return outcomes


def voters(chosen: list[Candidate], mirrors: Path, base: Path) -> list[Outcome | str]:
    with throwaway_home() as gpg:
        fingerprint = gpg.generate_key("Throwaway RM <rm@apache.org>", "ed25519")
        keys = base / "KEYS"
        keys.write_text(gpg.export_armored(fingerprint))
        return [result for c in chosen for result in as_voter(c, mirrors, gpg, fingerprint, keys, base)]


def print_voters(outcomes: list[Outcome], levels: tuple[str, ...], summaries: bool) -> None:
    print(
        f"{'repository':24} {'tag':26} {'rule':28} {'profile':8} {'verdict':8} {'right':7} "
        f"{'fail':>4} {'warn':>4} {'note':>4} {'time':>6}  failing checks"
    )
    for outcome in outcomes:
        counts = outcome.counts
        print(
            f"{outcome.repository.split('/')[-1]:24} {outcome.tag:26} {outcome.rule:28} {outcome.profile:8} "
            f"{outcome.verdict:8} {outcome.right:7} {counts['fail']:4} {counts['warn']:4} "
            f"{counts['note']:4} {outcome.seconds:5.2f}s  {', '.join(outcome.failing) or '-'}"
        )
        # a wrong verdict always shows what was found
        shown = levels or (("fail", "warn") if outcome.right == "NO" else ())
        _details(outcome, shown, summaries)


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
    rc_dir: Path, version: str, profile_dir: Path, git: str | None, tag: str | None
) -> tuple[dict[str, Any], float]:
    env = {"HOME": str(profile_dir), "PATH": "/usr/bin:/bin"}
    ctx = Context(profile=profile_module.load(profile_dir, env=env), root=None, env=env)
    request = VerifyRequest(
        source=str(rc_dir), version=version, rc=1, git=git, tag=tag, build=False, only=CHECKS
    )
    started = time.perf_counter()
    report = verify(ctx, request)
    return report.to_json(), time.perf_counter() - started


def tagged(candidate: Candidate, base: Path, mirrors: Path) -> Outcome | str:
    mirror = mirror_of(candidate, mirrors)
    if isinstance(mirror, str):
        return mirror
    top = f"apache-{candidate.name}-{candidate.version}-src"
    artifact = f"{top}.tar.gz"
    work = base / candidate.mirror_name
    rc_dir = work / "rc"
    rc_dir.mkdir(parents=True)
    failed = archive(mirror, candidate.tag, top, rc_dir / artifact, candidate.absent)
    if failed:
        return f"{candidate.repository}: {failed}; not checked"
    profile_dir = _profile_dir(work, candidate.product, candidate.name, artifact, top, candidate.version)
    document, seconds = _run(rc_dir, candidate.version, profile_dir, str(mirror), candidate.tag)
    right = judge(candidate, document, CHECKS)
    return judged(candidate.repository, candidate.tag, candidate.rule, "", document, seconds, right)


def debian(orig: Path, base: Path) -> Outcome | str:
    found = re.match(r"(?P<package>[^_]+)_(?P<version>[^_]+)\.orig\.tar\.(?:gz|bz2|xz)$", orig.name)
    if not found:
        return f"{orig.name}: not a Debian upstream tarball name"
    package, version = found.group("package"), found.group("version")
    work = base / f"debian-{package}-{version}"  # two versions of one package may sit side by side
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
    document, seconds = _run(rc_dir, version, profile_dir, None, None)
    return judged("debian", orig.name, "(upstream's own)", "", document, seconds, "-")


def contents(
    chosen: list[Candidate], mirrors: Path, debian_dir: Path | None, base: Path
) -> list[Outcome | str]:
    results = [tagged(candidate, base, mirrors) for candidate in chosen]
    if debian_dir:
        for orig in sorted(debian_dir.glob("*.orig.tar.*")):
            if not orig.name.endswith(".asc"):
                results.append(debian(orig, base))
    return results


def print_contents(outcomes: list[Outcome], levels: tuple[str, ...], summaries: bool) -> None:
    print(
        f"{'release':48} {'rule':28} {'verdict':8} {'right':6} {'fail':>4} {'warn':>4} {'note':>4} "
        f"{'unnamed':>7} {'seconds':>7}"
    )
    for outcome in outcomes:
        counts = outcome.counts
        print(
            f"{outcome.repository + ' ' + outcome.tag:48} {outcome.rule:28} {outcome.verdict:8} "
            f"{outcome.right:6} {counts['fail']:>4} {counts['warn']:>4} {counts['note']:>4} "
            f"{outcome.unnamed:>7} {outcome.seconds:>7.2f}"
        )
        # the failures are always listed
        _details(outcome, levels or ("fail",), summaries)


def _details(outcome: Outcome, levels: tuple[str, ...], summaries: bool) -> None:
    for line in outcome.findings:
        if line.split(" ", 1)[0] in levels:
            print(f"    {line}")
    for line in outcome.summaries if summaries else []:
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
    parser.add_argument("--only", action="append", default=[], help="repository names to run (repeatable)")
    parser.add_argument("--debian", type=Path, help="with --content: a directory holding PKG_VER.orig.tar.*")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--findings", action="store_true", help="list every failure and warning")
    parser.add_argument("--notes", action="store_true", help="list the notes too")
    parser.add_argument("--all", action="store_true", help="list the warnings, notes and summaries too")
    parser.add_argument("--package", action="store_true", help="also package Kvrocks 2.10.2 from v2.10.1")
    args = parser.parse_args()
    if args.debian and not args.content:
        parser.error("--debian goes with --content")
    known = candidates()
    unknown = sorted(set(args.only) - {c.name for c in known})
    if unknown:
        parser.error(f"not in {CANDIDATES_FILE.name}: {', '.join(unknown)}")
    chosen = [c for c in known if not args.only or c.name in args.only]
    notes = args.notes or args.all
    levels = ("fail", "warn", "note") if notes else ("fail", "warn") if args.findings else ()
    base = Path(tempfile.mkdtemp(prefix="asfr-realworld-"))
    packaged: list[str] = []
    try:
        if args.package:
            packaged = kvrocks_package(base, args.mirrors)
        if args.content:
            results = contents(chosen, args.mirrors, args.debian, base)
        else:
            results = voters(chosen, args.mirrors, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    outcomes = [result for result in results if isinstance(result, Outcome)]
    missing = [result for result in results if isinstance(result, str)]
    (print_contents if args.content else print_voters)(outcomes, levels, args.all)
    for line in missing:
        print(f"MISSING {line}")
    for line in packaged:
        print(line)
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(outcome) for outcome in outcomes], indent=2))
    wrong = sum(outcome.right == "NO" for outcome in outcomes)
    if wrong:
        print(f"{wrong} run(s) without the right verdict")
    sys.exit(1 if missing or wrong else 0)


if __name__ == "__main__":
    main()
