"""RCs built by hand, the way a person does without asf-release: `git archive`, `gpg --armor
--detach-sign`, `shasum -a 512`. An independent oracle for `verify`, with keys of every kind and
a way to plant one defect into an otherwise good RC."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from asf_release import profile as profile_module
from asf_release.context import Context
from asf_release.profile import Profile
from asf_release.sandbox import sample_project
from asf_release.verify import Report, VerifyRequest, verify
from tests.conftest import short_dir

VERSION = "2.11.0"
GOOD_RC = 1
# role -> (user id, algorithm); every key signs only
KEY_ROLES = {
    "good": ("Riley Release <rm@apache.org>", "ed25519"),
    "rsa4096": ("Four Kay <fourk@apache.org>", "rsa4096"),
    "rsa2048": ("Two Kay <twok@apache.org>", "rsa2048"),
    "rsa1024": ("One Kay <onek@apache.org>", "rsa1024"),
    "expired": ("Old Timer <old@apache.org>", "ed25519"),
    "revoked": ("Re Voked <revoked@apache.org>", "ed25519"),
    "noapache": ("Pat Example <pat@example.org>", "ed25519"),
    "outsider": ("Out Sider <out@apache.org>", "ed25519"),
}
PAST = "20200101T000000"  # the expired key lives (and signs) in 2020


def _git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return done.stdout.strip()


@dataclass
class Keyring:
    home: Path  # the signers' GnuPG home (no key revoked there, so each can still sign)
    keys_file: Path  # KEYS: every key but the outsider's, the revoked one with its revocation
    fingerprints: dict[str, str] = field(default_factory=dict)

    def gpg(self, *args: str, cwd: Path | None = None) -> None:
        subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--yes", *args],
            cwd=cwd,
            check=True,
            capture_output=True,
        )

    def sign(self, path: Path, role: str = "good", *, digest: str | None = None, armor: bool = True) -> Path:
        output = path.with_name(path.name + (".asc" if armor else ".sig"))
        args = ["--local-user", self.fingerprints[role], "--detach-sign", "--output", str(output)]
        if armor:
            args.insert(0, "--armor")
        if digest:
            args = ["--digest-algo", digest, *args]
        if role == "expired":
            args = ["--faked-system-time", "20200601T000000", *args]
        self.gpg(*args, str(path))
        return output


def make_keyring(base: Path) -> Keyring:
    home = base / "signers"
    home.mkdir(mode=0o700)
    ring = Keyring(home, base / "KEYS")
    for role, (uid, algorithm) in KEY_ROLES.items():
        args = ["--pinentry-mode", "loopback", "--passphrase", "", "--status-fd", "1"]
        expire = "never"
        if role == "expired":
            args += ["--faked-system-time", PAST]
            expire = "1y"
        done = subprocess.run(
            [
                "gpg",
                "--homedir",
                str(home),
                "--batch",
                *args,
                "--quick-gen-key",
                uid,
                algorithm,
                "sign",
                expire,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        ring.fingerprints[role] = next(
            line.split()[3] for line in done.stdout.splitlines() if "KEY_CREATED" in line
        )
    # KEYS is exported from a second home where the revoked key carries its revocation
    publish = base / "publish"
    publish.mkdir(mode=0o700)
    wanted = [fpr for role, fpr in ring.fingerprints.items() if role != "outsider"]
    exported = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--armor", "--export", *wanted],
        check=True,
        capture_output=True,
    ).stdout
    revocation = (home / "openpgp-revocs.d" / f"{ring.fingerprints['revoked']}.rev").read_text()
    revocation = revocation.replace(":-----BEGIN PGP PUBLIC KEY BLOCK", "-----BEGIN PGP PUBLIC KEY BLOCK")
    for data in (exported, revocation.encode()):
        subprocess.run(
            ["gpg", "--homedir", str(publish), "--batch", "--import"],
            input=data,
            check=True,
            capture_output=True,
        )
    keys = subprocess.run(
        ["gpg", "--homedir", str(publish), "--batch", "--armor", "--export"], check=True, capture_output=True
    ).stdout
    ring.keys_file.write_bytes(b"This file holds the keys of the release managers.\n\n" + keys)
    subprocess.run(["gpgconf", "--homedir", str(publish), "--kill", "all"], check=False)
    return ring


@dataclass
class RcFactory:
    """The sample project with a good RC tag, and RC directories built from it (or from a tag
    carrying one planted defect)."""

    repo: Path
    base: Path
    keyring: Keyring
    profile: Profile
    good_commit: str
    counter: int = GOOD_RC

    @property
    def top(self) -> str:
        return self.profile.fmt("source.top_directory", version=VERSION)

    @property
    def artifact(self) -> str:
        return self.profile.fmt("source.artifact", version=VERSION)

    def tag(self, rc: int) -> str:
        return self.profile.fmt("git.rc_tag", version=VERSION, rc=rc)

    def defect_tag(self, files: Mapping[str, bytes | None], *, executable: tuple[str, ...] = ()) -> int:
        """A new RC tag: the good RC's commit plus one commit changing files (None deletes)."""
        self.counter += 1
        rc = self.counter
        work = self.base / f"work-{rc}"
        _git(self.repo, "worktree", "add", "--quiet", "--detach", str(work), self.good_commit)
        for path, data in files.items():
            target = work / path
            if data is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            if path in executable:
                target.chmod(0o755)
        _git(work, "add", "--all")
        _git(work, "commit", "--quiet", "--message", f"plant a defect for rc{rc}")
        _git(work, "tag", "--annotate", self.tag(rc), "--message", f"rc{rc}")
        _git(self.repo, "worktree", "remove", "--force", str(work))
        return rc

    def build(
        self,
        rc: int = GOOD_RC,
        *,
        signer: str = "good",
        digest: str | None = None,
        checksum: str = "shasum",
        archive: bytes | None = None,
    ) -> Path:
        """An RC directory as a person makes it: git archive, gpg, shasum."""
        dest = self.base / f"rc-{rc}-{len(list(self.base.glob('rc-*')))}"
        dest.mkdir()
        artifact = dest / self.artifact
        if archive is None:
            with artifact.open("wb") as out:
                subprocess.run(
                    ["git", "archive", "--format=tar.gz", f"--prefix={self.top}/", self.tag(rc)],
                    cwd=self.repo,
                    stdout=out,
                    check=True,
                )
        else:
            artifact.write_bytes(archive)
        self.keyring.sign(artifact, signer, digest=digest)
        with (dest / f"{artifact.name}.sha512").open("w") as out:
            argv = (
                ["shasum", "-a", "512", artifact.name]
                if checksum == "shasum"
                else ["sha512sum", artifact.name]
            )
            subprocess.run(argv, cwd=dest, stdout=out, check=True)
        return dest

    def good_tar_members(self) -> list[tuple[tarfile.TarInfo, bytes | None]]:
        """The good RC's members, for building hostile archives by hand."""
        data = subprocess.run(
            ["git", "archive", "--format=tar", f"--prefix={self.top}/", self.tag(GOOD_RC)],
            cwd=self.repo,
            check=True,
            capture_output=True,
        ).stdout
        members = []
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for info in archive.getmembers():
                handle = archive.extractfile(info) if info.isfile() else None
                members.append((info, handle.read() if handle else None))
        return members


def tar_gz(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def rc_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RcFactory]:
    base = tmp_path_factory.mktemp("rcs")
    profile = profile_module.load(None, env={})
    project = sample_project.create(base / "project", profile, files=40)
    repo = project.path
    release_branch = profile.fmt("git.release_branch", major=2, minor=10)
    _git(repo, "checkout", "--quiet", release_branch)
    (repo / profile.version_file.path).write_text(VERSION)
    top = profile.fmt("source.top_directory", version=VERSION)
    _git(repo, "commit", "--quiet", "--all", "--message", f"release: prepare source release {top}")
    _git(
        repo, "tag", "--annotate", profile.fmt("git.rc_tag", version=VERSION, rc=GOOD_RC), "--message", "rc1"
    )
    commit = _git(repo, "rev-parse", "HEAD")
    gnupg = short_dir("asfr-vk-")
    keyring = make_keyring(gnupg)
    yield RcFactory(repo, base, keyring, profile, commit)
    subprocess.run(["gpgconf", "--homedir", str(keyring.home), "--kill", "all"], check=False)
    shutil.rmtree(gnupg, ignore_errors=True)


def config_env(tmp_path: Path, **sections: dict[str, object]) -> dict[str, str]:
    """An environment whose personal config sets the given keys (build tools, limits...)."""
    import json

    lines = []
    for section, values in {"build": {"required_tools": ["python3", "g++"]}, **sections}.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path = tmp_path / "personal.toml"
    path.write_text("\n".join(lines) + "\n")
    return {**os.environ, profile_module.USER_CONFIG_ENV: str(path)}


def run_verify(
    factory: RcFactory,
    source: Path | str,
    tmp_path: Path,
    *,
    rc: int | None = GOOD_RC,
    build: bool = False,
    env: Mapping[str, str] | None = None,
    **options: object,
) -> Report:
    ctx = Context.load(tmp_path, env=env or config_env(tmp_path))
    git = options.pop("git", factory.repo)
    request = VerifyRequest(
        source=str(source),
        rc=rc,
        keys=str(options.pop("keys", factory.keyring.keys_file)),
        git=str(git) if git is not None else None,
        build=build,
        **options,  # type: ignore[arg-type]
    )
    return verify(ctx, request)


def statuses(report: Report) -> dict[str, str]:
    return {check.id: check.status.value for check in report.checks}


def failing(report: Report) -> set[str]:
    return {check.id for check in report.checks if check.status.value == "fail"}


# compiled code, as the binaries check must see it: a 64-bit ELF executable, a jar holding a class
ELF = b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(44)


def jar_with_a_class() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        jar.writestr("org/example/Tool.class", b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(32))
    return buffer.getvalue()
