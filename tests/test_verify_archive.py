"""Hostile archives: nothing is ever written outside the work directory, each trick fails the
archive check, and limits stop the reading."""

from __future__ import annotations

import copy
import io
import subprocess
import tarfile
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.verify_fixtures import RcFactory, config_env, failing, rc_factory, run_verify, statuses, tar_gz

__all__ = ["rc_factory"]


def _member(
    name: str, data: bytes | None = b"", kind: bytes = tarfile.REGTYPE, link: str = ""
) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o644
    if kind == tarfile.REGTYPE and data is not None:
        info.size = len(data)
        return info, data
    return info, None


def _with(rc_factory: RcFactory, *extra: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    return tar_gz([*rc_factory.good_tar_members(), *extra])


@pytest.mark.parametrize(
    "trick",
    [
        "absolute path",
        "dot-dot",
        "symlink out",
        "write through a symlink",
        "hard link out",
        "device",
        "fifo",
        "duplicate",
    ],
)
def test_a_hostile_member_fails_archive_and_writes_nothing_outside(
    rc_factory: RcFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trick: str
) -> None:
    top = rc_factory.top
    outside = tmp_path / "outside"
    marker = f"asfr-escape-{uuid.uuid4().hex}"
    depth = "../" * 40
    members = {
        "absolute path": [_member(str(outside / "abs.txt"), b"pwned\n")],
        "dot-dot": [_member(f"{top}/{depth}{marker}", b"pwned\n"), _member(f"{top}/../{marker}", b"pwned\n")],
        "symlink out": [_member(f"{top}/etc", None, tarfile.SYMTYPE, str(outside))],
        "write through a symlink": [
            _member(f"{top}/out", None, tarfile.SYMTYPE, f"{depth}{outside}"),
            _member(f"{top}/out/planted.txt", b"pwned\n"),
        ],
        "hard link out": [_member(f"{top}/passwd", None, tarfile.LNKTYPE, "/etc/passwd")],
        "device": [_member(f"{top}/null", None, tarfile.CHRTYPE)],
        "fifo": [_member(f"{top}/pipe", None, tarfile.FIFOTYPE)],
        "duplicate": [_member(f"{top}/README.md", b"the second README\n")],
    }[trick]
    work_parent = tmp_path / "tmp"
    work_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work_parent))
    rc = rc_factory.build(archive=_with(rc_factory, *members))
    report = run_verify(rc_factory, rc, tmp_path, build=True, only=("archive", "headers", "build"))
    assert failing(report) == {"archive"}, statuses(report)
    assert statuses(report)["build"] == "pass"  # the tree was unpacked, safely
    assert not outside.exists()
    assert not Path("/", marker).exists() and not (tmp_path / marker).exists()
    assert list(work_parent.iterdir()) == []  # the work directory is gone


def test_a_misnamed_top_directory_fails_archive_only(rc_factory: RcFactory, tmp_path: Path) -> None:
    renamed = []
    for info, data in rc_factory.good_tar_members():
        info = copy.copy(info)
        info.name = info.name.replace(rc_factory.top, "kvrocks", 1)
        renamed.append((info, data))
    report = run_verify(rc_factory, rc_factory.build(archive=tar_gz(renamed)), tmp_path)
    assert failing(report) == {"archive"}, statuses(report)
    assert "not apache-kvrocks-2.11.0-src" in report.check("archive").findings[0].message  # type: ignore[union-attr]


def test_members_outside_the_top_directory_fail_archive(rc_factory: RcFactory, tmp_path: Path) -> None:
    rc = rc_factory.build(archive=_with(rc_factory, _member("stray/file.txt", b"x\n")))
    report = run_verify(rc_factory, rc, tmp_path)
    assert failing(report) == {"archive"}, statuses(report)


@pytest.mark.parametrize(
    ("limit", "extra"),
    [
        ({"max_members": 50}, ()),
        ({"max_unpacked_mb": 8}, ("big.bin", 20 << 20)),
        ({"max_compression_ratio": 200}, ("zeros.bin", 64 << 20)),
    ],
)
def test_limits_stop_the_reading_and_fail_archive(
    rc_factory: RcFactory, tmp_path: Path, limit: dict[str, int], extra: tuple[str, int] | tuple[()]
) -> None:
    members = []
    if extra:
        name, size = extra
        members.append(_member(f"{rc_factory.top}/{name}", bytes(size)))
    rc = rc_factory.build(archive=_with(rc_factory, *members))
    report = run_verify(rc_factory, rc, tmp_path, env=config_env(tmp_path, checks=limit))
    assert failing(report) == {"archive"}, statuses(report)
    for check in ("license", "notice", "headers", "binaries", "provenance"):
        assert statuses(report)[check] == "skip"
    assert "reading stopped" in report.check("archive").findings[-1].message  # type: ignore[union-attr]


def test_a_truncated_or_foreign_file_fails_archive(rc_factory: RcFactory, tmp_path: Path) -> None:
    good = _with(rc_factory)
    for payload in (good[: len(good) // 2], b"this is not a tar.gz at all\n" * 10):
        report = run_verify(rc_factory, rc_factory.build(archive=payload), tmp_path)
        assert failing(report) == {"archive"}, statuses(report)


# --- provenance --------------------------------------------------------------------------------
def _recorded_by_git(rc_factory: RcFactory, *extra: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    """The good members plus extra ones, in a tar.gz that records the tag's commit as git archive
    does (the pax global comment): it says git archive made it from that commit."""
    commit = subprocess.run(
        ["git", "rev-parse", f"{rc_factory.tag(1)}^{{commit}}"],
        cwd=rc_factory.repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    buffer = io.BytesIO()
    with tarfile.open(
        fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": commit}
    ) as archive:
        for info, data in [*rc_factory.good_tar_members(), *extra]:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def test_an_extra_file_fails_where_git_archive_cannot_have_put_it(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    planted = _member(f"{rc_factory.top}/extra.txt", b"not in git\n")
    report = run_verify(rc_factory, rc_factory.build(archive=_recorded_by_git(rc_factory, planted)), tmp_path)
    assert failing(report) == {"provenance"}, statuses(report)
    finding = report.check("provenance").findings[0]  # type: ignore[union-attr]
    assert (finding.path, finding.level.value) == ("extra.txt", "fail")
    assert "git archive made it from" in finding.hint


def test_an_extra_file_of_another_tool_warns_and_generated_ones_are_notes(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    """Without git archive's record the archive was rolled some other way: real releases ship
    files generated then (configure, libtool's scripts), which never fail."""
    archive = _with(
        rc_factory,
        _member(f"{rc_factory.top}/extra.txt", b"not in git\n"),
        _member(f"{rc_factory.top}/configure", b"#! /bin/sh\n"),
        _member(f"{rc_factory.top}/build/ltmain.sh", b"# libtool\n"),
    )
    report = run_verify(rc_factory, rc_factory.build(archive=archive), tmp_path, only=("provenance",))
    assert report.verdict == "pass", statuses(report)
    provenance = report.check("provenance")
    assert provenance is not None and provenance.status.value == "warn"
    levels = {f.path: f.level.value for f in provenance.findings}
    assert levels["extra.txt"] == "warn"
    assert levels["configure"] == levels["build/ltmain.sh"] == "note"
    rebuilt = next(f for f in provenance.findings if f.path == rc_factory.artifact)
    assert rebuilt.level.value == "note" and "first difference at byte" in rebuilt.message


def test_a_changed_file_fails_provenance(rc_factory: RcFactory, tmp_path: Path) -> None:
    changed = []
    for info, data in rc_factory.good_tar_members():
        if info.name.endswith("/README.md") and data is not None:
            data = data + b"changed after tagging\n"
            info = copy.copy(info)
            info.size = len(data)
        changed.append((info, data))
    report = run_verify(rc_factory, rc_factory.build(archive=tar_gz(changed)), tmp_path)
    assert failing(report) == {"provenance"}, statuses(report)
    messages = [f.message for f in report.check("provenance").findings]  # type: ignore[union-attr]
    assert any("differs from the file in v2.11.0-rc1" in m for m in messages)
    assert any("first difference at byte" in m for m in messages)


def test_a_missing_file_warns(rc_factory: RcFactory, tmp_path: Path) -> None:
    kept = [(i, d) for i, d in rc_factory.good_tar_members() if not i.name.endswith("/README.md")]
    report = run_verify(rc_factory, rc_factory.build(archive=tar_gz(kept)), tmp_path)
    assert failing(report) == set(), statuses(report)
    assert statuses(report)["provenance"] == "warn"


def test_an_unreachable_repository_skips_without_git_and_fails_with_it(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    rc = rc_factory.build()
    env = config_env(tmp_path, project={"repository_url": "http://127.0.0.1:9/nowhere.git"})
    report = run_verify(rc_factory, rc, tmp_path, git=None, env=env)
    provenance = report.check("provenance")
    assert provenance is not None and provenance.status.value == "skip" and "--git" in provenance.summary
    not_a_repo = tmp_path / "empty"
    not_a_repo.mkdir()
    report = run_verify(rc_factory, rc, tmp_path, git=not_a_repo)
    assert failing(report) == {"provenance"}, statuses(report)
    report = run_verify(rc_factory, rc, tmp_path, tag="v9.9.9-rc9")
    assert failing(report) == {"provenance"}, statuses(report)


def test_a_file_where_a_directory_goes_is_reported_not_crashed_on(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    top = rc_factory.top
    rc = rc_factory.build(
        archive=_with(rc_factory, _member(f"{top}/clash", b"a file\n"), _member(f"{top}/clash/inner", b"x\n"))
    )
    report = run_verify(rc_factory, rc, tmp_path, build=True, only=("archive", "build"))
    archive = report.check("archive")
    assert archive is not None and archive.status.value == "fail"
    assert any("could not be unpacked" in f.message for f in archive.findings)
