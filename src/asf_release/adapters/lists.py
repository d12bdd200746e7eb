"""Mailing-list threads: an mbox, a Maildir, a folder of .eml files, PonyMail (lists.apache.org)
by thread URL or saved JSON, or the sandbox's captured mbox.

Every source gives the cheap part first (heads(): the headers threading needs, for every
message) and the expensive part on demand (text(head): the readable body of one message), so a
month of list traffic is scanned without parsing thousands of bodies. Big files are read through
mmap: the heap holds the heads, never the whole mailbox.

A thread read from the network is one fetch with one deadline and one size budget, whatever the
number of requests it takes (PonyMail: thread.lua, then email.lua for each message). A message the
archive no longer gives (email.lua answers 404: deleted, or hidden from this reader) does not
fail the thread: it stays in the thread with what thread.lua said of it (sender, date, subject)
and `Body.unreadable` says why its text is missing, so the tally can say what it could not count.
"""

from __future__ import annotations

import codecs
import mmap
import os
import re
import tempfile
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from asf_release import boundedjson
from asf_release.adapters import http
from asf_release.errors import ExternalError, UsageError
from asf_release.mailtext import (
    MAX_HEADER_TEXT,
    Head,
    from_epoch,
    html_to_text,
    message_ids,
    normalize_id,
    one_line,
    plausible,
)
from asf_release.progress import NoProgress, Progress

MAX_MESSAGE_BYTES = 4 << 20  # a vote never needs more; attachments beyond are not read
MAX_HEADER_BYTES = 256 << 10
MAX_JSON_BYTES = 64 << 20
MAX_MBOX_DOWNLOAD = 1 << 30
MAX_THREAD_MESSAGES = 2000  # a vote thread has tens; PonyMail is asked for each body, one by one
MAX_THREAD_BYTES = 64 << 20  # everything one thread fetch may receive, all requests together
THREAD_SECONDS = 600.0  # everything one thread fetch may take (vote.max_thread_seconds for a tally)
THREAD_SETTING = "vote.max_thread_seconds"
MAX_JSON_DEPTH = 512  # thread.lua nests two levels per reply; json.loads must never recurse past it
# A mail's MIME tree: Python's parser recurses once per nested multipart (or attached message),
# so a message holding more containers than this is not parsed; nor are more parts than this read.
MAX_MIME_CONTAINERS = 32
MAX_MIME_PARTS = 200

_FOLD = re.compile(r"\r?\n[ \t]+")
_HEADER = re.compile(
    rb"^(message-id|in-reply-to|references|subject|from|date)[ \t]*:[ \t]*(.*(?:\r?\n[ \t].*)*)",
    re.M | re.I,
)


@dataclass(frozen=True)
class Body:
    """The readable text of one message, and what kept part of it from being read. unreadable:
    why the message's text could not be had at all (the archive deleted or hides it)."""

    text: str
    notes: tuple[str, ...] = ()
    unreadable: str = ""


class Fetch:
    """One thread fetch from the network: one deadline and one size budget for all its requests.
    Each error names the thread and what ran out."""

    def __init__(
        self, location: str, deadline: http.Deadline | None = None, max_bytes: int = MAX_THREAD_BYTES
    ) -> None:
        self.location = location
        self.deadline = deadline or http.Deadline(THREAD_SECONDS)
        self.max_bytes = max_bytes
        self.received = 0
        self.progress = ""  # "after 3 of 40 messages", once messages are read one by one

    def read(self, url: str, max_bytes: int = MAX_JSON_BYTES) -> bytes:
        if self.deadline.expired:
            raise self.too_slow()
        allowed = min(max_bytes, self.max_bytes - self.received)
        try:
            data = http.read(url, max_bytes=allowed, deadline=self.deadline)
        except http.TooSlow:
            raise self.too_slow() from None
        except http.TooLarge:
            if allowed < max_bytes:
                raise self.too_large() from None
            raise
        self.received += len(data)
        return data

    def download(self, url: str, target: Path, max_bytes: int, progress: Progress | None) -> None:
        try:
            http.download(url, target, max_bytes=max_bytes, progress=progress, deadline=self.deadline)
        except http.TooSlow:
            raise self.too_slow() from None

    def _where(self) -> str:
        return f" ({self.progress})" if self.progress else ""

    def too_slow(self) -> ExternalError:
        setting = f"raise {self.deadline.setting} in your configuration, or " if self.deadline.setting else ""
        return http.TooSlow(
            f"reading the vote thread from {self.location}: the {self.deadline.seconds:g} s allowed for the "
            f"whole thread ran out{self._where()}, {self.received:,} bytes received",
            f"the list archive is too slow: {setting}download the thread as an mbox and give it with --thread FILE",
        )

    def too_large(self) -> ExternalError:
        return http.TooLarge(
            f"reading the vote thread from {self.location}: it is larger than the {http.size_text(self.max_bytes)} "
            f"a thread may take{self._where()}",
            "check the thread's address; or download the thread as an mbox and give it with --thread FILE",
        )


_CONTAINER = re.compile(rb"^content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart|message)/", re.I | re.M)


class ThreadSource(ABC):
    """Messages of a list, or of one thread."""

    location: str
    thread_id: str | None = None  # the archive's own id of the thread, when it has one

    @abstractmethod
    def heads(self) -> Iterator[Head]: ...

    @abstractmethod
    def text(self, head: Head) -> str:
        """The readable body: plain text preferred, HTML converted, any transfer encoding/charset."""

    def body(self, head: Head) -> Body:
        """The readable body and what kept part of it from being read."""
        return Body(self.text(head))

    def close(self) -> None:
        return None

    def __enter__(self) -> ThreadSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_source(
    location: str,
    *,
    progress: Progress | None = None,
    scratch: Path | None = None,
    deadline: http.Deadline | None = None,
) -> ThreadSource:
    """The source a --thread value names (a path or URL); see the module docstring. deadline: for
    the whole fetch of a thread from the network (THREAD_SECONDS when not given)."""
    if not location:
        raise UsageError("no thread to read", "give --thread FILE|URL, or set vote.thread in the profile")
    where = http.kind(location)
    if where == "http":
        return _open_url(location, progress=progress, scratch=scratch, fetch=Fetch(location, deadline))
    if where != "file":
        raise UsageError(f"'{location}' is not a thread tally can read", "give an mbox, a Maildir or a URL")
    path = http.local_path(location)
    if path.is_dir():
        if all((path / sub).is_dir() for sub in ("cur", "new")):
            return MaildirSource(path)
        return EmlFolderSource(path)
    if not path.is_file():
        raise UsageError(f"{path} does not exist", "give the path of an mbox file, a Maildir or a saved JSON")
    with path.open("rb") as handle:
        start = handle.read(4096).lstrip()
    if start[:1] in (b"{", b"["):
        return PonyMailSource.from_document(
            str(path), _json(http.read(str(path), max_bytes=MAX_JSON_BYTES, deadline=deadline), str(path))
        )
    if start.startswith(b"From ") or not start:
        return MboxSource(path)
    return EmlFolderSource(path.parent, only=[path])


def ponymail_thread_url(api: str, message_id: str) -> str:
    """The API address of the thread that starts with message_id (PonyMail accepts Message-IDs)."""
    return f"{api.rstrip('/')}/thread.lua?id={urllib.parse.quote(message_id, safe='')}"


def _open_url(
    location: str, *, progress: Progress | None, scratch: Path | None, fetch: Fetch
) -> ThreadSource:
    parts = urllib.parse.urlsplit(location)
    query = urllib.parse.parse_qs(parts.query)
    if parts.path.endswith("/thread.lua") and query.get("id"):
        api = location.split("/thread.lua", 1)[0]
        return PonyMailSource.fetch(api, query["id"][0], progress=progress, fetch=fetch)
    web = re.match(r"^(?P<base>.*?)/thread(?:\.html)?/(?P<id>[^/?#]+)$", parts.path)
    if web:
        api = urllib.parse.urlunsplit((parts.scheme, parts.netloc, web.group("base") + "/api", "", ""))
        return PonyMailSource.fetch(
            api, urllib.parse.unquote(web.group("id")), progress=progress, fetch=fetch
        )
    if parts.path.endswith(".json") or parts.path.endswith("/email.lua"):
        return PonyMailSource.from_document(location, _json(fetch.read(location), location))
    # anything else: an mbox (api/mbox.lua?list=...&date=YYYY-MM, or a file on a web server)
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="thread-", suffix=".mbox", dir=scratch)
    os.close(handle)
    target = Path(name)
    try:
        fetch.download(location, target, MAX_MBOX_DOWNLOAD, progress)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return MboxSource(target, location=location, remove=True)


def _json(data: bytes, where: str) -> Any:
    try:
        return boundedjson.loads(data, max_depth=MAX_JSON_DEPTH)
    except boundedjson.TooDeep as error:
        raise ExternalError(
            f"{where} is not a mail thread: its {error}", "check the thread's address or file"
        ) from None
    except ValueError as error:
        raise ExternalError(f"{where} is not valid JSON ({error})") from None


# --- mbox -------------------------------------------------------------------------------------


class MboxSource(ThreadSource):
    """An mbox file (mboxo/mboxrd, as lists.apache.org and mail clients write them)."""

    def __init__(self, path: Path, *, location: str | None = None, remove: bool = False) -> None:
        self.path = path
        self.location = location or str(path)
        self._remove = remove
        self._handle = path.open("rb")
        size = os.fstat(self._handle.fileno()).st_size
        self._map = mmap.mmap(self._handle.fileno(), 0, access=mmap.ACCESS_READ) if size else None

    def heads(self) -> Iterator[Head]:
        data = self._map
        if data is None:
            return
        size = len(data)
        start, position = 0, 0
        while start < size:
            # a message ends where a line starting with "From " begins (bodies escape theirs)
            end = data.find(b"\nFrom ", start + 1)
            end = size if end < 0 else end + 1
            body_start = data.find(b"\n", start, end) + 1 if data[start : start + 5] == b"From " else start
            limit = min(end, body_start + MAX_HEADER_BYTES)
            header_end = data.find(b"\n\n", body_start, limit)
            yield _head(
                data[body_start : header_end if header_end >= 0 else limit], (body_start, end), position
            )
            start, position = end, position + 1

    def body(self, head: Head) -> Body:
        assert self._map is not None and isinstance(head.key, tuple)
        start, end = head.key
        return read_body(self._map[start : min(end, start + MAX_MESSAGE_BYTES)])

    def text(self, head: Head) -> str:
        return self.body(head).text

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._handle.close()
        if self._remove:
            self.path.unlink(missing_ok=True)


def _head(header: bytes, key: object, position: int) -> Head:
    values: dict[str, str] = {}
    for name, value in _HEADER.findall(header):
        lowered = name.decode("ascii").lower()
        if lowered not in values:
            text = value.decode("utf-8", errors="replace")
            values[lowered] = (_FOLD.sub(" ", text) if "\n" in text else text).strip()
    message_id = normalize_id(values.get("message-id", ""))
    return Head(
        key=key,
        message_id=message_id if message_id != "<>" else f"<no-message-id-{position}@asf-release>",
        in_reply_to=message_ids(values.get("in-reply-to", "")),
        references=message_ids(values.get("references", "")),
        subject=one_line(_decoded(values.get("subject", ""))),
        sender_raw=one_line(_decoded(values.get("from", ""))),
        date_raw=one_line(values.get("date", ""), 200) or None,
        position=position,
    )


def _decoded(value: str) -> str:
    """An RFC 2047 encoded header ('=?utf-8?q?...?=') as text; left as it is when it cannot be
    decoded (an unknown or broken charset, bad base64)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value[: MAX_HEADER_TEXT * 4])))
    except (LookupError, ValueError, UnicodeError, email_errors.HeaderParseError):
        return value


# --- Maildir and .eml files ---------------------------------------------------------------------


class _FileSource(ThreadSource):
    def _files(self) -> list[Path]:
        raise NotImplementedError

    def heads(self) -> Iterator[Head]:
        for position, path in enumerate(self._files()):
            with path.open("rb") as handle:
                header = handle.read(MAX_HEADER_BYTES)
            end = header.find(b"\n\n")
            yield _head(header[: end if end >= 0 else len(header)], path, position)

    def body(self, head: Head) -> Body:
        assert isinstance(head.key, Path)
        with head.key.open("rb") as handle:
            return read_body(handle.read(MAX_MESSAGE_BYTES))

    def text(self, head: Head) -> str:
        return self.body(head).text


class MaildirSource(_FileSource):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    def _files(self) -> list[Path]:
        found = [p for sub in ("cur", "new") for p in (self.path / sub).iterdir() if p.is_file()]
        return sorted(found, key=lambda p: p.name)


class EmlFolderSource(_FileSource):
    def __init__(self, path: Path, only: list[Path] | None = None) -> None:
        self.path = path
        self.only = only
        self.location = str(only[0] if only else path)

    def _files(self) -> list[Path]:
        if self.only is not None:
            return self.only
        return sorted(
            p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in (".eml", ".msg", "")
        )


# --- PonyMail (lists.apache.org) -----------------------------------------------------------------


_UNREADABLE = "_unreadable"  # why a message's text could not be had (set by fetch)
_GONE = (404, 410)  # email.lua's answer for a message deleted, or hidden from this reader


class PonyMailSource(ThreadSource):
    """A thread from PonyMail's API (thread.lua, then email.lua per message) or its saved JSON.

    thread.lua gives the tree (children) with short entries; email.lua gives one message with its
    body. Anonymous readers see addresses shortened ('br...@apache.org'): the roster then matches
    a person by name and the visible start of the address.
    """

    def __init__(
        self, location: str, docs: list[dict[str, Any]], api: str | None, thread_id: str | None
    ) -> None:
        self.location = location
        self.api = api
        self.thread_id = thread_id
        self._docs = docs
        self._bodies: dict[str, str] = {}

    @classmethod
    def fetch(
        cls, api: str, thread: str, *, progress: Progress | None = None, fetch: Fetch | None = None
    ) -> PonyMailSource:
        """The thread from thread.lua, each message's body from email.lua, all within one Fetch's
        deadline and size budget. A message email.lua no longer gives (404, 410) is kept with what
        thread.lua said of it, marked unreadable; any other failure fails the fetch."""
        url = f"{api.rstrip('/')}/thread.lua?id={urllib.parse.quote(thread, safe='')}"
        fetch = fetch or Fetch(url)
        document = _json(fetch.read(url), url)
        source = cls.from_document(url, document, api=api)
        missing = [doc for doc in source._docs if not isinstance(doc.get("body"), str)]
        if len(missing) > MAX_THREAD_MESSAGES:
            raise ExternalError(
                f"{url} lists {len(missing)} messages, more than the {MAX_THREAD_MESSAGES} a vote thread may hold",
                "check the thread id; or download the list's mbox and give it with --thread",
            )
        with (progress or NoProgress()).task("read the thread's messages", len(missing)) as task:
            for number, doc in enumerate(missing):
                fetch.progress = f"after {number} of {len(missing)} messages"
                mid = _field(doc, "mid", "id", "message-id")
                if not mid:
                    doc[_UNREADABLE] = "the archive's thread gives no id to ask for it by"
                    continue
                email_url = f"{api.rstrip('/')}/email.lua?id={urllib.parse.quote(mid, safe='')}"
                try:
                    full = _json(fetch.read(email_url), email_url)
                except http.Refusal as error:
                    if error.status not in _GONE:
                        raise
                    doc[_UNREADABLE] = (
                        f"the archive answered {error.status} {one_line(error.reason, 80)} for it "
                        "(deleted, or hidden from this reader)"
                    )
                    full = None
                if isinstance(full, dict):
                    parent = doc.get("_parent")
                    doc.update({k: v for k, v in full.items() if k != _UNREADABLE})
                    if parent:
                        doc["_parent"] = parent
                if _UNREADABLE not in doc and not isinstance(doc.get("body"), str):
                    doc[_UNREADABLE] = "the archive's answer for it holds no text"
                task.advance(1)
        return source

    @classmethod
    def from_document(cls, location: str, document: Any, *, api: str | None = None) -> PonyMailSource:
        """thread.lua's answer ({"thread": tree, "emails": [...]}), a list of emails, or one email.

        Every field may be missing or of another type than PonyMail writes (a stranger's file, a
        broken proxy): what is not a string where a string goes, or a list where a list goes, is
        ignored."""
        docs: dict[str, dict[str, Any]] = {}
        thread_id = None

        def visit(root: Any) -> None:
            pending: list[tuple[Any, str | None]] = [(root, None)]
            while pending:
                doc, parent = pending.pop()
                if not isinstance(doc, dict):
                    continue
                key = _field(doc, "mid", "id", "message-id") or f"#{len(docs)}"
                entry = docs.setdefault(key, {})
                entry.update({k: v for k, v in doc.items() if k not in ("children", _UNREADABLE)})
                if parent and "_parent" not in entry:
                    entry["_parent"] = parent
                children = doc.get("children")
                if isinstance(children, list):
                    own = _field(doc, "message-id")
                    pending.extend((child, own) for child in reversed(children))

        if isinstance(document, dict) and isinstance(document.get("thread"), dict):
            thread = document["thread"]
            thread_id = _field(thread, "tid", "mid", "id") or None
            visit(thread)
            for email in _list(document.get("emails")):
                visit(email)
        elif isinstance(document, dict) and isinstance(document.get("emails"), list):
            for email in document["emails"]:
                visit(email)
        elif isinstance(document, list):
            for email in document:
                visit(email)
        elif isinstance(document, dict) and _field(document, "message-id"):
            visit(document)
        else:
            raise UsageError(
                f"{location} is not PonyMail JSON",
                "save the answer of lists.apache.org/api/thread.lua?id=... or give the thread URL",
            )
        return cls(location, list(docs.values()), api, thread_id)

    def heads(self) -> Iterator[Head]:
        for position, doc in enumerate(self._docs):
            message_id = normalize_id(_field(doc, "message-id"))
            if message_id == "<>" and _UNREADABLE in doc:  # never dropped unseen: it may be a vote
                message_id = normalize_id(f"unreadable-{_field(doc, 'mid', 'id') or position}@asf-release")
            if message_id == "<>":
                continue
            parents = message_ids(_field(doc, "in-reply-to", "irt"))
            references = message_ids(_field(doc, "references"))
            parent = _field(doc, "_parent")
            if parent:
                references = (*references, normalize_id(parent))
            when, notes = _ponymail_date(doc)
            yield Head(
                key=position,
                message_id=message_id,
                in_reply_to=parents,
                references=references,
                subject=one_line(_decoded(_field(doc, "subject"))),
                sender_raw=one_line(_decoded(_field(doc, "from_raw", "from"))),
                when=when,
                position=position,
                notes=notes,
            )

    def text(self, head: Head) -> str:
        assert isinstance(head.key, int)
        body = self._docs[head.key].get("body")
        return body[:MAX_MESSAGE_BYTES] if isinstance(body, str) else ""

    def body(self, head: Head) -> Body:
        assert isinstance(head.key, int)
        why = self._docs[head.key].get(_UNREADABLE)
        return Body("", unreadable=why) if isinstance(why, str) else Body(self.text(head))


def _field(doc: dict[str, Any], *names: str) -> str:
    """The first of these fields that holds text (a number is taken as its digits), else ''."""
    for name in names:
        value = doc.get(name)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _ponymail_date(doc: dict[str, Any]) -> tuple[datetime | None, tuple[str, ...]]:
    """A PonyMail document's date: 'epoch' (seconds, as its archiver writes it), else its 'date'
    ('YYYY/MM/DD HH:MM:SS', UTC). An epoch that is no date is said, never used."""
    epoch = doc.get("epoch")
    when = from_epoch(epoch)
    if when is not None:
        return when, ()
    text = _field(doc, "date")
    try:
        parsed: datetime | None = datetime.strptime(text[:40], "%Y/%m/%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        parsed = None
    if parsed is not None and not plausible(parsed):
        parsed = None
    if epoch is None:
        return parsed, ()
    shown = one_line(repr(epoch), 40)
    instead = "its 'date' field is used" if parsed else "it is taken as the latest message"
    return parsed, (f"its date (epoch {shown}) is not a date: {instead}",)


def readable_text(raw: bytes) -> str:
    return read_body(raw).text


def read_body(raw: bytes) -> Body:
    """The body a person reads: text/plain preferred, else HTML as text; decoded whatever the
    transfer encoding (base64, quoted-printable) and charset (unknown or undecodable ones read as
    UTF-8 with replacements, not fatal). A MIME tree nested past MAX_MIME_CONTAINERS is not parsed
    and only the first MAX_MIME_PARTS parts are looked at: each is said in the notes.

    Parsed with the compat32 policy: the modern one builds rich header objects a vote never
    needs, at ten times the cost."""
    containers = len(_CONTAINER.findall(raw))
    if containers > MAX_MIME_CONTAINERS:
        return Body(
            "",
            (
                f"its MIME structure is nested {containers} levels of parts deep (more than "
                f"{MAX_MIME_CONTAINERS}): its text was not read",
            ),
        )
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    plain: Message | None = None
    html: Message | None = None
    notes: tuple[str, ...] = ()
    pending = [message]
    seen = 0
    while pending and plain is None:
        part = pending.pop()
        seen += 1
        if seen > MAX_MIME_PARTS:
            notes = (f"it has more than {MAX_MIME_PARTS} MIME parts: only the first ones were read",)
            break
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                pending.extend(reversed([p for p in payload if isinstance(p, Message)]))
            continue
        if str(part.get("Content-Disposition", "")).strip().lower().startswith("attachment"):
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    if plain is not None:
        return Body(_content(plain), notes)
    return Body(html_to_text(_content(html)) if html is not None else "", notes)


# Codecs Python has under a name a Content-Type may give, which are no character set of mail:
# 'punycode' turns plain text into nothing, 'idna' and 'undefined' refuse to decode.
_NOT_CHARSETS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"})


def _content(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        if codecs.lookup(charset).name in _NOT_CHARSETS:
            charset = "utf-8"
        return payload.decode(charset, errors="replace")
    except (LookupError, UnicodeError, ValueError):
        # a charset Python does not know ('x-foo'), or a codec that is not for text ('hex'):
        # keep what UTF-8 can read
        return payload.decode("utf-8", errors="replace")


def contains(source: ThreadSource, message_id: str) -> Head | None:
    """The message with this Message-ID in the source, if it is there."""
    wanted = normalize_id(message_id)
    for head in source.heads():
        if head.message_id == wanted:
            return head
    return None
