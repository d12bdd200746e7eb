"""Real Apache repositories as release candidates: each tag archived with `git archive`, signed
with a throwaway key, checksummed, and verified as a voter would (outside any checkout, the
repository given as a bare mirror with --git): once with no profile (the generic one) and once
with a small profile naming the project's artifact (or the built-in profile the entry names).
Prints each release's verdict, whether it is the right one, findings by level and time.

    .venv/bin/python -m benchmarks.realworld                 # mirrors under /work/.mirror
    .venv/bin/python -m benchmarks.realworld --mirrors DIR   # DIR/apache+NAME/repo
    .venv/bin/python -m benchmarks.realworld --only thrift --findings   # list what was found

The candidates and their right verdicts, with the reasons, are in benchmarks/realworld.toml. It
runs where the mirrors exist and says plainly which are missing; it exits 1 when a verdict is not
the right one, or a check fails that the entry does not name.
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
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MIRRORS = Path(os.environ.get("ASF_RELEASE_MIRRORS", "/work/.mirror"))
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


def _gpg(home: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    argv = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback", "--passphrase", ""]
    return subprocess.run([*argv, *args], check=True, capture_output=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def make_rc(candidate: Candidate, mirror: Path, home: Path, base: Path) -> Path:
    """The RC directory a release manager would stage: artifact, .asc, .sha512."""
    rc = base / candidate.name
    rc.mkdir(parents=True)
    artifact = rc / candidate.artifact_name
    leave_out = ["--", ".", *(f":!{path}" for path in candidate.absent)] if candidate.absent else []
    argv = ["git", "archive", f"--format={candidate.fmt}", f"--prefix={candidate.top_name}/", candidate.tag]
    with artifact.open("wb") as out:
        subprocess.run(
            [*argv, *leave_out],
            cwd=mirror,
            stdout=out,
            check=True,
        )
    _gpg(home, "--armor", "--detach-sign", "--output", f"{artifact}.asc", str(artifact))
    digest = hashlib.sha512(artifact.read_bytes()).hexdigest()
    (rc / f"{artifact.name}.sha512").write_text(f"{digest}  {artifact.name}\n")
    return rc


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


def verify(
    candidate: Candidate, rc: Path, mirror: Path, keys: Path, cwd: Path, profile: str | None
) -> tuple[dict[str, Any], float]:
    argv = [sys.executable, "-m", "asf_release", "verify", str(rc), "--keys", str(keys), "--git", str(mirror)]
    argv += ["--tag", candidate.tag, "--no-build", "--json"]
    if profile:
        argv += ["--profile", profile]
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


def judge(candidate: Candidate, report: dict[str, Any]) -> tuple[dict[str, int], list[str], str]:
    """Findings by level, the failing checks, and whether the verdict is the right one: "yes" (the
    right verdict, and no failing check other than those the entry names), "pending" (the only
    other failing checks are the entry's pending ones), else "NO"."""
    # the report's counts are exact: a capped list's remainder counts what it hides
    counts = {level: int(report.get("counts", {}).get(level, 0)) for level in ("fail", "warn", "note")}
    failing = [check["id"] for check in report.get("checks", []) if check["status"] == "fail"]
    if report.get("verdict") == candidate.verdict and sorted(failing) == sorted(candidate.failing):
        return counts, failing, "yes"
    pending = sorted({*candidate.failing, *candidate.pending})
    if candidate.pending and report.get("verdict") == "fail" and sorted(failing) == pending:
        return counts, failing, "pending"
    return counts, failing, "NO"


def _findings(report: dict[str, Any], levels: tuple[str, ...]) -> list[str]:
    return [
        f"      {finding['level']:4} {check['id']}: {finding['path']}: {finding['message']}"
        for check in report.get("checks", [])
        for finding in check["findings"]
        if finding["level"] in levels
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    parser.add_argument("--only", action="append", default=[], help="repository names to run (repeatable)")
    parser.add_argument("--findings", action="store_true", help="list every warning and failure")
    parser.add_argument("--notes", action="store_true", help="list the notes too")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    options = parser.parse_args()
    present = []
    for candidate in candidates():
        if options.only and candidate.name not in options.only:
            continue
        mirror = options.mirrors / candidate.repository.replace("/", "+") / "repo"
        if mirror.is_dir():
            present.append((candidate, mirror))
        else:
            print(f"MISSING {candidate.repository} {candidate.tag}: no mirror at {mirror} (fetch it first)")
    if not present:
        print("no mirror is here: nothing to verify")
        sys.exit(1)
    base = Path(tempfile.mkdtemp(prefix="asfr-realworld-"))
    home = Path(tempfile.mkdtemp(prefix="asfr-rw-", dir="/tmp"))
    home.chmod(0o700)
    wrong = 0
    rows: list[dict[str, Any]] = []
    try:
        _gpg(home, "--quick-gen-key", "Throwaway RM <rm@apache.org>", "ed25519", "sign", "never")
        keys = base / "KEYS"
        keys.write_bytes(_gpg(home, "--armor", "--export").stdout)
        cwd = base / "voter"
        cwd.mkdir()
        print(
            f"{'repository':24} {'tag':26} {'rule':28} {'profile':8} {'verdict':8} {'right':7} "
            f"{'fail':>4} {'warn':>4} {'note':>4} {'time':>6}  failing checks"
        )
        for candidate, mirror in present:
            rc = make_rc(candidate, mirror, home, base)
            profiles = [("generic", None), (candidate.profile or "small", candidate.profile)]
            for label, profile in profiles:
                if label == "small":
                    profile = str(small_profile(candidate, base))
                report, seconds = verify(candidate, rc, mirror, keys, cwd, profile)
                counts, failing, right = judge(candidate, report)
                wrong += right == "NO"
                print(
                    f"{candidate.name:24} {candidate.tag:26} {candidate.rule:28} {label:8} "
                    f"{report['verdict']!s:8} {right:7} {counts['fail']:4} "
                    f"{counts['warn']:4} {counts['note']:4} {seconds:5.2f}s  {', '.join(failing) or '-'}"
                )
                levels = ("fail", "warn", "note") if options.notes else ("fail", "warn")
                for line in _findings(report, levels) if options.findings or right == "NO" else []:
                    print(line)
                rows.append(
                    {"repository": candidate.repository, "tag": candidate.tag, "rule": candidate.rule,
                     "profile": label, "verdict": report["verdict"], "right": right, "counts": counts,
                     "failing": failing, "seconds": round(seconds, 2)}
                )  # fmt: skip
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(base, ignore_errors=True)
    if options.json:
        options.json.write_text(json.dumps(rows, indent=2))
    if wrong:
        print(f"{wrong} run(s) without the right verdict")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
