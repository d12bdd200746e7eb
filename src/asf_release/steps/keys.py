"""keys: the release manager's signing key, fit for signing and present in the project's KEYS.

`check` reports; `KeysStep` (asf-release keys add) appends the key to KEYS in dist/release and
commits it, once: it does nothing when KEYS already holds the fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from asf_release.adapters import http
from asf_release.adapters.gpg import Key, throwaway_home
from asf_release.adapters.svn import join
from asf_release.context import Context
from asf_release.errors import ExternalError, UsageError
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step

MIN_RSA_BITS = 2048
RECOMMENDED_RSA_BITS = 4096
KEYS_FILE = "KEYS"


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str
    hint: str = ""


@dataclass(frozen=True)
class KeyReport:
    fingerprint: str
    uid: str
    algorithm: str
    keys_location: str
    in_keys: bool | None  # None: KEYS could not be read
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(f.level is not Level.FAIL for f in self.findings)

    def to_json(self) -> dict[str, object]:
        return {
            "fingerprint": self.fingerprint,
            "uid": self.uid,
            "algorithm": self.algorithm,
            "keys": self.keys_location,
            "in_keys": self.in_keys,
            "passed": self.passed,
            "findings": [
                {"level": f.level.value, "message": f.message, "hint": f.hint} for f in self.findings
            ],
        }


def signing_key(ctx: Context, selector: str | None = None) -> Key:
    """The key that will sign: --key, else the profile's, else gpg's default secret key."""
    wanted = selector or ctx.profile.release_manager.signing_key
    where = f" in {ctx.gpg.home}" if ctx.gpg.home else ""
    if wanted:
        found = ctx.gpg.keys(wanted, secret=True)
        if not found:
            public = ctx.gpg.key(wanted)
            hint = (
                "this machine has the public key only: sign on the machine that holds the secret key"
                if public
                else "check the key id (gpg --list-secret-keys) or the profile's release_manager.signing_key"
            )
            raise UsageError(f"no secret key '{wanted}'{where}", hint)
        if len(found) > 1:
            raise UsageError(
                f"'{wanted}' matches {len(found)} secret keys", "give the full fingerprint with --key"
            )
        return found[0]
    default = ctx.gpg.default_secret_key()
    if default is None:
        raise UsageError(
            f"no secret key{where} to sign with",
            "create one (gpg --full-gen-key, RSA 4096, your @apache.org address) or set "
            "release_manager.signing_key / --key",
        )
    return default


def keys_location(ctx: Context) -> str:
    """KEYS in the dist/release Subversion directory (where `keys add` commits)."""
    return join(ctx.profile.dist.release_url, KEYS_FILE)


def read_keys(ctx: Context, location: str | None = None) -> bytes:
    where = location or keys_location(ctx)
    try:
        return http.read(where, svn=ctx.svn)
    except ExternalError:
        if location is None and ctx.profile.dist.keys_url != where:
            return http.read(ctx.profile.dist.keys_url, svn=ctx.svn)
        raise


def fingerprints_in(keys: bytes) -> set[str]:
    """Fingerprints (primary and sub keys) of every key a KEYS file holds, as gpg reads them."""
    with throwaway_home([keys]) as gpg:
        found = gpg.keys()
    return {sub.fingerprint for key in found for sub in (key.primary, *key.subkeys)}


def check(ctx: Context, selector: str | None = None, keys: str | None = None) -> KeyReport:
    key = signing_key(ctx, selector)
    findings = _fitness(key)
    location = keys or keys_location(ctx)
    try:
        in_keys: bool | None = key.fingerprint in fingerprints_in(read_keys(ctx, keys))
    except ExternalError as error:
        in_keys = None
        findings.append(
            Finding(Level.WARN, f"could not read KEYS at {location}: {error.message}", error.hint or "")
        )
    if in_keys:
        findings.append(Finding(Level.OK, f"in KEYS ({location})"))
    elif in_keys is False:
        findings.append(Finding(Level.FAIL, f"not in KEYS ({location})", "add it with: asf-release keys add"))
    return KeyReport(
        key.fingerprint, key.uids[0] if key.uids else "", key.primary.description, location, in_keys, findings
    )


def _fitness(key: Key) -> list[Finding]:
    findings = []
    primary = key.primary
    if primary.revoked:
        findings.append(Finding(Level.FAIL, "the key is revoked", "create a new key and add it to KEYS"))
    elif primary.expired:
        findings.append(
            Finding(
                Level.FAIL,
                f"the key expired on {primary.expires:%Y-%m-%d}",
                "extend it: gpg --quick-set-expire FPR 2y, then publish it again",
            )
        )
    signing = key.signing_keys()
    if not signing:
        findings.append(
            Finding(Level.FAIL, "no usable key can sign", "add a signing subkey or use another key")
        )
    else:
        findings.append(Finding(Level.OK, "can sign"))
    for sub in signing or [primary]:
        findings.append(_strength(sub.algorithm, sub.bits, sub.curve))
    apache = [email for email in key.emails() if email.lower().endswith("@apache.org")]
    if apache:
        findings.append(Finding(Level.OK, f"user id at apache.org ({apache[0]})"))
    else:
        findings.append(
            Finding(
                Level.WARN,
                "no user id at @apache.org",
                "add one: gpg --quick-add-uid FPR 'Name <id@apache.org>'",
            )
        )
    return findings


def _strength(algorithm: str, bits: int, curve: str) -> Finding:
    if algorithm == "RSA":
        if bits < MIN_RSA_BITS:
            return Finding(
                Level.FAIL, f"RSA {bits} is too weak (at least {MIN_RSA_BITS} bits)", "create an RSA 4096 key"
            )
        if bits < RECOMMENDED_RSA_BITS:
            return Finding(
                Level.WARN,
                f"RSA {bits}: {RECOMMENDED_RSA_BITS} bits are recommended",
                "prefer an RSA 4096 key for new releases",
            )
        return Finding(Level.OK, f"RSA {bits}")
    if algorithm in ("EdDSA", "ECDSA"):
        return Finding(Level.OK, f"modern curve key ({curve or algorithm})")
    return Finding(Level.WARN, f"{algorithm} key: RSA 4096 is what the project asks for")


class KeysStep(Step):
    """Append the release manager's key to KEYS in dist/release, once."""

    name = "keys"
    title = "Signing key in KEYS"

    def __init__(self, *, key: str | None = None) -> None:
        self.key_selector = key
        self.rc = None
        self._key: Key | None = None
        self._present: bool | None = None

    @property
    def release(self) -> str:
        return ""  # the key serves every release

    def key(self, ctx: Context) -> Key:
        if self._key is None:
            self._key = signing_key(ctx, self.key_selector)
        return self._key

    def present(self, ctx: Context) -> bool:
        if self._present is None:
            self._present = self.key(ctx).fingerprint in fingerprints_in(read_keys(ctx))
        return self._present

    def addition(self, ctx: Context) -> str:
        """The block appended to KEYS: gpg's listing of the key and its armored export."""
        fingerprint = self.key(ctx).fingerprint
        return "\n" + ctx.gpg.list_sigs_text(fingerprint) + ctx.gpg.export_armored(fingerprint)

    def message(self, ctx: Context) -> str:
        key = self.key(ctx)
        name = ctx.profile.release_manager.name or key.name or key.fingerprint
        return ctx.profile.fmt("dist.keys_message", name=name)

    def working_copy(self, ctx: Context) -> Path:
        return ctx.state_dir / "svn" / "release"

    def plan(self, ctx: Context) -> Plan:
        key = self.key(ctx)
        if self.present(ctx):
            return Plan(self.name, [], [f"KEYS already holds {key.fingerprint}"])
        url = ctx.profile.dist.release_url
        wc = self.working_copy(ctx)
        return Plan(
            self.name,
            [
                Action(f"check out {url} (only KEYS)", ("svn", "checkout", "--depth", "empty", url, str(wc))),
                Action("fetch KEYS", ("svn", "update", str(wc / KEYS_FILE))),
                Action(
                    f"append the listing and export of {key.fingerprint}",
                    ("gpg", "--list-sigs", key.fingerprint),
                ),
                Action("commit KEYS", ("svn", "commit", "-m", self.message(ctx), str(wc / KEYS_FILE))),
            ],
            [f"signing key: {key.uids[0] if key.uids else key.fingerprint}"],
        )

    def run(self, ctx: Context) -> Outcome:
        key = self.key(ctx)
        if self.present(ctx):
            return Outcome(
                self.name,
                f"KEYS already holds {key.fingerprint}",
                {"fingerprint": key.fingerprint},
                changed=False,
            )
        wc = self.working_copy(ctx)
        keys_path = wc / KEYS_FILE
        if (wc / ".svn").is_dir():
            # an earlier run may have stopped after appending: start again from the repository's KEYS
            ctx.svn.cleanup(wc)
            ctx.svn.revert(wc)
        else:
            wc.parent.mkdir(parents=True, exist_ok=True)
            ctx.svn.checkout(ctx.profile.dist.release_url, wc, depth="empty")
        ctx.svn.update([keys_path])
        if not keys_path.is_file():
            raise ExternalError(
                f"{keys_location(ctx)} does not exist", "check [dist] release_url in the profile"
            )
        with keys_path.open("a") as handle:
            handle.write(self.addition(ctx))
        revision = ctx.svn.commit(wc, self.message(ctx), [keys_path])
        self._present = True
        return Outcome(
            self.name,
            f"added {key.fingerprint} to KEYS (r{revision})",
            {"fingerprint": key.fingerprint, "revision": revision, "keys": keys_location(ctx)},
        )

    def done(self, ctx: Context) -> Check:
        key = self.key(ctx)
        if self.present(ctx):
            return Check(State.DONE, f"KEYS holds {key.fingerprint[-16:]}")
        return Check(State.PENDING, f"KEYS lacks {key.fingerprint[-16:]}")

    def command(self) -> str:
        return "asf-release keys add" + (f" --key {self.key_selector}" if self.key_selector else "")


def diff_preview(ctx: Context, step: KeysStep) -> str:
    """What `keys add --dry-run` shows: the lines KEYS would gain."""
    return "".join(f"+{line}\n" for line in step.addition(ctx).splitlines())
