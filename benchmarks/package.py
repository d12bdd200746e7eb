"""`asf-release package` against the same work done by hand, side by side in one run.

By hand (what x.py does, as plain commands):
    printf VERSION > src/VERSION.txt && git commit -a -m ... && git tag -a TAG -m ...
    git archive --format=tar.gz --prefix=TOP/ TAG > T && gpg --armor --detach-sign T && shasum -a 512 T > T.sha512
Ours: `asf-release package VERSION`, whole process wall time (interpreter start included), minus
its verify pass, whose time is printed beside. Both run on fresh clones of the same project with
the same commit dates, so their tarballs must be byte-identical: the script checks it. One more
row packages a .tar.xz, by hand `git archive --format=tar ... | xz -6 --threads=1 -c > T`.

    .venv/bin/python -m benchmarks.package                      # three sizes
    .venv/bin/python -m benchmarks.package --skip-large --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from asf_release import profile as profile_module
from asf_release.adapters.gpg import Gpg, stop_agent
from asf_release.sandbox import sample_project
from benchmarks import compile_sources

VERSION = "2.11.0"
BRANCH = "2.11"
DATES = {"GIT_AUTHOR_DATE": "2026-11-01T12:00:00+00:00", "GIT_COMMITTER_DATE": "2026-11-01T12:00:00+00:00"}


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)


def fresh_clone(source: Path, target: Path, env: dict[str, str]) -> None:
    run(["git", "clone", "--quiet", "--branch", BRANCH, str(source), str(target)], cwd=source.parent, env=env)
    run(["git", "config", "user.name", "Bench"], cwd=target, env=env)
    run(["git", "config", "user.email", "bench@apache.org"], cwd=target, env=env)


# how each suffix is archived by hand: the plain command package's dry run names
BY_HAND = {
    ".tar.gz": "git archive --format=tar.gz --prefix={top}/ {tag} > {out}",
    ".tar.xz": "git archive --format=tar --prefix={top}/ {tag} | xz -6 --threads=1 -c > {out}",
}


def by_hand(project: Path, env: dict[str, str], fingerprint: str, suffix: str) -> tuple[float, Path]:
    top = f"apache-kvrocks-{VERSION}-src"
    tarball = project.parent / f"{project.name}-{top}{suffix}"
    archive = BY_HAND[suffix].format(top=top, tag=f"v{VERSION}-rc1", out=tarball)
    script = (
        f"printf {VERSION} > src/VERSION.txt"
        f" && git commit -q -a -m 'release: prepare source release apache-kvrocks-{VERSION}'"
        f" && git tag -a v{VERSION}-rc1 -m 'release: copy for tag v{VERSION}-rc1'"
        f" && {archive}"
        f" && gpg --batch --yes --armor --detach-sign --local-user {fingerprint} {tarball}"
        f" && shasum -a 512 {tarball} > {tarball}.sha512"
    )
    started = time.perf_counter()
    subprocess.run(["bash", "-c", script], cwd=project, env=env, check=True, capture_output=True)
    return time.perf_counter() - started, tarball


def ours(project: Path, env: dict[str, str], keys: Path, suffix: str) -> tuple[float, dict[str, float], Path]:
    if suffix != ".tar.gz":  # the project names its artifact (left untracked: the tree stays clean)
        (project / "asf-release.toml").write_text(
            f'profile = "kvrocks"\n[source]\nartifact = "apache-kvrocks-{{version}}-src{suffix}"\n'
        )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "asf_release", "package", VERSION, "--rc", "1", "--keys", str(keys), "--json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"asf-release package failed:\n{done.stdout}\n{done.stderr}")
    facts = json.loads(done.stdout)["facts"]
    return wall, facts["seconds"], Path(facts["out"]) / f"apache-kvrocks-{VERSION}-src{suffix}"


def measure(
    name: str,
    files: int,
    lines: int,
    rounds: int,
    work: Path,
    gnupg: Path,
    fingerprint: str,
    keys: Path,
    suffix: str = ".tar.gz",
) -> None:
    profile = profile_module.load(None, env={})
    base = work / "".join(c if c.isalnum() else "-" for c in name + suffix)
    project = sample_project.create(base / "project", profile, files=files, lines=lines).path
    run(["git", "checkout", "--quiet", "-b", BRANCH], cwd=project, env=dict(os.environ))
    size = sum(p.stat().st_size for p in project.rglob("*") if ".git" not in p.parts)
    config = base / "config.toml"
    config.write_text(f'[release_manager]\nsigning_key = "{fingerprint}"\ngnupg_home = "{gnupg}"\n')
    env = {**os.environ, **DATES, "GNUPGHOME": str(gnupg), "ASF_RELEASE_CONFIG": str(config)}
    hand_times, our_times, verify_times, phase_sums = [], [], [], []
    for index in range(rounds):
        hand_dir, our_dir = base / f"hand{index}", base / f"ours{index}"
        fresh_clone(project, hand_dir, env)
        fresh_clone(project, our_dir, env)
        # alternate the order so neither side always runs on a warmer cache
        if index % 2:
            wall, phases, our_tarball = ours(our_dir, env, keys, suffix)
            hand, hand_tarball = by_hand(hand_dir, env, fingerprint, suffix)
        else:
            hand, hand_tarball = by_hand(hand_dir, env, fingerprint, suffix)
            wall, phases, our_tarball = ours(our_dir, env, keys, suffix)
        if our_tarball.read_bytes() != hand_tarball.read_bytes():
            raise SystemExit(f"{name}: the tarballs differ: {our_tarball} vs {hand_tarball}")
        hand_times.append(hand)
        verify_times.append(phases["verify"])
        our_times.append(wall - phases["verify"])
        phase_sums.append(phases["archive, hash and sign"] + phases["checksum files"])
        shutil.rmtree(hand_dir)
        shutil.rmtree(our_dir)
    hand_median, our_median = statistics.median(hand_times), statistics.median(our_times)
    print(
        f"\n{name}, {suffix}: {files:,} generated files, {size / 1e6:,.1f} MB of source, {rounds} rounds (medians)"
    )
    print(f"  by hand  (version, commit, tag, git archive, gpg, shasum)  {hand_median:8.3f} s")
    print(
        f"  asf-release package, without its verify pass             {our_median:8.3f} s   ratio {our_median / hand_median:.2f}"
    )
    print(
        f"    of which archive, hash and sign (one pass), checksum files {statistics.median(phase_sums):8.3f} s"
    )
    print(
        f"  its verify pass (printed beside, not counted)            {statistics.median(verify_times):8.3f} s"
    )
    print("  tarballs byte-identical: yes")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--large-files", type=int, default=20000)
    parser.add_argument("--large-lines", type=int, default=120)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    compile_sources()
    work = Path(tempfile.mkdtemp(prefix="asfr-bench-", dir="/tmp"))
    gnupg = work / "g"
    gnupg.mkdir(mode=0o700)
    try:
        gpg = Gpg(gnupg)
        fingerprint = gpg.generate_key("Bench Manager <bench@apache.org>", "rsa4096")
        keys = work / "KEYS"
        keys.write_text(gpg.export_armored(fingerprint))
        warm = work / "warm"
        warm.write_text("warm up gpg-agent\n")
        gpg.sign_detached(warm, work / "warm.asc", fingerprint)
        measure("sample project (the demo's)", 60, 12, args.rounds, work, gnupg, fingerprint, keys)
        measure("Kvrocks-sized project", 500, 150, args.rounds, work, gnupg, fingerprint, keys)
        measure("Kvrocks-sized project", 500, 150, args.rounds, work, gnupg, fingerprint, keys, ".tar.xz")
        if not args.skip_large:
            measure(
                "large tree",
                args.large_files,
                args.large_lines,
                max(1, args.rounds // 2),
                work,
                gnupg,
                fingerprint,
                keys,
            )
    finally:
        stop_agent(gnupg)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
