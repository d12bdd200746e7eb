"""verify on what Apache projects actually ship, and for a voter who has set nothing up: every
archive format, .asc files holding several signatures, --profile, the artifacts found by their
.asc, the top directory judged against the artifact's name, a bare --git, and no pass when
nothing was checked."""

from __future__ import annotations

import bz2
import json
import lzma
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.verify_fixtures import GOOD_RC, VERSION, RcFactory, config_env, rc_factory, run_verify, statuses

__all__ = ["rc_factory"]

NOT_BUILT = ("artifacts", "checksums", "signatures", "archive", "binaries", "provenance")


def _git_archive(factory: RcFactory, fmt: str, prefix: str | None = None) -> bytes:
    top = prefix if prefix is not None else factory.top
    return subprocess.run(
        ["git", "archive", f"--format={fmt}", f"--prefix={top}/", factory.tag(GOOD_RC)],
        cwd=factory.repo,
        check=True,
        capture_output=True,
    ).stdout


def _rc_dir(factory: RcFactory, base: Path, name: str, data: bytes, *signers: str) -> Path:
    """An RC directory holding one artifact, its .asc (one signature per signer, concatenated as
    Subversion ships them) and its .sha512, made with the plain tools."""
    base.mkdir(parents=True, exist_ok=True)
    artifact = base / name
    artifact.write_bytes(data)
    blocks = []
    for signer in signers or ("good",):
        one = factory.keyring.sign(artifact, signer)
        blocks.append(one.read_bytes())
        one.unlink()
    (base / f"{name}.asc").write_bytes(b"".join(blocks))
    digest = subprocess.run(["sha512sum", name], cwd=base, check=True, capture_output=True, text=True)
    (base / f"{name}.sha512").write_text(digest.stdout)
    return base


def _env_for(tmp_path: Path, artifact: str) -> dict[str, str]:
    return config_env(tmp_path, source={"artifact": artifact})


@pytest.mark.parametrize(
    ("suffix", "fmt", "settings"),
    [
        (".tar.bz2", "bzip2", "package's"),
        (".tar.xz", "xz", "package's"),
        (".tar.bz2", "bzip2", "other"),
        (".tar.xz", "xz", "other"),
        (".zip", "zip", "package's"),
        (".tgz", "gzip", "package's"),
    ],
)
def test_an_rc_in_each_format_passes(
    rc_factory: RcFactory, tmp_path: Path, suffix: str, fmt: str, settings: str
) -> None:
    """bzip2 -9 and xz -6 on one thread are also Python's defaults (the same libraries): such an
    archive is byte for byte what package makes; other settings differ only in compression."""
    tar = _git_archive(rc_factory, "tar")
    other = settings == "other"
    data = {
        "bzip2": lambda: bz2.compress(tar, 1 if other else 9),
        "xz": lambda: lzma.compress(tar, preset=(1 if other else 6)),
        "zip": lambda: _git_archive(rc_factory, "zip"),
        "gzip": lambda: _git_archive(rc_factory, "tar.gz"),
    }[fmt]()
    name = f"apache-sample-{VERSION}-src{suffix}"
    rc = _rc_dir(rc_factory, tmp_path / "rc", name, data)
    report = run_verify(
        rc_factory,
        rc,
        tmp_path,
        env=_env_for(tmp_path, f"apache-sample-{{version}}-src{suffix}"),
        only=NOT_BUILT,
    )
    assert report.verdict == "pass", statuses(report)
    archive = report.check("archive")
    assert archive is not None and archive.summary.startswith(fmt)
    provenance = report.check("provenance")
    assert provenance is not None and provenance.status.value == "pass"
    rebuilt = " ".join(f.message for f in provenance.findings)
    if other:
        assert "the tar inside is identical" in rebuilt and "other compression settings" in rebuilt
    else:
        assert "byte for byte identical" in rebuilt


def test_a_tar_gz_that_holds_xz_is_read_as_xz_and_warned(rc_factory: RcFactory, tmp_path: Path) -> None:
    rc = rc_factory.build(archive=lzma.compress(_git_archive(rc_factory, "tar")))
    report = run_verify(rc_factory, rc, tmp_path, only=NOT_BUILT)
    assert report.verdict == "pass", statuses(report)
    archive = report.check("archive")
    assert archive is not None and archive.status.value == "warn"
    assert any("holds xz data" in f.message for f in archive.findings)


@pytest.mark.parametrize(
    ("signers", "status", "needle"),
    [
        (("good", "rsa4096", "noapache"), "warn", "holds 3 signatures, 3 of them good"),
        (("good", "outsider"), "fail", "not in KEYS"),
    ],
)
def test_an_asc_with_several_signatures_verifies_only_when_each_does(
    rc_factory: RcFactory, tmp_path: Path, signers: tuple[str, ...], status: str, needle: str
) -> None:
    name = rc_factory.artifact
    rc = _rc_dir(rc_factory, tmp_path / "rc", name, _git_archive(rc_factory, "tar.gz"), *signers)
    report = run_verify(rc_factory, rc, tmp_path, only=("signatures",))
    result = report.check("signatures")
    assert result is not None and result.status.value == status
    messages = [f.message for f in result.findings]
    assert any(needle in m for m in messages), messages
    good = [m for m in messages if m.startswith("good signature by")]
    assert len(good) == (3 if status == "warn" else 1)  # each good signer is named
    assert "Riley Release" in " ".join(good)


def test_one_bad_signature_among_good_ones_fails(rc_factory: RcFactory, tmp_path: Path) -> None:
    name = rc_factory.artifact
    rc = _rc_dir(rc_factory, tmp_path / "rc", name, _git_archive(rc_factory, "tar.gz"), "good")
    other = tmp_path / "other"
    other.write_bytes(b"other bytes")
    bad = rc_factory.keyring.sign(other, "rsa4096").read_bytes()
    asc = rc / f"{name}.asc"
    asc.write_bytes(asc.read_bytes() + bad)
    report = run_verify(rc_factory, rc, tmp_path, only=("signatures",))
    result = report.check("signatures")
    assert result is not None and result.status.value == "fail"
    messages = [f.message for f in result.findings]
    assert any("BAD signature" in m for m in messages) and any("good signature" in m for m in messages)


def test_verify_with_a_profile_file_outside_any_checkout(rc_factory: RcFactory, tmp_path: Path) -> None:
    name = f"example-{VERSION}-source-release.zip"
    rc = _rc_dir(rc_factory, tmp_path / "rc", name, _git_archive(rc_factory, "zip", f"example-{VERSION}"))
    profile = tmp_path / "example.toml"
    profile.write_text(
        '[project]\nproduct = "Apache Example"\n'
        '[source]\nartifact = "example-{version}-source-release.zip"\ntop_directory = "example-{version}"\n'
    )
    args = ["verify", str(rc), "--keys", str(rc_factory.keyring.keys_file), "--no-build", "--json"]
    done = run_cli(*args, "--profile", str(profile), cwd=tmp_path, env=config_env(tmp_path))
    report = json.loads(done.stdout)
    assert report["profile"] == "generic" and report["version"] == VERSION, report
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["artifacts"]["status"] == "pass" and checks["archive"]["status"] == "pass"
    assert "zip" in checks["archive"]["summary"]
    assert done.returncode == (1 if report["verdict"] == "fail" else 0)
    wrong = run_cli(
        *args, "--profile", str(tmp_path / "missing.toml"), cwd=tmp_path, env=config_env(tmp_path)
    )
    assert wrong.returncode == 2 and "neither a built-in profile nor a profile file" in wrong.stderr
    named = run_cli(*args, "--profile", "kvrocks", cwd=tmp_path, env=config_env(tmp_path))
    assert json.loads(named.stdout)["profile"] == "kvrocks"
    assert "no file is named like an artifact" in named.stdout  # Kvrocks' names, as asked


def test_without_profile_or_checkout_the_signed_files_are_the_artifacts(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    name = f"apache-example-{VERSION}-src.tar.gz"
    rc = _rc_dir(
        rc_factory, tmp_path / "rc", name, _git_archive(rc_factory, "tar.gz", f"apache-example-{VERSION}")
    )
    (rc / "README.txt").write_text("how to verify\n")
    done = run_cli(
        "verify", str(rc), "--keys", str(rc_factory.keyring.keys_file), "--no-build", "--json",
        cwd=tmp_path, env=config_env(tmp_path),
    )  # fmt: skip
    report = json.loads(done.stdout)
    assert report["profile"] == "generic" and report["version"] == VERSION
    checks = {c["id"]: c for c in report["checks"]}
    assert (
        checks["artifacts"]["summary"].startswith("1 artifact(s)") and name in checks["artifacts"]["summary"]
    )
    assert any("unexpected file" in f["message"] for f in checks["artifacts"]["findings"])
    assert checks["signatures"]["status"] == "pass"
    assert checks["archive"]["status"] == "pass"  # apache-example-X-src.tar.gz holds apache-example-X
    assert checks["provenance"]["status"] == "skip"  # no tag to compare with
    assert checks["build"]["status"] == "skip"


def test_a_top_directory_unlike_the_artifact_name_only_warns_without_a_profile(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    name = f"apache-example-{VERSION}.tar.gz"
    rc = _rc_dir(rc_factory, tmp_path / "rc", name, _git_archive(rc_factory, "tar.gz", "something-else"))
    ctx_env = config_env(tmp_path)
    done = run_cli(
        "verify", str(rc), "--keys", str(rc_factory.keyring.keys_file), "--only", "archive", "--json",
        cwd=tmp_path, env=ctx_env,
    )  # fmt: skip
    archive = json.loads(done.stdout)["checks"][0]
    assert archive["status"] == "warn"
    assert "does not match the artifact's name" in archive["findings"][0]["message"]
    assert done.returncode == 0


def test_a_bare_repository_serves_provenance(rc_factory: RcFactory, tmp_path: Path) -> None:
    bare = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "--quiet", "--mirror", str(rc_factory.repo), str(bare)], check=True)
    report = run_verify(rc_factory, rc_factory.build(), tmp_path, git=bare, only=("provenance",))
    result = report.check("provenance")
    assert result is not None and result.status.value == "pass", result
    assert str(bare) in result.summary


def test_a_run_where_every_check_was_skipped_is_incomplete_not_pass(
    rc_factory: RcFactory, tmp_path: Path
) -> None:
    rc = rc_factory.build()
    report = run_verify(rc_factory, rc, tmp_path, only=("build", "tests"))
    assert report.verdict == "incomplete" and not report.passed
    done = run_cli(
        "verify", str(rc), "--keys", str(rc_factory.keyring.keys_file), "--only", "build,tests",
        "--no-build", "--reply", cwd=tmp_path, env=config_env(tmp_path),
    )  # fmt: skip
    assert done.returncode == 1
    assert "INCOMPLETE" in done.stderr
    assert done.stdout.startswith("(no vote yet")


def test_a_bare_version_without_a_profile_says_what_to_give(tmp_path: Path) -> None:
    done = run_cli("verify", "2.11.0", "--rc", "1", cwd=tmp_path)
    assert done.returncode == 2
    assert "names no dist.dev_url" in done.stderr and "--profile" in done.stderr
