"""Benchmark of `asf-release verify`, side by side with the plain tools, in one run.

1. A Kvrocks-sized RC (about 500 files, from the sample project): `verify --no-build` end to end,
   interpreter start included. Target: at most 1 s.
2. A large generated RC (at least 50,000 files, 1 GiB unpacked): `verify --no-build --skip
   provenance` against `sha512sum` + `gzip -dc > /dev/null` + `grep -rL` of the header over the
   unpacked tree, in the same run. Target: at most 1.5 x, peak memory at most 200 MB.

    .venv/bin/python -m benchmarks.verify            # both
    .venv/bin/python -m benchmarks.verify --small    # only the first (seconds)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from asf_release import data
from asf_release import profile as profile_module
from asf_release.adapters.gpg import Gpg, throwaway_home
from asf_release.sandbox import sample_project
from benchmarks import compile_sources

VERSION = "2.11.0"
HEADER_LINE = "Licensed to the Apache Software Foundation"


def _run(argv: list[str], **kwargs: object) -> None:
    subprocess.run(argv, check=True, **kwargs)  # type: ignore[call-overload]


def timed(
    argv: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdout: object = subprocess.DEVNULL,
) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB, and exit code of one command (its own rusage, via wait4)."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.DEVNULL)  # type: ignore[arg-type]
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss, child.returncode


@contextmanager
def keyring(base: Path) -> Iterator[tuple[Gpg, Path]]:
    """A throwaway GnuPG home holding one signing key, and a KEYS file with it."""
    with throwaway_home() as gpg:
        keys = base / "KEYS"
        keys.write_text(gpg.export_armored(gpg.generate_key("Bench RM <bench@apache.org>", "ed25519")))
        yield gpg, keys


def sign_and_sum(artifact: Path, gpg: Gpg) -> None:
    gpg.sign_detached(artifact, artifact.with_name(artifact.name + ".asc"))
    with artifact.with_name(artifact.name + ".sha512").open("w") as out:
        _run(["sha512sum", artifact.name], cwd=artifact.parent, stdout=out)


def verify_argv(rc: Path, keys: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "asf_release",
        "verify",
        str(rc),
        "--keys",
        str(keys),
        "--rc",
        "1",
        "--no-build",
        "--json",
        *extra,
    ]


# --- 1. a Kvrocks-sized RC ---------------------------------------------------------------------
def small(base: Path, gpg: Gpg, keys: Path, runs: int) -> None:
    profile = profile_module.load(None, env={})
    project = sample_project.create(base / "project", profile, files=470)
    repo = project.path
    project.git("checkout", "--quiet", "2.10")
    (repo / profile.version_file.path).write_text(VERSION)
    project.git("commit", "--quiet", "--all", "--message", "release")
    tag = profile.fmt("git.rc_tag", version=VERSION, rc=1)
    project.git("tag", "--annotate", tag, "--message", "rc1")
    top = profile.fmt("source.top_directory", version=VERSION)
    rc = base / "rc-small"
    rc.mkdir()
    artifact = rc / profile.fmt("source.artifact", version=VERSION)
    with artifact.open("wb") as out:
        _run(["git", "archive", "--format=tar.gz", f"--prefix={top}/", tag], cwd=repo, stdout=out)
    sign_and_sum(artifact, gpg)
    files = len(project.git("ls-tree", "-r", "--name-only", tag).splitlines())
    argv = verify_argv(rc, keys, "--git", str(repo))
    env = {**os.environ, "HOME": str(base)}
    timed(argv, env=env)  # warm the page cache and the bytecode cache
    times = []
    for _ in range(runs):
        seconds, _, code = timed(argv, env=env)
        if code != 0:
            raise SystemExit(f"verify failed on the small RC (exit {code})")
        times.append(seconds)
    best, median = min(times), statistics.median(times)
    startup = min(timed([sys.executable, "-m", "asf_release", "--version"], env=env)[0] for _ in range(3))
    print(f"\n1. Kvrocks-sized RC: {files} files, {artifact.stat().st_size / 1024:.0f} KiB")
    print(
        f"   verify --no-build (all checks, provenance against the local clone): best {best:.3f} s, median {median:.3f} s over {runs} runs"
    )
    print(f"   of which interpreter start + imports (asf-release --version): {startup:.3f} s")
    print(f"   target <= 1.000 s: {'met' if median <= 1.0 else 'NOT met'} (median / target = {median:.2f})")


# --- 2. a large RC ------------------------------------------------------------------------------
def _lines(rng: random.Random, count: int) -> list[str]:
    words = [
        "int",
        "value",
        "result",
        "buffer",
        "offset",
        "size",
        "key",
        "slot",
        "column",
        "family",
        "batch",
        "iterator",
        "status",
        "return",
        "if",
        "else",
        "for",
        "while",
        "const",
        "auto",
        "std",
        "string",
        "vector",
        "map",
    ]
    return [
        f"  {' '.join(rng.choice(words) for _ in range(rng.randint(3, 10)))}; // {rng.randrange(1 << 30):x}\n"
        for _ in range(count)
    ]


def generate_tree(root: Path, files: int, size: int) -> int:
    """files sources under root (each with the ASF header, a few without), about size bytes each."""
    rng = random.Random(11)
    pool = _lines(rng, 4000)
    header = (
        "/*\n" + "".join(f" * {line}".rstrip() + "\n" for line in data.asf_header().splitlines()) + " */\n\n"
    )
    root.mkdir(parents=True, exist_ok=True)
    (root / "LICENSE").write_text(data.apache_license())
    (root / "NOTICE").write_text(
        f"Apache Kvrocks\nCopyright 2022-{time.gmtime().tm_year} The Apache Software Foundation\n\n"
        "This product includes software developed at\nThe Apache Software Foundation (http://www.apache.org/).\n"
    )
    (root / ".licenserc.yaml").write_text(
        "header:\n  license:\n    spdx-id: Apache-2.0\n    copyright-owner: Apache Software Foundation\n"
        "  paths: ['**/*.cc', '**/*.h']\n"
    )
    total = 0
    per_line = sum(map(len, pool)) // len(pool)
    for index in range(files):
        folder = root / "src" / f"module{index % 250:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(rng.choices(pool, k=max(1, size // per_line)))
        text = (header if index % 1000 else "") + body  # one file in a thousand lacks the header
        path = folder / f"file{index:05d}.{'cc' if index % 2 else 'h'}"
        path.write_text(text)
        total += len(text)
    return total


def large(base: Path, gpg: Gpg, keys: Path, files: int, size: int) -> None:
    top = f"apache-kvrocks-{VERSION}-src"
    tree = base / "tree"
    began = time.perf_counter()
    unpacked = generate_tree(tree / top, files, size)
    rc = base / "rc-large"
    rc.mkdir()
    artifact = rc / f"{top}.tar.gz"
    with artifact.open("wb") as out:
        tar = subprocess.Popen(
            ["tar", "--sort=name", "-cf", "-", "-C", str(tree), top], stdout=subprocess.PIPE
        )
        _run(["gzip", "-6", "-n"], stdin=tar.stdout, stdout=out)
        tar.wait()
    sign_and_sum(artifact, gpg)
    print(
        f"\n2. Large RC: {files} files, {unpacked / (1 << 30):.2f} GiB unpacked, "
        f"{artifact.stat().st_size / (1 << 20):.0f} MiB compressed (generated in {time.perf_counter() - began:.0f} s)"
    )
    _run(["cat", str(artifact)], stdout=subprocess.DEVNULL)  # the same warm page cache for everyone
    env = {**os.environ, "HOME": str(base), "ASF_RELEASE_CONFIG": str(_limits(base))}
    baseline_best = ours_best = float("inf")
    peak = 0
    for _ in range(2):
        sha, _, _ = timed(["sha512sum", str(artifact)])
        gunzip, _, _ = timed(["gzip", "-dc", str(artifact)])
        grep, _, _ = timed(["grep", "-rL", HEADER_LINE, str(tree)])
        baseline_best = min(baseline_best, sha + gunzip + grep)
        seconds, rss, code = timed(verify_argv(rc, keys, "--skip", "provenance"), env=env)
        if code not in (0, 1):
            raise SystemExit(f"verify could not run on the large RC (exit {code})")
        ours_best = min(ours_best, seconds)
        peak = max(peak, rss)
        print(
            f"   run: sha512sum {sha:.2f} s + gzip -dc {gunzip:.2f} s + grep -rL {grep:.2f} s = {sha + gunzip + grep:.2f} s; verify {seconds:.2f} s"
        )
    ratio = ours_best / baseline_best
    print(
        f"   best: plain tools {baseline_best:.2f} s, verify --no-build --skip provenance {ours_best:.2f} s"
    )
    print(f"   ratio {ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'})")
    print(
        f"   peak memory of verify {peak / 1024:.0f} MB (target <= 200 MB: {'met' if peak / 1024 <= 200 else 'NOT met'})"
    )


def _limits(base: Path) -> Path:
    path = base / "config.toml"
    path.write_text("[checks]\nmax_members = 1000000\n")
    return path


def main() -> None:
    compile_sources()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help="only the Kvrocks-sized RC")
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=21_800, help="bytes per generated file")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dir", type=Path, help="where to work (default: a temporary directory, removed)")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="asf-release-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        with keyring(base) as (gpg, keys):
            print(f"asf-release verify benchmark on {os.cpu_count()} CPU(s), Python {sys.version.split()[0]}")
            small(base, gpg, keys, args.runs)
            if not args.small:
                large(base, gpg, keys, args.files, args.size)
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
