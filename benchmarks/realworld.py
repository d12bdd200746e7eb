"""Real Apache repositories as release candidates: each tag archived with `git archive`, signed
with a throwaway key, checksummed, and verified as a voter would (outside any checkout, the
repository given as a bare mirror with --git). Prints each release's verdict, findings by level
and time.

    .venv/bin/python -m benchmarks.realworld                 # mirrors under /work/.mirror
    .venv/bin/python -m benchmarks.realworld --mirrors DIR   # DIR/apache+NAME/repo

It runs where the mirrors exist and says plainly which are missing. The right verdict of each is
pass: they are real releases whose CI enforces their license headers; a fail comes from a content
rule that judges them wrongly (see tests/realworld/releases.toml for the Debian-made suite).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MIRRORS = Path(os.environ.get("ASF_RELEASE_MIRRORS", "/work/.mirror"))


@dataclass(frozen=True)
class Candidate:
    repository: str  # apache/NAME
    tag: str
    artifact: str  # the name its project gives the source release
    fmt: str  # git archive's format
    profile: str | None  # a built-in profile, or None for a voter with nothing set up


CANDIDATES = (
    Candidate("apache/kvrocks", "v2.10.1", "apache-kvrocks-2.10.1-src.tar.gz", "tar.gz", "kvrocks"),
    Candidate("apache/skywalking-eyes", "v0.8.0", "skywalking-license-eye-0.8.0-src.tgz", "tar.gz", None),
    Candidate("apache/skywalking-go", "v0.6.0", "apache-skywalking-go-0.6.0-src.tgz", "tar.gz", None),
    Candidate("apache/dubbo-go", "v3.3.2", "apache-dubbo-go-3.3.2-src.zip", "zip", None),
)


def _gpg(home: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    argv = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    return subprocess.run([*argv, *args], check=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def make_rc(candidate: Candidate, mirror: Path, home: Path, base: Path) -> Path:
    """The RC directory a release manager would stage: artifact, .asc, .sha512."""
    rc = base / candidate.repository.split("/")[1]
    rc.mkdir(parents=True)
    artifact = rc / candidate.artifact
    top = candidate.artifact
    for suffix in (".tar.gz", ".tgz", ".zip"):
        top = top.removesuffix(suffix)
    with artifact.open("wb") as out:
        subprocess.run(
            ["git", "archive", f"--format={candidate.fmt}", f"--prefix={top}/", candidate.tag],
            cwd=mirror,
            stdout=out,
            check=True,
        )
    _gpg(home, "--armor", "--detach-sign", "--output", f"{artifact}.asc", str(artifact))
    digest = hashlib.sha512(artifact.read_bytes()).hexdigest()
    (rc / f"{artifact.name}.sha512").write_text(f"{digest}  {artifact.name}\n")
    return rc


def verify(
    candidate: Candidate, rc: Path, mirror: Path, keys: Path, cwd: Path
) -> tuple[dict[str, object], float]:
    argv = [sys.executable, "-m", "asf_release", "verify", str(rc), "--keys", str(keys), "--git", str(mirror)]
    argv += ["--tag", candidate.tag, "--no-build", "--json"]
    if candidate.profile:
        argv += ["--profile", candidate.profile]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    try:
        return json.loads(done.stdout), seconds
    except json.JSONDecodeError:
        return {
            "verdict": f"error (exit {done.returncode}): {done.stderr.strip()[-300:]}",
            "checks": [],
        }, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    options = parser.parse_args()
    present = []
    for candidate in CANDIDATES:
        mirror = options.mirrors / candidate.repository.replace("/", "+") / "repo"
        if mirror.is_dir():
            present.append((candidate, mirror))
        else:
            print(f"skipped {candidate.repository} {candidate.tag}: no mirror at {mirror}")
    if not present:
        print("no mirror is here: nothing to verify")
        return
    base = Path(tempfile.mkdtemp(prefix="asfr-realworld-"))
    home = Path(tempfile.mkdtemp(prefix="asfr-rw-", dir="/tmp"))
    home.chmod(0o700)
    try:
        _gpg(home, "--quick-gen-key", "Throwaway RM <rm@apache.org>", "ed25519", "sign", "never")
        keys = base / "KEYS"
        keys.write_bytes(_gpg(home, "--armor", "--export").stdout)
        cwd = base / "voter"
        cwd.mkdir()
        print(f"{'release':40} {'verdict':8} {'fail':>5} {'warn':>5} {'note':>5} {'time':>7}  failing checks")
        for candidate, mirror in present:
            rc = make_rc(candidate, mirror, home, base)
            report, seconds = verify(candidate, rc, mirror, keys, cwd)
            counts = {"fail": 0, "warn": 0, "note": 0}
            failing = []
            for check in report.get("checks", []):  # type: ignore[attr-defined]
                if check["status"] == "fail":
                    failing.append(check["id"])
                for finding in check["findings"]:
                    counts[finding["level"]] += 1
            name = f"{candidate.artifact}"
            print(
                f"{name:40} {report['verdict']!s:8} {counts['fail']:5} {counts['warn']:5} {counts['note']:5} "
                f"{seconds:6.2f}s  {', '.join(failing) or '-'}"
            )
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
