"""provenance file by file, on a real git repository: what git archive writes (the tag's
.gitattributes), Subversion's expanded keywords, files release tooling generates, and a file that
git archive cannot have put in an archive that says git archive made it."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asf_release.adapters.git import Git
from asf_release.checks.provenance_files import _collapsed, compare
from asf_release.verify.model import Finding
from asf_release.verify.scan import ArchiveScan, ScanOptions, scan
from asf_release.verify.tarstream import Limits

LIMITS = Limits(max_members=1000, max_unpacked=64 << 20, max_ratio=200)
TAG = "1.0.0"
TOP = "demo-1.0.0"
FILES = {
    ".gitattributes": b"*.cmd text eol=crlf\nprivate.txt export-ignore\n",
    "run.cmd": b"@echo off\nrem one\n",
    "README": b"Demo\n$LastChangedDate$\n$Rev$\n",
    "configure.ac": b"AC_INIT([demo], [1.0.0])\n",
    "Makefile.am": b"bin_PROGRAMS = demo\n",
    "build/rpm/demo.spec.in": b"Version: @VERSION@\n",
    "private.txt": b"kept out of archives\n",
    "src/main.c": b"int main(void) { return 0; }\n",
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    _git(root, "init", "--quiet")
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    _git(root, "add", ".")
    _git(root, "-c", "user.name=RM", "-c", "user.email=rm@apache.org", "commit", "--quiet", "-m", "release")
    _git(root, "tag", TAG)
    return root


def _released(repo: Path, changes: dict[str, bytes], comment: str | None = None) -> bytes:
    """git archive's tar of the tag with changes applied (a file set, or removed when empty),
    compressed again by Python: rolled by another tool, unless `comment` records a commit."""
    tar = subprocess.run(
        ["git", "archive", "--format=tar", f"--prefix={TOP}/", TAG], cwd=repo, capture_output=True, check=True
    ).stdout
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        for info in archive.getmembers():
            handle = archive.extractfile(info) if info.isfile() else None
            if handle is not None:
                files[info.name.removeprefix(f"{TOP}/")] = handle.read()
    files.update(changes)
    buffer = io.BytesIO()
    headers = {"comment": comment} if comment else {}
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers=headers) as out:
        for name, data in sorted(files.items()):
            if data:
                info = tarfile.TarInfo(f"{TOP}/{name}")
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _judge(repo: Path, data: bytes, tmp_path: Path) -> dict[str, Finding]:
    path = tmp_path / "demo-1.0.0.tar.gz"
    path.write_bytes(data)
    found: ArchiveScan = scan(
        path.name, iter([data]), ScanOptions(top=TOP, limits=LIMITS, spool_dir=tmp_path)
    )
    commit = _git(repo, "rev-parse", f"{TAG}^{{commit}}")
    return {f.path: f for f in compare(Git(repo), TAG, commit, found, path, LIMITS)}


def test_a_release_rolled_from_subversion_with_autotools_fails_nothing(repo: Path, tmp_path: Path) -> None:
    expanded = b"Demo\n$LastChangedDate: 2022-03-31 13:42:40 +0000 (Thu, 31 Mar 2022) $\n$Rev: 1899463 $\n"
    findings = _judge(
        repo,
        _released(
            repo,
            {
                "README": expanded,
                "configure": b"#! /bin/sh\n",
                "Makefile.in": b"# automake\n",
                "include/config.h.in": b"#undef HAVE_X\n",
                "demo.spec": b"Version: 1.0.0\n",
                "build-outputs.mk": b"# a script of the project\n",
            },
        ),
        tmp_path,
    )
    levels = {path: f.level.value for path, f in findings.items()}
    assert levels == {
        "README": "note",  # only its keywords are expanded
        "configure": "note",
        "Makefile.in": "note",  # Makefile.am is in the tag: automake
        "include/config.h.in": "note",  # configure.ac is in the tag: autoheader
        "demo.spec": "note",  # build/rpm/demo.spec.in is in the tag
        "build-outputs.mk": "warn",  # nothing in the tag says what made it
    }, levels
    # run.cmd has CRLF endings and private.txt is export-ignore'd: as git archive writes them
    assert "run.cmd" not in findings and "private.txt" not in findings


def test_a_real_change_beside_expanded_keywords_fails(repo: Path, tmp_path: Path) -> None:
    changed = b"Demo, changed\n$LastChangedDate: 2022-03-31 $\n$Rev$\n"
    findings = _judge(repo, _released(repo, {"README": changed}), tmp_path)
    assert findings["README"].level.value == "fail"
    as_stored = _judge(repo, _released(repo, {"run.cmd": FILES["run.cmd"]}), tmp_path)
    assert "run.cmd" not in as_stored  # the blob as git stores it is the tag's file too
    crlf_and_more = _judge(repo, _released(repo, {"run.cmd": b"@echo off\r\nrem two\r\n"}), tmp_path)
    assert crlf_and_more["run.cmd"].level.value == "fail"


def test_a_missing_file_warns_unless_git_archive_leaves_it_out(repo: Path, tmp_path: Path) -> None:
    findings = _judge(repo, _released(repo, {"src/main.c": b""}), tmp_path)
    assert findings["src/main.c"].level.value == "warn" and "private.txt" not in findings


def test_an_extra_file_in_an_archive_git_archive_made_fails(repo: Path, tmp_path: Path) -> None:
    commit = _git(repo, "rev-parse", f"{TAG}^{{commit}}")
    findings = _judge(repo, _released(repo, {"configure": b"#! /bin/sh\n"}, comment=commit), tmp_path)
    assert findings["configure"].level.value == "fail"  # even a generated name: git cannot add it
    assert commit[:12] in findings["configure"].hint


@settings(max_examples=60, derandomize=True, deadline=None)
@given(value=st.text(alphabet=st.characters(blacklist_characters="$\n", codec="utf-8"), max_size=40))
def test_an_expanded_keyword_collapses_to_the_unexpanded_one(value: str) -> None:
    expanded = f"x $Id: {value} $ y\n".encode()
    assert _collapsed(expanded) == b"x $Id$ y\n"
    assert _collapsed(_collapsed(expanded)) == _collapsed(expanded)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(data=st.binary(max_size=200))
def test_collapsing_any_bytes_never_raises_and_is_stable(data: bytes) -> None:
    once = _collapsed(data)
    assert _collapsed(once) == once and len(once) <= len(data)
