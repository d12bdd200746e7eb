"""Fixtures of the vote: realistic vote threads, the package/stage facts, a PonyMail server.

Threads are written the way mail clients write them: Gmail top-posting with '>' quotes and its
wrapped attribution, Outlook's unquoted original under a From:/Sent: block, HTML-only mail in
base64, quoted-printable UTF-8 and Latin-1 bodies, replies that lost their threading headers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mailbox
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import pytest

from asf_release.context import Context
from asf_release.ledger import EventKind
from asf_release.sandbox.services import LOOPBACK

VERSION = "2.11.0"
SUBJECT = "[VOTE] Release Apache Kvrocks 2.11.0-rc1"
RESULT_SUBJECT = "[RESULT][VOTE] Release Apache Kvrocks 2.11.0-rc1"
START = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)

# The PMC of the corpus (committee-info.json), and people off it.
PMC = {
    "rm": "Riley Morgan",
    "alice": "Alice Zhang",
    "bruno": "Bruno Costa",
    "chenwei": "Chen Wei",
    "grace": "Grace Hopkins",
    "jbonofre": "Jean-Baptiste Onofré",
    "liuxin": "刘欣",
}
RM = ("Riley Morgan", "rm@apache.org")
ALICE = ("Alice Zhang", "alice@apache.org")
BRUNO = ("Bruno Costa", "bruno@apache.org")
BRUNO_GMAIL = ("Bruno Costa", "bruno.costa.dev@gmail.com")
CHEN = ("Chen Wei", "chenwei@apache.org")
GRACE = ("Grace Hopkins", "grace@apache.org")
JB = ("Jean-Baptiste Onofré", "jbonofre@apache.org")
LIU = ("刘欣", "liuxin@apache.org")
DANA = ("Dana Okafor", "dana@example.org")
ERIK = ("Erik Lund", "erik.lund@example.com")
FRANK = ("Frank Miller", "frank@company.example")

VOTE_BODY = """Hello Apache Kvrocks PMC and Community,

This is a call for a vote to release Apache Kvrocks version 2.11.0.

The tag to be voted on is v2.11.0-rc1.

The release candidate:
https://dist.apache.org/repos/dist/dev/kvrocks/2.11.0-rc1/

Keys to verify the release candidate:
https://downloads.apache.org/kvrocks/KEYS

Git tag for the release:
https://github.com/apache/kvrocks/tree/v2.11.0-rc1

Please download, verify, and test.

The VOTE will remain open for at least 72 hours and passes with at least
3 +1 binding votes and no -1 binding vote.

[ ] +1 approve
[ ] +0 no opinion
[ ] -1 disapprove with the reason

Checklist for reference:

[ ] Download links are valid.
[ ] Checksums and signatures.
[ ] LICENSE/NOTICE files exist
[ ] No unexpected binary files
[ ] All source files have ASF headers
[ ] Can compile from source
[ ] All Tests Passed

Thanks,
Riley Morgan
"""


def vote_body(rc: int) -> str:
    """The VOTE of another candidate of the same version: the body names its tag and directory."""
    return VOTE_BODY.replace("-rc1", f"-rc{rc}")


def committee_info() -> dict[str, Any]:
    roster = {uid: {"name": name, "date": "2022-06-01"} for uid, name in PMC.items()}
    return {
        "last_updated": "2025-03-01 00:00:00 UTC",
        "committees": {
            "kvrocks": {
                "display_name": "Kvrocks",
                "chair": {"rm": {"name": "Riley Morgan"}},
                "roster": roster,
                "pmc": True,
            },
            "other": {"display_name": "Other", "roster": {"dana": {"name": "Dana Okafor"}}, "pmc": True},
        },
    }


@dataclass
class Mail:
    """One message of a thread, built as a mail client would."""

    sender: tuple[str, str]
    body: str
    at: datetime
    subject: str = ""
    parent: Mail | None = None
    message_id: str = ""
    html: str | None = None  # an HTML part (alternative to the text, or alone with html_only)
    html_only: bool = False
    charset: str = "utf-8"
    cte: str | None = None  # "base64", "quoted-printable"
    threaded: bool = True  # In-Reply-To/References present
    client: str = "gmail"

    def __post_init__(self) -> None:
        if not self.message_id:
            digest = hashlib.sha1(f"{self.sender}{self.at}{self.body}".encode()).hexdigest()
            domains = {"gmail": "mail.gmail.com", "outlook": "EUR01.prod.outlook.com", "apple": "apache.org"}
            prefix = {"gmail": "CA+", "outlook": "AM0PR", "apple": ""}[self.client]
            self.message_id = f"<{prefix}{digest[:24]}@{domains[self.client]}>"
        if not self.subject:
            self.subject = f"Re: {self.parent.subject.removeprefix('Re: ')}" if self.parent else SUBJECT

    def chain(self) -> list[str]:
        ids: list[str] = []
        node = self.parent
        while node is not None:
            ids.insert(0, node.message_id)
            node = node.parent
        return ids

    def message(self) -> EmailMessage:
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = formataddr(self.sender)
        message["To"] = "dev@kvrocks.apache.org"
        message["Subject"] = self.subject
        message["Date"] = format_datetime(self.at)
        message["Message-ID"] = self.message_id
        if self.parent is not None and self.threaded:
            message["In-Reply-To"] = self.parent.message_id
            message["References"] = " ".join(self.chain())
        if self.html_only:
            message.set_content(
                self.html or "", subtype="html", charset=self.charset, cte=self.cte or "base64"
            )
        else:
            message.set_content(
                self.body, charset=self.charset, cte=self.cte or _cte(self.body, self.charset)
            )
            if self.html is not None:
                message.add_alternative(self.html, subtype="html", charset="utf-8")
        return message


def _cte(body: str, charset: str) -> str:
    return "7bit" if body.isascii() else "quoted-printable" if charset == "utf-8" else "8bit"


def quote(parent: Mail, *, client: str = "gmail") -> str:
    """How a client quotes the parent below a reply."""
    name, email = parent.sender
    if client == "outlook":
        return (
            "\n________________________________\n"
            f"From: {name} <{email}>\n"
            f"Sent: {parent.at:%A, %B %d, %Y %I:%M %p}\n"
            "To: dev@kvrocks.apache.org\n"
            f"Subject: {parent.subject}\n\n" + parent.body
        )
    when = parent.at.strftime("%a, %b %d, %Y at %I:%M %p")
    quoted = "\n".join(f"> {line}" if line else ">" for line in parent.body.splitlines())
    # Gmail wraps long attributions onto two lines
    return f"\nOn {when} {name} <\n{email}> wrote:\n\n{quoted}\n"


def reply(parent: Mail, sender: tuple[str, str], text: str, hours: float, **options: Any) -> Mail:
    """A reply `hours` after the VOTE; text may hold {quote} where the client puts the quote."""
    client = options.pop("client", "gmail")
    body = text.replace("{quote}", quote(parent, client=client)) if "{quote}" in text else text
    return Mail(sender, body, START + timedelta(hours=hours), parent=parent, client=client, **options)


def vote_mail(**options: Any) -> Mail:
    return Mail(RM, VOTE_BODY, START, subject=SUBJECT, client="apple", **options)


@dataclass
class Thread:
    mails: list[Mail] = field(default_factory=list)

    def add(self, *mails: Mail) -> Thread:
        self.mails.extend(mails)
        return self

    def mbox(self, path: Path) -> Path:
        box = mailbox.mbox(path)
        try:
            for mail in self.mails:
                box.add(mail.message().as_bytes(policy=policy.SMTP))
            box.flush()
        finally:
            box.close()
        return path

    def maildir(self, path: Path) -> Path:
        box = mailbox.Maildir(path, create=True)
        try:
            for mail in self.mails:
                box.add(mail.message().as_bytes(policy=policy.SMTP))
        finally:
            box.close()
        return path

    def ponymail(self, anonymize: bool = False) -> dict[str, dict[str, Any]]:
        """The messages as PonyMail Foal's archiver stores them (tools/archiver.py), keyed by its own
        id (mid): headers decoded, the sender as `Name <address>` (quoted only when the name needs
        it), `date` as 'YYYY/MM/DD HH:MM:SS' UTC. lists.apache.org hides addresses from anonymous
        readers ('br...@apache.org') in `from` and `from_raw` alike."""
        docs = {}
        for mail in self.mails:
            mid = hashlib.sha256(mail.message_id.encode()).hexdigest()[:32]
            name, email = mail.sender
            if anonymize:
                local, _, domain = email.partition("@")
                email = f"{local[:2]}...@{domain}"
            body = mail.body if not mail.html_only else _html_text(mail.html or "")
            sender = ponymail_address(name, email)
            docs[mid] = {
                "from_raw": sender,
                "from": sender,
                "to": "dev@kvrocks.apache.org",
                "subject": mail.subject,
                "message-id": mail.message_id,
                "mid": mid,
                "id": mid,
                "cc": "",
                "epoch": int(mail.at.timestamp()),
                "list": "<dev.kvrocks.apache.org>",
                "list_raw": "<dev.kvrocks.apache.org>",
                "date": mail.at.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S"),
                "private": False,
                "references": " ".join(mail.chain()) if mail.threaded else "",
                "in-reply-to": mail.parent.message_id if mail.parent and mail.threaded else "",
                "body": body,
                "attachments": [],
                "gravatar": hashlib.md5(email.encode()).hexdigest(),  # as PonyMail computes it
            }
        return docs


def ponymail_address(name: str, email: str) -> str:
    """How PonyMail writes a sender: the name quoted only when it holds a special character."""
    if not name:
        return email
    quoted = any(c in name for c in '[]\\()<>@,:;".')
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{email}>' if quoted else f"{escaped} <{email}>"


def _html_text(html: str) -> str:
    from asf_release.mailtext import html_to_text

    return html_to_text(html)


# --- the ledger's facts, as the package and stage steps record them -----------------------------


def seed_candidate(ctx: Context, *, with_image: bool = False, rc: int = 1, version: str = VERSION) -> None:
    """Append the package and stage steps' results exactly as those steps do."""
    tag = f"v{version}-rc{rc}"
    artifact = f"apache-kvrocks-{version}-src.tar.gz"
    ctx.ledger.append(
        version,
        "package",
        EventKind.RESULT,
        {
            "summary": f"packaged {tag}",
            "tag": tag,
            "commit": "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a",
            "artifacts": [{"name": artifact, "sha512": "ab" * 64, "size": 1_843_200}],
            "signing_key": "0123456789ABCDEF0123456789ABCDEF01234567",
            "signer": "Riley Morgan <rm@apache.org>",
        },
        rc=rc,
    )
    url = f"{ctx.profile.dist.dev_url}/{version}-rc{rc}"
    ctx.ledger.append(
        version,
        "stage",
        EventKind.RESULT,
        {
            "summary": "staged",
            "url": url,
            "revision": 12,
            "files": [artifact, artifact + ".asc", artifact + ".sha512"],
        },
        rc=rc,
    )
    if with_image:
        ctx.ledger.append(
            version,
            "images",
            EventKind.RESULT,
            {"image": f"rm/kvrocks:{version}", "digest": "sha256:" + "5e" * 32},
            rc=rc,
        )
    else:  # as `vote --no-image` records it: this candidate has no image, on purpose
        ctx.ledger.append(version, "images", EventKind.DECISION, {"no_image": True}, rc=rc)


# --- a PonyMail server on 127.0.0.1 --------------------------------------------------------------


class PonyMail:
    """Answers api/thread.lua?id= and api/email.lua?id= (by PonyMail id or Message-ID) like
    lists.apache.org: the thread as a tree of short entries, each email in full."""

    def __init__(self, docs: dict[str, dict[str, Any]], *, trickle: float = 0.0) -> None:
        self.docs = docs
        self.trickle = trickle  # seconds over which each email.lua answer is sent, a few bytes at a time
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def find(self, key: str) -> dict[str, Any] | None:
        if key in self.docs:
            return self.docs[key]
        for doc in self.docs.values():
            if doc["message-id"] in (key, f"<{key.strip('<>')}>"):
                return doc
        return None

    # the fields api/thread.lua keeps of an email (plugins/messages.py, USED_UI_FIELDS)
    UI_FIELDS = frozenset(
        {"attachments", "body", "children", "epoch", "from", "gravatar", "id", "in-reply-to", "list_raw",
         "list", "message-id", "mid", "private", "subject"}
    )  # fmt: skip

    def _children(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        """fetch_children(short=True): a short entry per reply, its replies in `children`."""
        return [
            {
                "tid": child["mid"],
                "mid": child["mid"],
                "message-id": child["message-id"],
                "subject": child["subject"],
                "from": child["from"],
                "id": child["mid"],
                "epoch": child["epoch"],
                "children": self._children(child),
                "irt": child["in-reply-to"],
                "list_raw": child["list_raw"],
            }
            for child in self.docs.values()
            if child["in-reply-to"] == doc["message-id"]
        ]

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        key = query.get("id", [""])[0]
        doc = self.find(key)
        if doc is None:
            return 404, "Email not found"  # PonyMail answers 404 in plain text
        if path.endswith("/api/thread.lua"):
            # endpoints/thread.py: the root email, trimmed to the UI's fields, with its children;
            # `emails` holds the root (fetch_children's own list stays empty: every entry is
            # already registered when its parent looks)
            root = {k: v for k, v in doc.items() if k in self.UI_FIELDS}
            root["children"] = self._children(doc)
            return 200, {"thread": root, "emails": [root]}
        if path.endswith("/api/email.lua"):
            return 200, doc
        return 404, "no such endpoint"

    def __enter__(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                owner.requests.append(self.path)
                status, data = owner.answer(parts.path, urllib.parse.parse_qs(parts.query))
                text = isinstance(data, str)
                payload = data.encode() if text else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if text else "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                pieces = [payload]
                if owner.trickle and parts.path.endswith("/email.lua"):
                    pieces = [payload[i : i + 64] for i in range(0, len(payload), 64)]
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    for piece in pieces:
                        self.wfile.write(piece)
                        self.wfile.flush()
                        time.sleep(owner.trickle / len(pieces) if len(pieces) > 1 else 0)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


# --- an SMTP server that takes the message, then drops the connection ----------------------------


class DroppingSmtp:
    """aiosmtpd on 127.0.0.1 whose DATA handler keeps the message (appended to `mbox`, the list's
    archive, when `keep`) and then closes the connection before answering: the client cannot know
    whether the message went out. The fault a release manager meets when a relay restarts."""

    def __init__(self, mbox: Path, *, keep: bool = True) -> None:
        self.mbox = mbox
        self.keep = keep
        self.received = 0
        self._controller: Any = None

    @property
    def port(self) -> int:
        assert self._controller is not None
        return int(self._controller.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        if self.keep:
            box = mailbox.mbox(self.mbox)
            try:
                box.add(envelope.original_content or envelope.content)
                box.flush()
            finally:
                box.close()
        server.transport.close()  # the message is taken; the answer never leaves
        return "250 Message accepted for delivery"

    def __enter__(self) -> DroppingSmtp:
        from aiosmtpd.controller import Controller

        from asf_release.sandbox.services import free_port

        self._controller = Controller(self, hostname=LOOPBACK, port=free_port())
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    path = tmp_path / "committee-info.json"
    path.write_text(json.dumps(committee_info(), ensure_ascii=False))
    return path


def override_config(config: Path, section: str, key: str, value: object) -> None:
    """Change one key of a personal config file (the sandbox's), keeping the others."""
    import tomllib

    data = tomllib.loads(config.read_text())
    data.setdefault(section, {})[key] = value
    lines = []
    for name, items in data.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in items.items())
        lines.append("")
    config.write_text("\n".join(lines))
