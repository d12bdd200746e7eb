"""GnuPG: keys, detached signatures and their verification, through the real gpg.

Passphrases never pass through here: gpg-agent asks the person for them (pinentry).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from asf_release.adapters import proc
from asf_release.errors import ToolFailed

ALGORITHMS = {
    1: "RSA",
    2: "RSA",
    3: "RSA",
    16: "Elgamal",
    17: "DSA",
    18: "ECDH",
    19: "ECDSA",
    22: "EdDSA",
}
DIGESTS = {
    1: "MD5",
    2: "SHA1",
    3: "RIPEMD160",
    8: "SHA256",
    9: "SHA384",
    10: "SHA512",
    11: "SHA224",
}
ARMOR_HEADER = b"-----BEGIN PGP SIGNATURE-----"


@dataclass(frozen=True)
class SubKey:
    fingerprint: str
    algorithm: str
    bits: int
    curve: str
    capabilities: str  # lower-case letters of this key: s sign, c certify, e encrypt, a auth
    created: datetime | None
    expires: datetime | None
    revoked: bool

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires <= datetime.now(UTC)

    @property
    def usable(self) -> bool:
        return not self.revoked and not self.expired

    @property
    def description(self) -> str:
        if self.algorithm == "RSA":
            return f"RSA {self.bits}"
        return f"{self.algorithm} {self.curve}".strip()


@dataclass(frozen=True)
class Key:
    primary: SubKey
    uids: tuple[str, ...]
    subkeys: tuple[SubKey, ...] = ()
    has_secret: bool = False

    @property
    def fingerprint(self) -> str:
        return self.primary.fingerprint

    @property
    def name(self) -> str:
        """The first user id without its address."""
        return self.uids[0].split("<", 1)[0].strip() if self.uids else ""

    def emails(self) -> list[str]:
        return [uid.split("<", 1)[1].rstrip(">").strip() for uid in self.uids if "<" in uid]

    def signing_keys(self) -> list[SubKey]:
        return [k for k in (self.primary, *self.subkeys) if "s" in k.capabilities and k.usable]

    def matches(self, fingerprint: str) -> bool:
        fingerprint = fingerprint.upper()
        return any(k.fingerprint.endswith(fingerprint) for k in (self.primary, *self.subkeys))


@dataclass(frozen=True)
class Signature:
    """What gpg said about one detached signature."""

    valid: bool  # the signature matches the data
    status: str  # good, bad, no-key, expired-key, revoked-key, error
    key_id: str = ""
    fingerprint: str = ""  # of the key that made the signature (a subkey possibly)
    primary_fingerprint: str = ""
    signer: str = ""
    digest: str = ""
    created: datetime | None = None
    details: list[str] = field(default_factory=list)


class Gpg:
    def __init__(self, home: Path | None = None) -> None:
        self.home = home

    def _argv(self, *args: str, batch: bool = True) -> list[str]:
        argv = ["gpg", "--no-tty", "--with-colons", "--fixed-list-mode"]
        if batch:
            argv.insert(1, "--batch")
        if self.home:
            argv += ["--homedir", str(self.home)]
        return argv + list(args)

    def run(
        self,
        *args: str,
        batch: bool = True,
        check: bool = True,
        input: bytes | None = None,
        timeout: float | None = proc.DEFAULT_TIMEOUT,
    ) -> proc.Completed:
        return proc.run(self._argv(*args, batch=batch), input=input, check=check, timeout=timeout)

    # --- keys ---------------------------------------------------------------------------------
    def keys(self, *selectors: str, secret: bool = False) -> list[Key]:
        listing = "--list-secret-keys" if secret else "--list-keys"
        done = self.run(listing, *selectors, check=False)
        if done.returncode != 0 and not done.stdout.strip():
            return []
        found = parse_colons(done.stdout)
        if not secret:
            secret_fprs = {k.fingerprint for k in self.keys(*selectors, secret=True)} if found else set()
            found = [_with_secret(k, k.fingerprint in secret_fprs) for k in found]
        else:
            found = [_with_secret(k, True) for k in found]
        return found

    def key(self, selector: str) -> Key | None:
        found = self.keys(selector)
        return found[0] if found else None

    def default_secret_key(self) -> Key | None:
        """gpg's default signing key: default-key from gpg.conf, else the first secret key."""
        configured = self._configured_default_key()
        candidates = self.keys(configured, secret=True) if configured else self.keys(secret=True)
        usable = [k for k in candidates if k.signing_keys()]
        chosen = usable or candidates
        return chosen[0] if chosen else None

    def _configured_default_key(self) -> str | None:
        home = self.home or Path(os.environ.get("GNUPGHOME", Path.home() / ".gnupg"))
        conf = home / "gpg.conf"
        if not conf.is_file():
            return None
        for line in conf.read_text(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "default-key":
                return parts[1]
        return None

    def export_armored(self, fingerprint: str) -> str:
        return self.run("--armor", "--export", fingerprint).stdout

    def list_sigs_text(self, fingerprint: str) -> str:
        """The human listing (`gpg --list-sigs`) that KEYS files carry above each key block."""
        argv = ["gpg", "--batch", "--no-tty", "--list-sigs", "--keyid-format", "long"]
        if self.home:
            argv += ["--homedir", str(self.home)]
        return proc.run([*argv, fingerprint]).stdout

    def import_keys(self, data: bytes) -> list[str]:
        """Import keys; return the fingerprints gpg reported as imported or unchanged."""
        done = self.run("--status-fd", "1", "--import", input=data, check=False)
        fingerprints = []
        for line in done.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[:2] == ["[GNUPG:]", "IMPORT_OK"]:
                fingerprints.append(parts[3])
        return sorted(set(fingerprints))

    def generate_key(self, uid: str, algorithm: str = "rsa4096", expire: str = "never") -> str:
        """A new key without passphrase, for sandboxes and tests. Returns its fingerprint."""
        done = self.run(
            "--status-fd",
            "1",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            uid,
            algorithm,
            "sign",
            expire,
            timeout=600,
        )
        for line in done.stdout.splitlines():
            if line.startswith("[GNUPG:] KEY_CREATED"):
                return line.split()[3]
        raise ToolFailed(["gpg", "--quick-gen-key", uid], 0, "gpg did not report the new key")

    # --- signatures ---------------------------------------------------------------------------
    def sign_detached(self, path: Path, output: Path, key: str = "") -> None:
        """Write an ASCII-armored detached signature; gpg-agent asks for the passphrase."""
        partial = output.with_name(output.name + ".partial")
        partial.unlink(missing_ok=True)
        args = ["--armor", "--detach-sign", "--output", str(partial)]
        if key:
            args += ["--local-user", key]
        # not --batch: the agent may need to ask the person for the passphrase
        self.run(*args, str(path), batch=False, timeout=600)
        partial.replace(output)

    @contextmanager
    def signing(self, output: Path, key: str = "") -> Iterator[proc.Feed]:
        """A detached armored signature over data the caller writes (`.write(chunk)`), so a file
        being produced is signed in the same pass; gpg-agent asks for the passphrase."""
        partial = output.with_name(output.name + ".partial")
        partial.unlink(missing_ok=True)
        args = ["--armor", "--detach-sign", "--output", str(partial)] + (["--local-user", key] if key else [])
        # not --batch: the agent may need to ask the person for the passphrase
        argv = self._argv(*args, "-", batch=False)
        try:
            with proc.feed(argv, env=_pinentry_tty(), timeout=600) as fed:
                yield fed
        except BaseException:  # the data stopped (a failure, Ctrl-C, SIGTERM): no half signature stays
            partial.unlink(missing_ok=True)
            raise
        assert fed.result is not None
        if fed.result.returncode != 0 or fed.broken:
            partial.unlink(missing_ok=True)
            raise ToolFailed(
                fed.result.argv, fed.result.returncode, fed.result.stderr, "check the key and its passphrase"
            )
        partial.replace(output)

    def verify_detached(self, signature: Path, data: Path) -> Signature:
        done = self.run(
            "--status-fd",
            "1",
            "--trust-model",
            "always",
            "--verify",
            str(signature),
            str(data),
            check=False,
            timeout=None,
        )
        return parse_verify_status(done.stdout, done.stderr)

    @contextmanager
    def verifying(self, signature: Path) -> Iterator[VerifyFeed]:
        """Verify a detached signature over data the caller writes (`.write(chunk)`), so a large
        file is read once while it is also hashed and unpacked; `.signature` afterwards."""
        argv = self._argv("--status-fd", "1", "--trust-model", "always", "--verify", str(signature), "-")
        with proc.feed(argv, timeout=None) as fed:
            verification = VerifyFeed(fed)
            yield verification
        assert fed.result is not None
        verification.signatures = parse_verify_statuses(fed.result.stdout, fed.result.stderr)
        verification.signature = _worst(verification.signatures)


class VerifyFeed:
    """Data going to a running `gpg --verify`; once the data has all been written, `signatures`
    holds gpg's verdict on each signature of the file and `signature` the worst of them."""

    def __init__(self, fed: proc.Feed) -> None:
        self._fed = fed
        self.signature: Signature | None = None
        self.signatures: list[Signature] = []

    def write(self, data: bytes) -> None:
        self._fed.write(data)


def _pinentry_tty() -> dict[str, str]:
    """GPG_TTY for a gpg whose standard input is a pipe: pinentry asks on our terminal instead."""
    if os.environ.get("GPG_TTY") or not sys.stdin.isatty():
        return {}
    return {"GPG_TTY": os.ttyname(sys.stdin.fileno())}


def _with_secret(key: Key, secret: bool) -> Key:
    return Key(key.primary, key.uids, key.subkeys, has_secret=secret)


def _when(text: str) -> datetime | None:
    if not text:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_colons(text: str) -> list[Key]:
    """Keys from `gpg --with-colons --fixed-list-mode --list-keys` output."""
    keys: list[Key] = []
    primary: list[str] | None = None
    subkeys: list[list[str]] = []
    fprs: dict[int, str] = {}
    uids: list[str] = []

    def flush() -> None:
        if primary is None:
            return
        main = _subkey(primary, fprs.get(0, ""))
        subs = tuple(_subkey(s, fprs.get(i + 1, "")) for i, s in enumerate(subkeys))
        keys.append(Key(main, tuple(uids), subs))

    for line in text.splitlines():
        fields = line.split(":")
        kind = fields[0]
        if kind in ("pub", "sec"):
            flush()
            primary, subkeys, fprs, uids = fields, [], {}, []
        elif kind in ("sub", "ssb") and primary is not None:
            subkeys.append(fields)
        elif kind == "fpr" and primary is not None and len(fields) > 9:
            fprs.setdefault(len(subkeys), fields[9])
        elif kind == "uid" and primary is not None and len(fields) > 9 and fields[1] not in ("r", "e"):
            uids.append(_unescape(fields[9]))
    flush()
    return keys


def _subkey(fields: list[str], fingerprint: str) -> SubKey:
    fields = fields + [""] * (20 - len(fields))
    algo = int(fields[3]) if fields[3].isdigit() else 0
    return SubKey(
        fingerprint=fingerprint,
        algorithm=ALGORITHMS.get(algo, f"algorithm {algo}"),
        bits=int(fields[2]) if fields[2].isdigit() else 0,
        curve=fields[16],
        capabilities=fields[11].lower() if fields[11] else "",
        created=_when(fields[5]),
        expires=_when(fields[6]),
        revoked=fields[1] == "r",
    )


def _unescape(text: str) -> str:
    return text.encode().decode("unicode_escape").encode("latin-1").decode(errors="replace")


def parse_verify_status(status: str, stderr: str = "") -> Signature:
    """gpg's verdict on a detached signature file: the worst of its signatures."""
    return _worst(parse_verify_statuses(status, stderr))


def parse_verify_statuses(status: str, stderr: str = "") -> list[Signature]:
    """Interpret gpg's --status-fd lines: one Signature per signature the file holds (gpg starts
    each with NEWSIG), so a file signed by three release managers gives three verdicts."""
    details = [line for line in stderr.splitlines() if line.startswith("gpg:")]
    before: list[str] = []  # lines ahead of the first NEWSIG belong to the first signature
    groups: list[list[str]] = []
    for line in status.splitlines():
        if line.startswith("[GNUPG:] NEWSIG"):
            groups.append([])
        elif groups:
            groups[-1].append(line)
        else:
            before.append(line)
    if not groups:
        return [_parse_one(before, details)]
    groups[0] = before + groups[0]
    return [_parse_one(group, details) for group in groups]


def _worst(signatures: list[Signature]) -> Signature:
    bad = [s for s in signatures if not s.valid]
    if bad:
        return bad[0]
    return signatures[0] if signatures else Signature(False, "error", details=["gpg said nothing"])


def _parse_one(lines: list[str], details: list[str]) -> Signature:
    state = "error"
    key_id = fingerprint = primary = signer = digest = ""
    created: datetime | None = None
    details = list(details)
    for line in lines:
        parts = line.split(" ", 2)
        if len(parts) < 2 or parts[0] != "[GNUPG:]":
            continue
        keyword, rest = parts[1], parts[2] if len(parts) > 2 else ""
        words = rest.split()
        if keyword in ("GOODSIG", "EXPKEYSIG", "REVKEYSIG", "BADSIG", "EXPSIG"):
            key_id = words[0] if words else ""
            signer = rest.split(" ", 1)[1] if " " in rest else ""
            state = {
                "GOODSIG": "good",
                "BADSIG": "bad",
                "EXPKEYSIG": "expired-key",
                "REVKEYSIG": "revoked-key",
                "EXPSIG": "expired-signature",
            }[keyword]
        elif keyword == "VALIDSIG" and len(words) >= 10:
            fingerprint, primary = words[0], words[9]
            created = _when(words[2])
            digest = DIGESTS.get(int(words[7]), words[7]) if words[7].isdigit() else words[7]
        elif keyword == "ERRSIG" and len(words) >= 6:
            key_id = words[0]
            if words[2].isdigit():
                digest = DIGESTS.get(int(words[2]), words[2])
            state = "no-key" if words[5] == "9" else "error"
            if len(words) >= 7 and words[6] != "-":
                fingerprint = words[6]
        elif keyword == "NO_PUBKEY":
            state = "no-key"
            key_id = words[0] if words else key_id
        elif keyword == "NODATA":
            state = "error"
            details.append("the file holds no OpenPGP signature")
    return Signature(
        valid=state == "good",
        status=state,
        key_id=key_id,
        fingerprint=fingerprint,
        primary_fingerprint=primary or fingerprint,
        signer=signer,
        digest=digest,
        created=created,
        details=details,
    )


def is_armored(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(ARMOR_HEADER) + 64).lstrip().startswith(ARMOR_HEADER)


@contextmanager
def throwaway_home(keys: Sequence[bytes] = ()) -> Iterator[Gpg]:
    """A fresh, private GnuPG home holding only the given keys; removed afterwards."""
    # gpg-agent's socket path must stay short, so the home lives directly under /tmp
    home = Path(tempfile.mkdtemp(prefix="asfr-gpg-", dir="/tmp" if Path("/tmp").is_dir() else None))
    home.chmod(0o700)
    gpg = Gpg(home)
    try:
        for data in keys:
            gpg.import_keys(data)
        yield gpg
    finally:
        stop_agent(home)
        shutil.rmtree(home, ignore_errors=True)


def stop_agent(home: Path) -> None:
    proc.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, timeout=30)
