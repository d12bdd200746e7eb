"""A small project shaped like the profile's project, with a realistic release history.

It serves the demo, the tests and the benchmarks alike. Everything is deterministic: the same
arguments give the same commits, so archives built from it are reproducible.

History (on the unstable branch, with the profile's names):
  import, feat, fix, docs          -> branch 2.9,  release 2.9.0
  feat, perf, fix                  -> branch 2.10, release 2.10.0
  fix (#1020, cherry-picked into 2.10 -> release 2.10.1), feat, security fix, ci,
  fix (#1024, cherry-picked into 2.10 by hand, unreleased), feat, build, refactor, chore
add_period_commits() then plays the community during a cherry-pick period (once, however often
it is called): a fix and a security fix that apply cleanly, a feature, a fix that conflicts unless
that feature is picked, and a docs change.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

from asf_release import data
from asf_release.adapters import proc
from asf_release.profile import Profile

AUTHORS = [
    ("Alice Zhang", "alice@apache.org"),
    ("Bruno Costa", "bruno@apache.org"),
    ("Chen Wei", "chenwei@apache.org"),
    ("Dana Okafor", "dana@example.org"),
    ("Erik Lund", "erik@example.com"),
]
SERVER_FILE = "src/server/server.cc"
_WORDS = ["Slot", "Key", "Batch", "Index", "Shard", "Epoch", "Cursor", "Bucket", "Lease", "Token"]
MODULES = [
    "common",
    "server",
    "storage",
    "commands",
    "types",
    "cluster",
    "config",
    "stats",
    "search",
]


@dataclass(frozen=True)
class Change:
    message: str
    files: Mapping[str, str | None]  # path -> new content (None deletes)
    author: int = 0


@dataclass
class SampleProject:
    path: Path
    origin: Path
    profile: Profile
    anchor: datetime

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        return proc.run(["git", *args], cwd=self.path, env=env).stdout.strip()


def _file(name: str) -> str:
    return (resources.files("asf_release") / "sandbox" / "files" / name).read_text()


def with_header(text: str) -> str:
    """Replace the @HEADER@ line by the ASF header, commented like that line."""
    lines = []
    for line in text.splitlines():
        if "@HEADER@" in line:
            prefix = line.split("@HEADER@")[0] or " * "
            for header_line in data.asf_header().splitlines():
                lines.append((prefix + header_line).rstrip())
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _render(name: str, profile: Profile, year: int) -> str:
    text = _file(name)
    text = text.replace("@PRODUCT@", profile.project.product)
    text = text.replace("@SHORT@", profile.project.short_name).replace("@YEAR@", str(year))
    return with_header(text) if "@HEADER@" in text else text


def tiny_png(seed: int) -> bytes:
    """A valid 8x8 PNG image (the project's binary assets)."""
    rows = b"".join(b"\x00" + bytes((seed * 31 + x * 7 + y) % 256 for x in range(8)) for y in range(8))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _cc_source(module: str, index: int, rng: random.Random, lines: int) -> str:
    name = f"{module.capitalize()}Part{index}"
    # random constants and names: the code compresses about as much as real source does
    body = [
        f"int {name}::Step{i}(int value) const {{ return (value ^ 0x{rng.getrandbits(32):08x}) * "
        f"{rng.randint(2, 97)} + k{rng.choice(_WORDS)}{rng.getrandbits(16):04x}; }}"
        for i in range(lines)
    ]
    text = (
        "/*\n@HEADER@\n */\n\n"
        + f'#include "{module}/{module}_part{index}.h"\n\n'
        + f"namespace {module} {{\n\n"
    )
    return with_header(text + "\n".join(body) + f"\n\n}}  // namespace {module}\n")


def _h_source(module: str, index: int, lines: int) -> str:
    name = f"{module.capitalize()}Part{index}"
    methods = "\n".join(f"  int Step{i}(int value) const;" for i in range(lines))
    text = f"/*\n@HEADER@\n */\n\n#pragma once\n\nnamespace {module} {{\n\nclass {name} {{\n public:\n{methods}\n}};\n\n}}  // namespace {module}\n"
    return with_header(text)


def _go_test(index: int) -> str:
    text = f'/*\n@HEADER@\n */\n\npackage unit\n\nimport "testing"\n\nfunc TestCase{index}(t *testing.T) {{\n\tif {index} < 0 {{\n\t\tt.Fatal("unreachable")\n\t}}\n}}\n'
    return with_header(text)


def _server_source(extra: str = "") -> str:
    text = (
        '/*\n@HEADER@\n */\n\n#include "server/server.h"\n\nnamespace server {\n\n'
        "int Server::ClientFlags(int flags) const {\n  int result = flags;\n"
        f"{extra}"
        "  return result;\n}\n\n}  // namespace server\n"
    )
    return with_header(text)


def initial_files(
    profile: Profile, files: int = 60, lines: int = 12, year: int | None = None
) -> dict[str, bytes]:
    """The project's tree at its first commit. `files` counts the generated C++ sources."""
    year = year or date.today().year
    short = profile.project.short_name
    tree: dict[str, bytes] = {}

    def put(path: str, text: str) -> None:
        tree[path] = text.encode()

    put("LICENSE", data.apache_license() + _file("LICENSE-tail"))
    put("NOTICE", _render("NOTICE", profile, year))
    put(
        "licenses/LICENSE-rocksdb.txt",
        "BSD License\n\nCopyright (c) 2011-present, Facebook, Inc.\n" + _BSD,
    )
    put("licenses/LICENSE-jemalloc.txt", "Copyright (C) 2002-present Jason Evans.\n" + _BSD)
    put("README.md", _render("README.md", profile, year))
    put(".gitignore", _file("gitignore"))
    put(".github/config/licenserc.yml", _render("licenserc.yml", profile, year))
    put(".github/workflows/ci.yml", _render("ci.yml", profile, year))
    put("CMakeLists.txt", _render("CMakeLists.txt", profile, year))
    put("Dockerfile", _render("Dockerfile", profile, year))
    put("x.py", _render("x.py.in", profile, year))
    put(profile.version_file.path, profile.version_file.unstable_value)
    put("src/main.cc", _render("main.cc", profile, year))
    put("src/version.h", _render("version.h", profile, year))
    put("src/common/sha1.h", _file("sha1.h"))
    put("src/common/sha1.cc", _file("sha1.cc"))
    put(SERVER_FILE, _server_source())
    put("tests/cppunit/main_test.cc", _render("main_test.cc", profile, year))
    put(f"{short}.conf", with_header(f"# @HEADER@\n\nbind 127.0.0.1\nport 6666\ndir /tmp/{short}\n"))
    tree["assets/logo.png"] = tiny_png(1)
    tree["assets/architecture.png"] = tiny_png(2)
    rng = random.Random(7)
    for module in MODULES:
        put(
            _module_file(module),
            _cc_source(module, 0, rng, 3).replace(f"{module}_part0.h", f"{module}.h"),
        )
    for index in range(files):
        module = MODULES[index % len(MODULES)]
        number = index // len(MODULES)
        if index % 5 == 4:
            put(f"tests/gocase/unit/{module}/{module}_{number}_test.go", _go_test(index))
        elif index % 2:
            put(f"src/{module}/{module}_part{number}.h", _h_source(module, number, lines))
        else:
            put(f"src/{module}/{module}_part{number}.cc", _cc_source(module, number, rng, lines))
    return tree


class _Writer:
    """Commits changes with fixed authors and dates, so histories are reproducible."""

    def __init__(self, project: SampleProject) -> None:
        self.project = project
        self.tick = 0

    def env(self, author: int) -> dict[str, str]:
        self.tick += 1
        when = (self.project.anchor + timedelta(hours=6 * self.tick)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        name, email = AUTHORS[author % len(AUTHORS)]
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": when,
        }

    def write(self, files: Mapping[str, str | bytes | None]) -> None:
        for path, content in files.items():
            target = self.project.path / path
            if content is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)
            if path == "x.py":
                target.chmod(0o755)

    def commit(self, change: Change) -> str:
        self.write(change.files)
        self.project.git("add", "--all")
        self.project.git("commit", "--quiet", "--message", change.message, env=self.env(change.author))
        return self.project.git("rev-parse", "HEAD")

    def cherry_pick(self, sha: str, author: int = 1) -> str:
        self.project.git("cherry-pick", "-x", sha, env=self.env(author))
        return self.project.git("rev-parse", "HEAD")

    def release(self, major: int, minor: int, patch: int) -> None:
        """A release commit on the line's branch, tagged as RC 1 and as the final release."""
        profile = self.project.profile
        version = f"{major}.{minor}.{patch}"
        self.project.git("checkout", "--quiet", profile.fmt("git.release_branch", major=major, minor=minor))
        top = profile.fmt("source.top_directory", version=version)
        message = profile.fmt("version_file.commit_message", version=version, top_directory=top)
        self.commit(Change(message, {profile.version_file.path: version}, author=0))
        env = self.env(0)
        rc_tag = profile.fmt("git.rc_tag", version=version, rc=1)
        rc_message = profile.fmt("git.rc_tag_message", version=version, rc=1)
        final_tag = profile.fmt("git.final_tag", version=version)
        self.project.git("tag", "--annotate", rc_tag, "--message", rc_message, env=env)
        self.project.git("tag", "--annotate", final_tag, "--message", f"Release {version}", env=env)
        self.project.git("checkout", "--quiet", profile.git.unstable_branch)


def create(
    dest: Path,
    profile: Profile,
    *,
    files: int = 60,
    lines: int = 12,
    anchor: datetime | None = None,
    origin: Path | None = None,
) -> SampleProject:
    """Create the sample project at dest with its history and a bare origin remote."""
    dest.mkdir(parents=True, exist_ok=True)
    origin = origin or dest.parent / f"{dest.name}-origin.git"
    anchor = anchor or datetime.combine(date.today() - timedelta(days=120), datetime.min.time(), UTC)
    project = SampleProject(dest, origin, profile, anchor)
    unstable = profile.git.unstable_branch
    proc.run(["git", "init", "--quiet", f"--initial-branch={unstable}", str(dest)])
    project.git("config", "user.name", AUTHORS[0][0])
    project.git("config", "user.email", AUTHORS[0][1])
    project.git("config", "commit.gpgsign", "false")
    project.git("config", "tag.gpgsign", "false")
    writer = _Writer(project)
    tree = initial_files(profile, files, lines)
    writer.write(tree)
    project.git("add", "--all")
    project.git("commit", "--quiet", "--message", "build: import the sample project", env=writer.env(0))

    def grow(path: str, addition: str) -> dict[str, str | None]:
        current = (dest / path).read_text()
        return {path: current + addition}

    def branch(major: int, minor: int) -> str:
        name = profile.fmt("git.release_branch", major=major, minor=minor)
        project.git("branch", name, unstable)
        return name

    steps = [
        Change(
            "feat(string): add the GETEX command (#1001)", grow(_module_file("commands"), "// GETEX\n"), 1
        ),
        Change(
            "fix(storage): avoid a crash when a column family is missing (#1002)",
            grow(_module_file("storage"), "// guard missing column family\n"),
            2,
        ),
        Change(
            "docs: describe the cluster commands (#1003)",
            grow("README.md", "\nSee the cluster commands.\n"),
            3,
        ),
    ]
    for change in steps:
        writer.commit(change)
    branch(2, 9)
    writer.release(2, 9, 0)

    steps = [
        Change("feat(hash): add HRANDFIELD (#1010)", grow(_module_file("types"), "// HRANDFIELD\n"), 2),
        Change(
            "perf(storage): batch writes in the slot migrator (#1011)",
            grow(_module_file("storage"), "// batched writes\n"),
            4,
        ),
        Change(
            "fix(server): reset the client name on RESET (#1012)",
            grow(_module_file("server"), "// reset client name\n"),
            1,
        ),
    ]
    for change in steps:
        writer.commit(change)
    line_210 = branch(2, 10)
    writer.release(2, 10, 0)

    fix_1020 = writer.commit(
        Change(
            "fix(cluster): keep the slot map after a failed import (#1020)",
            grow(_module_file("cluster"), "// keep slot map\n"),
            2,
        )
    )
    project.git("checkout", "--quiet", line_210)
    writer.cherry_pick(fix_1020)
    writer.release(2, 10, 1)

    steps = [
        Change("feat(json): support JSON.MERGE (#1021)", grow(_module_file("types"), "// JSON.MERGE\n"), 3),
        Change(
            "fix(security): reject oversized bulk strings in the parser (#1022)",
            grow(_module_file("common"), "// bound bulk length\n"),
            0,
        ),
        Change(
            "ci: cache the third-party downloads (#1023)",
            grow(".github/workflows/ci.yml", "# cache downloads\n"),
            4,
        ),
    ]
    for change in steps:
        writer.commit(change)
    fix_1024 = writer.commit(
        Change(
            "fix(replication): resume from the right sequence after a restart (#1024)",
            grow(_module_file("cluster"), "// resume sequence\n"),
            1,
        )
    )
    project.git("checkout", "--quiet", line_210)
    writer.cherry_pick(fix_1024, author=1)
    project.git("checkout", "--quiet", unstable)
    steps = [
        Change("feat(search): add FT.TAGVALS (#1025)", grow(_module_file("search"), "// FT.TAGVALS\n"), 2),
        Change("build: bump rocksdb to 9.6 (#1026)", grow("CMakeLists.txt", "# rocksdb 9.6\n"), 4),
        Change(
            "refactor(config): split the config parser (#1027)",
            grow(_module_file("config"), "// parser split\n"),
            3,
        ),
        Change("chore: tidy the gitignore (#1028)", grow(".gitignore", "*.swp\n"), 0),
    ]
    for change in steps:
        writer.commit(change)

    proc.run(["git", "init", "--quiet", "--bare", str(origin)])
    project.git("remote", "add", profile.git.remote, str(origin))
    project.git("push", "--quiet", profile.git.remote, "--all")
    project.git("push", "--quiet", profile.git.remote, "--tags")
    project.git("branch", f"--set-upstream-to={profile.git.remote}/{unstable}", unstable)
    return project


def _module_file(module: str) -> str:
    return f"src/{module}/{module}.cc"


def add_period_commits(project: SampleProject) -> dict[str, str]:
    """New commits on unstable during a cherry-pick period, pushed; returns PR number -> sha.

    Idempotent: commits already on unstable (found by their PR number) are not made again, and
    the checkout is left on the branch it was on.
    """
    profile = project.profile
    unstable = profile.git.unstable_branch
    found = _commits_by_pull_request(project, unstable)
    missing = [number for number, _ in _PERIOD if number not in found]
    if missing:
        current = project.git("rev-parse", "--abbrev-ref", "HEAD")
        project.git("checkout", "--quiet", unstable)
        writer = _Writer(project)
        for index, (number, change) in enumerate(_PERIOD):
            if number in missing:
                writer.tick = 400 + index  # after everything create() wrote; the same dates every time
                found[number] = writer.commit(change(project.path))
        if current not in ("HEAD", unstable):
            project.git("checkout", "--quiet", current)
    if project.git("rev-parse", unstable) != _remote_commit(project, unstable):
        project.git("push", "--quiet", profile.git.remote, unstable)
    return {number: found[number] for number, _ in _PERIOD}


def _commits_by_pull_request(project: SampleProject, branch: str) -> dict[str, str]:
    numbers: dict[str, str] = {}
    for line in project.git("log", "--format=%H %s", branch).splitlines():
        sha, _, subject = line.partition(" ")
        if subject.endswith(")") and "(#" in subject:
            numbers.setdefault(subject.rsplit("(#", 1)[1][:-1], sha)
    return numbers


def _remote_commit(project: SampleProject, branch: str) -> str:
    out = project.git("ls-remote", project.profile.git.remote, f"refs/heads/{branch}")
    return out.split("\t", 1)[0] if out else ""


def _grow(path: str, addition: str) -> Callable[[Path], dict[str, str | None]]:
    return lambda root: {path: (root / path).read_text() + addition}


_NO_TOUCH = "  if (flags & kNoTouch) result |= kNoTouch;\n"
_NO_TOUCH_GUARDED = "  if ((flags & kNoTouch) && !IsReplica()) result |= kNoTouch;\n"


def _period_change(
    message: str, files: Callable[[Path], dict[str, str | None]], author: int
) -> Callable[[Path], Change]:
    return lambda root: Change(message, files(root), author)


# The cherry-pick period's commits, in order: two fixes and a security fix that apply cleanly, a
# feature, a fix of that feature that conflicts unless the feature is picked, and a docs change.
_PERIOD: list[tuple[str, Callable[[Path], Change]]] = [
    (
        "1030",
        _period_change(
            "fix(storage): close iterators before the snapshot is released (#1030)",
            _grow(_module_file("storage"), "// close iterators first\n"),
            2,
        ),
    ),
    (
        "1031",
        _period_change(
            "fix(security): bound the number of arguments of a command (#1031)",
            _grow(_module_file("common"), "// bound argument count\n"),
            0,
        ),
    ),
    (
        "1032",
        _period_change(
            "feat(server): add the CLIENT NO-TOUCH flag (#1032)",
            lambda root: {SERVER_FILE: _server_source(_NO_TOUCH)},
            1,
        ),
    ),
    (
        "1033",
        _period_change(
            "fix(server): ignore CLIENT NO-TOUCH on replicas (#1033)",
            lambda root: {SERVER_FILE: _server_source(_NO_TOUCH_GUARDED)},
            3,
        ),
    ),
    (
        "1034",
        _period_change("docs: fix a typo in the README (#1034)", _grow("README.md", "\nTypo fixed.\n"), 4),
    ),
]


_BSD = """
Redistribution and use in source and binary forms, with or without modification, are permitted
provided that the following conditions are met: redistributions of source code must retain the
above copyright notice, this list of conditions and the following disclaimer; redistributions in
binary form must reproduce the above copyright notice, this list of conditions and the following
disclaimer in the documentation and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR
IMPLIED WARRANTIES ARE DISCLAIMED.
"""
