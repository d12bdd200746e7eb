"""package writes the format the artifact's name asks for: each one verified with no warning from
archive or provenance, made again with the same bytes, and made again by hand from the commands
the dry run prints."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from asf_release.adapters.gitarchive import GZIP, XZ, archive_argv
from asf_release.errors import ToolNotFound
from asf_release.verify.tarstream import sniff
from tests.release_fixtures import VERSION, Release, keyed, release

__all__ = ["keyed", "release"]

TOP = f"kvrocks-{VERSION}"  # another top directory than the profile's, set with the name
FORMATS = [(".tar.gz", "gzip"), (".tgz", "gzip"), (".zip", "zip"), (".tar.bz2", "bzip2"), (".tar.xz", "xz")]


def _name_the_artifact(release: Release, suffix: str) -> str:
    """The project's asf-release.toml names its artifact and top directory (left untracked)."""
    (release.project / "asf-release.toml").write_text(
        'profile = "kvrocks"\n\n[source]\n'
        f'artifact = "apache-kvrocks-{{version}}-src{suffix}"\n'
        'top_directory = "kvrocks-{version}"\n'
    )
    return f"apache-kvrocks-{VERSION}-src{suffix}"


def _printed_commands(release: Release) -> list[list[str]]:
    """The `$ ...` lines of the dry run, split as a shell would split them."""
    done = release.cli("package", VERSION, "--dry-run")
    assert done.returncode == 0, done.stdout + done.stderr
    return [
        shlex.split(line.strip()[2:]) for line in done.stdout.splitlines() if line.strip().startswith("$ ")
    ]


def _members(path: Path, kind: str) -> list[str]:
    """The names a plain tool lists (GNU tar finds the compression by itself)."""
    if kind == "zip":
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    return subprocess.run(
        ["tar", "-tf", str(path)], capture_output=True, text=True, check=True
    ).stdout.split()


@pytest.mark.parametrize(("suffix", "kind"), FORMATS)
def test_each_format_is_packaged_checked_and_made_again_by_hand(
    keyed: Release, suffix: str, kind: str
) -> None:
    name = _name_the_artifact(keyed, suffix)
    done = keyed.cli("package", VERSION, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    facts = json.loads(done.stdout)["facts"]
    artifact = keyed.out / name
    made = artifact.read_bytes()
    assert sniff(made[:512]) == kind and facts["artifacts"][0]["name"] == name
    assert f"{TOP}/src/VERSION.txt" in _members(artifact, kind)
    assert facts["checks"]["archive"] == facts["checks"]["provenance"] == "pass"

    report = keyed.cli("verify", str(keyed.out), "--no-build", "--only", "archive,provenance", "--json")
    assert report.returncode == 0, report.stdout + report.stderr
    checks = {c["id"]: c for c in json.loads(report.stdout)["checks"]}
    for check in ("archive", "provenance"):
        assert [f for f in checks[check]["findings"] if f["level"] != "note"] == [], checks[check]
    assert any("byte for byte identical" in f["message"] for f in checks["provenance"]["findings"])

    # by hand, from the dry run's commands: the same archive and checksum, a good signature
    for path in keyed.out.iterdir():
        path.unlink()
    commands = _printed_commands(keyed)
    archive = next(argv for argv in commands if "archive" in argv and argv[0] == "git")
    sign = next(argv for argv in commands if argv[0] == "gpg")
    shasum = next(argv for argv in commands if argv[0] == "shasum")
    env = keyed.sandbox.env()
    subprocess.run(archive, cwd=keyed.project, env=env, check=True)
    assert artifact.read_bytes() == made
    subprocess.run(["gpg", "--batch", *sign[1:]], cwd=keyed.project, env=env, check=True, capture_output=True)
    verified = subprocess.run(
        ["gpg", "--batch", "--verify", f"{artifact}.asc", str(artifact)],
        env=env,
        capture_output=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    by_hand = subprocess.run(shasum, cwd=keyed.out, capture_output=True, text=True, check=True).stdout
    assert by_hand == f"{facts['artifacts'][0]['sha512']}  {name}\n"

    # and package again on the same commit: the same bytes once more
    shutil.rmtree(keyed.out)
    again = keyed.cli("package", VERSION, "--json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert artifact.read_bytes() == made
    assert json.loads(again.stdout)["facts"]["commit"] == facts["commit"]


def test_a_compressed_tar_is_git_archives_tar_through_the_documented_compressor(keyed: Release) -> None:
    """The plain pipe the dry run names beside its command gives the same bytes."""
    name = _name_the_artifact(keyed, ".tar.xz")
    assert keyed.cli("package", VERSION).returncode == 0
    tag = f"v{VERSION}-rc1"
    piped = subprocess.run(
        f"git archive --format=tar --prefix={TOP}/ {tag} | xz -6 --threads=1 -c",
        shell=True,
        cwd=keyed.project,
        capture_output=True,
        check=True,
    ).stdout
    assert piped == (keyed.out / name).read_bytes()
    (keyed.out / name).unlink()
    dry = keyed.cli("package", VERSION, "--dry-run").stdout
    assert f"git archive --format=tar --prefix={TOP}/ {tag} | xz -6 --threads=1 -c > {name}" in dry


@pytest.mark.parametrize("suffix", [".tar.zst", ".7z", ".tar", "-src"])
def test_a_name_package_cannot_write_is_refused_before_anything_is_done(keyed: Release, suffix: str) -> None:
    _name_the_artifact(keyed, suffix)
    refs = keyed.git("show-ref")
    for args in (("--dry-run",), ()):
        done = keyed.cli("package", VERSION, *args)
        assert done.returncode == 2, done.stdout + done.stderr
        assert f"apache-kvrocks-{VERSION}-src{suffix} ends in no format package can write" in done.stderr
        assert ".tar.gz, .tgz, .zip, .tar.bz2, .tar.xz" in done.stderr
    assert keyed.git("show-ref") == refs and not keyed.out.exists()


def test_a_missing_compressor_is_named_with_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(ToolNotFound) as raised:
        archive_argv("v1", "top/", XZ)
    assert "'xz' is not installed" in raised.value.message and "apt-get install xz-utils" in str(
        raised.value.hint
    )
    assert archive_argv("v1", "top/", GZIP)[:3] == ["git", "archive", "--format=tar.gz"]  # git's own
