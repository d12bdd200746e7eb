"""keys create and keys publish: a first-time release manager's signing key, made and published.

create: the key the project's guide asks for, made right: by default an RSA 4096 primary key that
only signs and certifies, with an RSA 4096 encryption subkey (release_manager.key_algorithm may
ask for another), the person's name and @apache.org address, no expiry unless asked. The
passphrase is asked by gpg-agent's pinentry and never passes through asf-release.

publish: the key to release_manager.keyserver (gpg --send-keys), then read back from there into
a throwaway GnuPG home, so the answer is what anyone fetching the key gets.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from asf_release.adapters.gpg import Gpg, Key, throwaway_home
from asf_release.context import Context
from asf_release.errors import ConfigError, ExternalError, UsageError
from asf_release.steps.base import Action, Outcome, Plan

GITHUB_KEYS_PAGE = "https://github.com/settings/keys"
_EXPIRY = re.compile(r"^(0|never|\d+[dwmy]?)$")
# algorithm -> (primary key lines, subkey lines) of gpg's unattended key generation
_PARAMETERS = {
    "rsa4096": ("Key-Type: RSA\nKey-Length: 4096", "Subkey-Type: RSA\nSubkey-Length: 4096"),
    "rsa3072": ("Key-Type: RSA\nKey-Length: 3072", "Subkey-Type: RSA\nSubkey-Length: 3072"),
    "ed25519": ("Key-Type: EDDSA\nKey-Curve: ed25519", "Subkey-Type: ECDH\nSubkey-Curve: cv25519"),
}


@dataclass(frozen=True)
class KeyRequest:
    name: str
    email: str
    algorithm: str
    expire: str  # "0": never

    @property
    def uid(self) -> str:
        return f"{self.name} <{self.email}>"

    def parameters(self) -> str:
        """gpg's parameter block: no passphrase line, so pinentry asks for it."""
        primary, sub = _PARAMETERS[self.algorithm]
        return (
            f"{primary}\nKey-Usage: sign,cert\n{sub}\nSubkey-Usage: encrypt\n"
            f"Name-Real: {self.name}\nName-Email: {self.email}\nExpire-Date: {self.expire}\n%commit\n"
        )


def request(
    ctx: Context, name: str | None, email: str | None, algorithm: str | None, expire: str | None
) -> KeyRequest:
    person = ctx.profile.release_manager
    name = (name or person.name).strip()
    domain = ctx.profile.mail.announce_sender_domain
    email = (email or (f"{person.apache_id}@{domain}" if person.apache_id else "")).strip()
    if not name or not email:
        raise ConfigError(
            "the key needs your name and your address",
            "set [release_manager] name and apache_id in your personal config, or give --name and --email",
            key="release_manager.name" if not name else "release_manager.apache_id",
        )
    for what, value in (("name", name), ("email", email)):
        if any(c in value for c in "<>\n\r:") or not value.isprintable():
            raise UsageError(f"the {what} '{value}' holds characters a user id cannot carry")
    if "@" not in email:
        raise UsageError(f"'{email}' is not a mail address")
    algorithm = (algorithm or person.key_algorithm).lower()
    if algorithm not in _PARAMETERS:
        raise UsageError(
            f"'{algorithm}' is not a key type asf-release makes", f"choose one of: {', '.join(_PARAMETERS)}"
        )
    expire = (expire or "0").strip().lower()
    if not _EXPIRY.match(expire):
        raise UsageError(f"'{expire}' is not an expiry", "give 0 (never), or a period such as 2y, 18m, 90d")
    return KeyRequest(name, email, algorithm, "0" if expire == "never" else expire)


def revocation_certificate(gpg: Gpg, fingerprint: str) -> Path:
    return gpg.home_path() / "openpgp-revocs.d" / f"{fingerprint}.rev"


def existing(gpg: Gpg, email: str) -> Key | None:
    found = [k for k in gpg.keys(f"<{email}>", secret=True) if k.primary.usable]
    return found[0] if found else None


@dataclass
class CreateKey:
    wanted: KeyRequest

    def plan(self, ctx: Context) -> Plan:
        found = existing(ctx.gpg, self.wanted.email)
        if found is not None:
            return Plan("keys create", [], [f"{self.wanted.email} already has a key: {found.fingerprint}"])
        where = f" in {ctx.gpg.home_path()}"
        expiry = "no expiry" if self.wanted.expire == "0" else f"expires in {self.wanted.expire}"
        return Plan(
            "keys create",
            [
                Action(
                    f"create a {self.wanted.algorithm} key for {self.wanted.uid}{where}: signing primary key, "
                    f"encryption subkey, {expiry}; gpg-agent asks for the passphrase",
                    ("gpg", "--batch", "--gen-key"),
                )
            ],
        )

    def run(self, ctx: Context) -> Outcome:
        found = existing(ctx.gpg, self.wanted.email)
        if found is not None:
            return Outcome(
                "keys create",
                f"{self.wanted.email} already has a key: {found.fingerprint}",
                {"fingerprint": found.fingerprint, "created": False},
                changed=False,
                details=[f"revocation certificate: {revocation_certificate(ctx.gpg, found.fingerprint)}"],
            )
        fingerprint = ctx.gpg.create_key(self.wanted.parameters())
        revocation = revocation_certificate(ctx.gpg, fingerprint)
        details = [
            f"fingerprint {fingerprint}",
            f"revocation certificate: {revocation} (keep a copy somewhere safe and offline)",
            "next: asf-release keys publish, then asf-release keys add",
        ]
        return Outcome(
            "keys create",
            f"created {self.wanted.algorithm} key {fingerprint} for {self.wanted.uid}",
            {
                "fingerprint": fingerprint,
                "uid": self.wanted.uid,
                "revocation": str(revocation),
                "created": True,
            },
            details=details,
        )


@dataclass
class PublishKey:
    selector: str | None = None
    keyserver: str | None = None

    def server(self, ctx: Context) -> str:
        return self.keyserver or ctx.profile.release_manager.keyserver

    def key(self, ctx: Context) -> Key:
        from asf_release.steps.keys import signing_key

        return signing_key(ctx, self.selector)

    def plan(self, ctx: Context) -> Plan:
        key, server = self.key(ctx), self.server(ctx)
        return Plan(
            "keys publish",
            [
                Action(
                    f"send {key.fingerprint} to {server}",
                    ("gpg", "--keyserver", server, "--send-keys", key.fingerprint),
                ),
                Action(
                    f"read it back from {server} into a throwaway GnuPG home",
                    ("gpg", "--keyserver", server, "--recv-keys", key.fingerprint),
                ),
            ],
            github_notes(key),
        )

    def run(self, ctx: Context) -> Outcome:
        key, server = self.key(ctx), self.server(ctx)
        ctx.gpg.send_keys(server, key.fingerprint)
        with throwaway_home() as fresh:
            imported = fresh.receive_keys(server, key.fingerprint)
            copies = fresh.keys(key.fingerprint)
        if key.fingerprint not in imported or not copies:
            raise ExternalError(
                f"{server} took the key but does not give {key.fingerprint} back",
                "some keyservers publish a key only once its address is confirmed by email (keys.openpgp.org "
                "does, and gives no user id until then); confirm it, or publish to another keyserver with --keyserver",
            )
        uids = list(copies[0].uids)
        details = [f"{server} gives back {key.fingerprint} with " + (", ".join(uids) or "no user id")]
        if not uids:
            details.append(
                "without a user id nobody can tell whose key it is: confirm your address with the keyserver"
            )
        details += github_notes(key)
        return Outcome(
            "keys publish",
            f"published {key.fingerprint} to {server}",
            {"fingerprint": key.fingerprint, "keyserver": server, "uids": uids},
            details=details,
        )


def github_notes(key: Key) -> list[str]:
    notes = [f"add it to your GitHub account ({GITHUB_KEYS_PAGE}), with the same address verified on GitHub"]
    if shutil.which("gh"):
        notes.append(
            f"or: gpg --armor --export {key.fingerprint} | gh gpg-key add --title 'Apache release signing key'"
        )
    return notes
