"""keys create and keys publish with the real gpg and a real keyserver: Debian's SKS, on 127.0.0.1.

The passphrase travels the way it does for a person: gpg-agent asks pinentry for it. The test's
pinentry (the only stand-in here) is a program speaking pinentry's protocol that answers with a
fixed passphrase and notes each request, so the test sees that the passphrase was asked there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from asf_release.sandbox.services import LOOPBACK, free_port, wait_for_port
from tests.conftest import run_cli, short_dir

PASSPHRASE = "correct horse battery staple"
PINENTRY = """#!{python}
import sys
log = open({log!r}, "a")
print("OK Pleased to meet you", flush=True)
for line in sys.stdin:
    command = line.split(" ", 1)[0].strip()
    log.write(command + "\\n"); log.flush()
    if command == "GETPIN":
        print("D {passphrase}", flush=True)
    if command == "BYE":
        print("OK closing connection", flush=True)
        break
    print("OK", flush=True)
"""


@pytest.fixture
def keyserver(tmp_path: Path) -> Iterator[str]:
    """A real SKS keyserver (Debian's sks) with an empty database, serving HKP on 127.0.0.1."""
    if shutil.which("sks") is None:
        pytest.fail("sks is not installed: scripts/setup.sh installs it")
    base = tmp_path / "sks"
    for folder in ("var/lib/sks", "var/log/sks", "var/run/sks"):
        (base / folder).mkdir(parents=True)
    (base / "membership").write_text("")
    subprocess.run(["sks", "build", "-basedir", str(base)], check=True, capture_output=True, timeout=120)
    hkp, recon = free_port(), free_port()
    process = subprocess.Popen(
        [
            "sks", "db", "-basedir", str(base),
            "-hkp_address", LOOPBACK, "-hkp_port", str(hkp),
            "-recon_address", LOOPBACK, "-recon_port", str(recon),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(hkp, 30)
        yield f"hkp://{LOOPBACK}:{hkp}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def gnupg() -> Iterator[tuple[Path, Path]]:
    """A throwaway GnuPG home whose gpg-agent asks the test's pinentry; and that pinentry's log."""
    home = short_dir("asfr-k-")
    home.chmod(0o700)
    log = home / "pinentry.log"
    program = home / "pinentry"
    program.write_text(PINENTRY.format(python=sys.executable, log=str(log), passphrase=PASSPHRASE))
    program.chmod(0o755)
    (home / "gpg-agent.conf").write_text(f"pinentry-program {program}\n")
    try:
        yield home, log
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "GNUPGHOME": str(home)}


def _colons(home: Path, *args: str) -> list[list[str]]:
    out = subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--with-colons", *args],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [line.split(":") for line in out.splitlines()]


def test_keys_create_makes_the_guides_key_and_asks_the_passphrase_through_pinentry(
    gnupg: tuple[Path, Path], tmp_path: Path
) -> None:
    home, log = gnupg
    args = ("keys", "create", "--name", "Riley Morgan", "--email", "rm@apache.org")
    planned = run_cli(*args, "--dry-run", cwd=tmp_path, env=_env(home))
    assert planned.returncode == 0, planned.stderr
    assert "rsa4096 key for Riley Morgan <rm@apache.org>" in planned.stdout and not log.exists()

    done = run_cli(*args, "--json", cwd=tmp_path, env=_env(home))
    assert done.returncode == 0, done.stdout + done.stderr
    facts = json.loads(done.stdout)["facts"]
    fingerprint = facts["fingerprint"]
    assert Path(facts["revocation"]) == home / "openpgp-revocs.d" / f"{fingerprint}.rev"
    assert Path(facts["revocation"]).is_file()
    assert "GETPIN" in log.read_text()  # the passphrase came from pinentry, not from argv
    assert PASSPHRASE not in done.stdout + done.stderr

    rows = _colons(home, "--list-secret-keys", fingerprint)
    primary = next(r for r in rows if r[0] == "sec")
    sub = next(r for r in rows if r[0] == "ssb")
    assert (primary[2], primary[3], primary[6], primary[11]) == ("4096", "1", "", "scESC")
    assert (sub[2], sub[3], sub[6], sub[11]) == ("4096", "1", "", "e")  # RSA, no expiry, encrypt only
    assert any(r[0] == "uid" and r[9] == "Riley Morgan <rm@apache.org>" for r in rows)

    again = run_cli(*args, cwd=tmp_path, env=_env(home))
    assert again.returncode == 0 and "already has a key" in again.stdout
    assert len([r for r in _colons(home, "--list-secret-keys") if r[0] == "sec"]) == 1


def test_keys_create_needs_a_name_and_address(gnupg: tuple[Path, Path], tmp_path: Path) -> None:
    home, _ = gnupg
    done = run_cli("keys", "create", cwd=tmp_path, env=_env(home))
    assert done.returncode == 2 and "needs your name and your address" in done.stderr
    bad = run_cli(
        "keys",
        "create",
        "--name",
        "X",
        "--email",
        "x@apache.org",
        "--expire",
        "soon",
        cwd=tmp_path,
        env=_env(home),
    )
    assert bad.returncode == 2 and "not an expiry" in bad.stderr


def test_keys_publish_sends_to_the_keyserver_and_reads_it_back(
    gnupg: tuple[Path, Path], keyserver: str, tmp_path: Path
) -> None:
    home, _ = gnupg
    made = run_cli("keys", "create", "--name", "Riley Morgan", "--email", "rm@apache.org", "--algorithm", "ed25519",
                   "--json", cwd=tmp_path, env=_env(home))  # fmt: skip
    assert made.returncode == 0, made.stderr
    fingerprint = json.loads(made.stdout)["facts"]["fingerprint"]

    done = run_cli(
        "keys", "publish", "--key", fingerprint, "--keyserver", keyserver, cwd=tmp_path, env=_env(home)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"gives back {fingerprint} with Riley Morgan <rm@apache.org>" in done.stdout
    assert "https://github.com/settings/keys" in done.stdout

    # anyone can now fetch it, with plain gpg, into a home of their own
    other = short_dir("asfr-o-")
    try:
        fetched = subprocess.run(
            ["gpg", "--homedir", str(other), "--batch", "--keyserver", keyserver, "--recv-keys", fingerprint],
            capture_output=True,
            text=True,
            check=False,
        )
        assert fetched.returncode == 0, fetched.stderr
    finally:
        subprocess.run(["gpgconf", "--homedir", str(other), "--kill", "all"], check=False)
        shutil.rmtree(other, ignore_errors=True)


def test_keys_publish_says_when_the_keyserver_cannot_be_reached(
    gnupg: tuple[Path, Path], tmp_path: Path
) -> None:
    home, _ = gnupg
    made = run_cli("keys", "create", "--name", "Riley Morgan", "--email", "rm@apache.org", "--algorithm", "ed25519",
                   "--json", cwd=tmp_path, env=_env(home))  # fmt: skip
    fingerprint = json.loads(made.stdout)["facts"]["fingerprint"]
    nobody = f"hkp://{LOOPBACK}:{free_port()}"
    done = run_cli(
        "keys", "publish", "--key", fingerprint, "--keyserver", nobody, cwd=tmp_path, env=_env(home)
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "--send-keys" in done.stderr and "Traceback" not in done.stderr
