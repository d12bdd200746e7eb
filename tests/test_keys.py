from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from asf_release.adapters import proc
from asf_release.adapters.gpg import Gpg, stop_agent, throwaway_home
from tests.conftest import short_dir
from tests.release_fixtures import Release


@pytest.fixture(scope="session")
def odd_keys() -> Iterator[tuple[Path, dict[str, str]]]:
    """A GnuPG home with keys a release manager should not sign with, or only with a warning."""
    home = short_dir("asfr-odd-")
    gpg = Gpg(home)
    made = {
        "rsa2048": gpg.generate_key("Weak Key <weak@apache.org>", "rsa2048"),
        "rsa1024": gpg.generate_key("Too Weak <tooweak@apache.org>", "rsa1024"),
        "ed25519": gpg.generate_key("Curve Key <curve@apache.org>", "ed25519"),
        "no_apache": gpg.generate_key("Private Person <someone@example.org>", "ed25519"),
        "expired": gpg.generate_key("Expired Key <expired@apache.org>", "ed25519", expire="seconds=1"),
        "revoked": gpg.generate_key("Revoked Key <revoked@apache.org>", "ed25519"),
    }
    certificate = (home / "openpgp-revocs.d" / f"{made['revoked']}.rev").read_text()
    gpg.import_keys(certificate.replace(":-----BEGIN", "-----BEGIN").encode())
    time.sleep(1.5)  # let the expiring key expire
    yield home, made
    stop_agent(home)
    shutil.rmtree(home, ignore_errors=True)


def with_key(release: Release, home: Path, fingerprint: str) -> dict[str, str]:
    """The sandbox's personal config, signing with another key from another GnuPG home."""
    text = release.sandbox.user_config.read_text()
    text = re.sub(r'signing_key = ".*"', f'signing_key = "{fingerprint}"', text)
    text = re.sub(r'gnupg_home = ".*"', f'gnupg_home = "{home}"', text)
    config = release.sandbox.base / "other-key.toml"
    config.write_text(text)
    return {"ASF_RELEASE_CONFIG": str(config)}


def keys_in_dist(release: Release) -> set[str]:
    data = proc.run(["svn", "cat", f"{release.dist}/release/kvrocks/KEYS"]).data
    with throwaway_home([data]) as gpg:
        return {key.fingerprint for key in gpg.keys()}  # noqa: SIM118 - Gpg.keys lists keys


def test_check_fails_when_the_key_is_not_in_keys_and_says_what_to_do(release: Release) -> None:
    done = release.cli("keys", "check")
    assert done.returncode == 1
    assert release.sandbox.rm_fingerprint in done.stdout
    assert "not in KEYS" in done.stdout and "asf-release keys add" in done.stdout
    report = json.loads(release.cli("keys", "check", "--json").stdout)
    assert report["in_keys"] is False and report["passed"] is False
    assert {"level": "ok", "message": "RSA 4096", "hint": ""} in report["findings"]


def test_add_dry_run_shows_the_lines_and_changes_nothing(release: Release) -> None:
    before = release.svn_revisions("release/kvrocks/KEYS")
    done = release.cli("keys", "add", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "KEYS would gain" in done.stdout and "+-----BEGIN PGP PUBLIC KEY BLOCK-----" in done.stdout
    assert "svn commit" in done.stdout
    assert release.svn_revisions("release/kvrocks/KEYS") == before
    assert release.sandbox.rm_fingerprint not in keys_in_dist(release)


def test_add_commits_once_and_keeps_the_existing_keys(release: Release) -> None:
    previous = keys_in_dist(release)
    before = release.svn_revisions("release/kvrocks/KEYS")
    first = release.cli("keys", "add")
    assert first.returncode == 0, first.stderr
    second = release.cli("keys", "add")
    assert second.returncode == 0, second.stderr
    assert "KEYS holds" in second.stdout
    after = release.svn_revisions("release/kvrocks/KEYS")
    assert len(after) == len(before) + 1
    assert keys_in_dist(release) == previous | {release.sandbox.rm_fingerprint}
    message = release.svn("log", "--limit", "1", f"{release.dist}/release/kvrocks/KEYS")
    assert "Riley Morgan" in message
    listing = proc.run(["svn", "cat", f"{release.dist}/release/kvrocks/KEYS"]).stdout
    assert "pub   rsa4096/" in listing  # the human listing precedes the key block
    assert release.cli("keys", "check").returncode == 0


def test_an_interrupted_add_is_finished_by_the_next_run(release: Release) -> None:
    killed = release.cli(
        "keys", "add", crash_at="during svn --non-interactive --username rm --password-from-stdin commit"
    )
    assert killed.returncode != 0
    done = release.cli("keys", "add")
    assert done.returncode == 0, done.stderr
    assert keys_in_dist(release) >= {release.sandbox.rm_fingerprint}
    text = proc.run(["svn", "cat", f"{release.dist}/release/kvrocks/KEYS"]).stdout
    # the listing names the key on its uid and self-signature lines: appended twice, it would be four
    assert text.count("Riley Morgan <rm@apache.org>") == 2


@pytest.mark.parametrize(
    ("which", "code", "expected"),
    [
        ("rsa2048", 1, ("warn", "RSA 2048: 4096 bits are recommended")),
        ("rsa1024", 1, ("fail", "RSA 1024 is too weak")),
        ("ed25519", 1, ("ok", "modern curve key (ed25519)")),
        ("no_apache", 1, ("warn", "no user id at @apache.org")),
        ("expired", 1, ("fail", "the key expired")),
        ("revoked", 1, ("fail", "the key is revoked")),
    ],
)
def test_check_judges_the_key_itself(
    release: Release, odd_keys: tuple[Path, dict[str, str]], which: str, code: int, expected: tuple[str, str]
) -> None:
    home, made = odd_keys
    done = release.cli("keys", "check", "--json", env=with_key(release, home, made[which]))
    assert done.returncode == code, done.stderr  # 1: none of these keys is in KEYS
    report = json.loads(done.stdout)
    assert report["fingerprint"] == made[which]
    assert any(
        f["level"] == expected[0] and f["message"].startswith(expected[1]) for f in report["findings"]
    ), report


def test_check_of_a_key_that_is_not_there(release: Release) -> None:
    done = release.cli("keys", "check", "--key", "0123456789ABCDEF0123456789ABCDEF01234567")
    assert done.returncode == 2
    assert "no secret key" in done.stderr and "hint:" in done.stderr
