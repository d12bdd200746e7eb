"""Pure helpers about mail as people write it: subjects, Message-IDs, HTML, quotes, signatures.

No I/O here: the adapters hand over decoded text, this module says which lines a person wrote
in this message (not quoted from an earlier one, not a signature, not a template checkbox).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from functools import cached_property
from html.parser import HTMLParser

# --- headers ----------------------------------------------------------------------------------

_MESSAGE_ID = re.compile(r"<[^<>]*>")
# Reply and forward prefixes of common clients, in several languages ("回复" and "答复": Chinese).
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|antw|sv|vs|fwd?|wg|tr|rif|回复|答复|转发)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I
)
# What a header value may not carry once decoded: control characters (CR, LF, NUL, VT, FF, the
# C1 NEL U+0085...) and the Unicode line and paragraph separators, which str.splitlines(), some
# mail libraries and terminals all take for line breaks.
_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_HEADER_TEXT = 2000  # a subject or an address longer than this is cut (and never a vote's)


def one_line(text: str, limit: int = MAX_HEADER_TEXT) -> str:
    """A decoded header value as one line of text: every control character and line separator
    becomes a space, runs of spaces one space, and the whole is cut at `limit` characters."""
    if _BREAKING.search(text):
        text = _BREAKING.sub(" ", text)
    if "  " in text:
        text = re.sub(r" {2,}", " ", text)
    return text.strip()[:limit]


def _visible_token(text: str, *, ascii_only: bool = True) -> str:
    """A token (Message-ID, address) with what it may not hold written as an escape: every
    character outside printable ASCII (or, for addresses, every control character, space and
    line separator), so that it stays one token a header, a terminal or a ledger can carry, and
    two different ones stay different."""
    if text.isascii() and text.isprintable() and " " not in text:
        return text
    out = []
    for char in text:
        code = ord(char)
        if 0x21 <= code <= 0x7E or not (ascii_only or char.isspace() or _BREAKING.match(char)):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


def message_ids(text: str) -> tuple[str, ...]:
    """The Message-IDs in a header value (In-Reply-To, References), in order, each made one safe
    token (see _visible_token) the same way whichever header it came from."""
    found = tuple(_visible_token(m) for m in _MESSAGE_ID.findall(text) if len(m) > 2)
    if found or not text.strip():
        return found
    bare = text.strip().split()[0].strip("<>")  # a broken client left out the angle brackets
    return (_visible_token(f"<{bare}>"),) if bare else ()


def normalize_id(value: str) -> str:
    found = message_ids(value)
    return found[0] if found else "<>"


_SPACES = re.compile(r"\s+")
_BRACKETS = re.compile(r"\]\s+\[")


def is_reply_subject(subject: str) -> bool:
    return bool(_REPLY_PREFIX.match(subject))


def normalize_subject(subject: str) -> str:
    """A subject reduced to what identifies a thread: no Re:/Fwd:, one space, lower case."""
    if not subject.isascii():
        subject = unicodedata.normalize("NFKC", subject)
    text = _SPACES.sub(" ", _REPLY_PREFIX.sub("", subject)).strip().lower()
    return _BRACKETS.sub("][", text) if "] [" in text else text


# The words before an RC number in a subject: "-rc", " rc", "_RC", " (rc", ", release candidate #".
_RC_WORDS = r"[\s\-_.,]*\(?\s*(?:rc|release candidate)\s*#?\s*"
_RC_MARK = re.compile(_RC_WORDS + "$")
_OPTIONAL_RC = rf"(?:{_RC_WORDS}(?P<rc>\d+)\s*\)?)?"


def subject_pattern(template: str, values: dict[str, str | None]) -> re.Pattern[str]:
    """A regex matching normalized subjects the template gives; a value of None matches digits.

    The template's runtime placeholders ({version}, {rc}) become their values; the group 'rc'
    captures the release candidate number when it is left open. An open RC number is optional,
    as people write it: '[VOTE] Release X 2.10.2' (the seed's own template) matches
    '[VOTE] Release X {version}-rc{rc}', and a template without {rc} still captures '-rc2' after
    the version. Who tells candidates apart then: the Message-ID, or the RC the body names.
    """
    pieces = re.split(r"(\{[a-z_]+\})", normalize_subject(template))
    open_rc = "{rc}" in pieces and values.get("rc") is None
    out = []
    seen: set[str] = set()
    for index, part in enumerate(pieces):
        name = part[1:-1] if part.startswith("{") and part.endswith("}") else None
        if name is None:
            following = pieces[index + 1] if index + 1 < len(pieces) else ""
            mark = _RC_MARK.search(part) if open_rc and following == "{rc}" else None
            out.append(re.escape(part[: mark.start()] if mark else part))
        elif name == "rc" and open_rc and "rc" not in seen and _RC_MARK.search(pieces[index - 1]):
            out.append(_OPTIONAL_RC)
            seen.add(name)
            if index + 1 < len(pieces) and pieces[index + 1].startswith(")"):
                pieces[index + 1] = pieces[index + 1][1:]  # "(rc{rc})": the group took the ")"
        elif values.get(name) is not None:
            out.append(re.escape(str(values[name]).lower()))
            if name == "version" and "{rc}" not in pieces and "rc" not in seen:
                out.append(_OPTIONAL_RC)  # no {rc} in the template: "-rc2" may still follow
                seen.add("rc")
        else:
            out.append(r"\d+" if name in seen else rf"(?P<{name}>\d+)")
            seen.add(name)
    return re.compile("^" + "".join(out) + "$")


def rc_in_body(text: str, version: str) -> int | None:
    """The release candidate a VOTE's own lines name ('v2.10.2-rc1', '.../2.10.2-rc1/', 'release
    candidate 1'): the number named most often, or None when none is, or when two tie."""
    named = re.compile(
        rf"(?<![\d.]){re.escape(version)}[-_.]?rc(\d{{1,4}})(?!\d)|\brelease candidate\s+(?:#\s*)?(\d{{1,4}})\b",
        re.I,
    )
    counts: dict[int, int] = {}
    for line in visible(text).lines:
        for match in named.finditer(line):
            number = int(match.group(1) or match.group(2))
            counts[number] = counts.get(number, 0) + 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


@dataclass(frozen=True)
class Sender:
    name: str
    email: str

    @classmethod
    def parse(cls, value: str) -> Sender:
        name, email = parseaddr(value[: MAX_HEADER_TEXT * 2])
        name = one_line(re.sub(r"\s+", " ", name)).strip().strip("'\"")
        # an address holding a line separator or a control character is no one's address: kept
        # visible (escaped), it matches no roster entry
        email = _visible_token(email.strip(" \t\r\n").lower()[:MAX_HEADER_TEXT], ascii_only=False)
        # "Name via dev" is how some lists rewrite a sender; the name is still the person's
        name = re.sub(r"\s+via\s+\S+$", "", name)
        return cls(name, email)

    @property
    def hidden(self) -> bool:
        """An archive showed only the start of the address ('br...@apache.org')."""
        return "...@" in self.email

    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return when if plausible(when) else None


# A message dated outside these years is a broken or hostile clock: its date is not used (the vote
# arithmetic, start + 72 hours, must never overflow).
EARLIEST, LATEST = datetime(1990, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def plausible(when: datetime) -> bool:
    try:
        return EARLIEST <= when < LATEST
    except (TypeError, OverflowError):
        return False


def from_epoch(value: object) -> datetime | None:
    """A date from an archive's epoch seconds (PonyMail's 'epoch'); None when it is not a finite
    number of a plausible year (1e300, NaN, inf, a negative, true, a list...)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value) if not isinstance(value, int) else value
        if math.isnan(seconds) or not EARLIEST.timestamp() <= seconds < LATEST.timestamp():
            return None
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return None


@dataclass(frozen=True)
class Head:
    """The headers of one message that threading and counting need; cheap to read for many."""

    key: object  # where the source finds the message again (a file offset, a path, an id)
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    sender_raw: str
    date_raw: str | None = None
    when: datetime | None = None
    position: int = 0  # order in the source, breaks ties between equal dates
    notes: tuple[str, ...] = ()  # what the source found wrong with it (an impossible date...)

    @cached_property
    def date(self) -> datetime | None:
        return self.when or parse_date(self.date_raw)

    @cached_property
    def sender(self) -> Sender:
        return Sender.parse(self.sender_raw)

    @cached_property
    def normalized_subject(self) -> str:
        return normalize_subject(self.subject)

    @property
    def parents(self) -> tuple[str, ...]:
        return self.in_reply_to + self.references


# --- bodies -----------------------------------------------------------------------------------


class _HtmlText(HTMLParser):
    """HTML to plain text: blocks become lines, blockquotes become '> ' quoted lines."""

    BLOCKS = frozenset(
        [
            "p",
            "div",
            "br",
            "li",
            "tr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "hr",
            "pre",
            "table",
            "ul",
            "ol",
            "blockquote",
            "section",
            "article",
            "header",
            "footer",
        ]
    )
    SKIP = frozenset({"style", "script", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0
        self.skipping = 0
        self.pre = 0

    def _break(self) -> None:
        text = "".join(self.current)
        self.current = []
        if not self.pre:
            text = re.sub(r"[ \t\r\n\f]+", " ", text).strip()
        self.lines.append(("> " * self.depth) + text if text or not self.depth else ">" * self.depth)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self._break()
        if tag == "blockquote":
            self.depth += 1
        elif tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self._break()
        if tag == "blockquote":
            self.depth = max(0, self.depth - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._break()
                self.current.append(part)
        else:
            self.current.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    parser._break()
    text = "\n".join(parser.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# An attribution line before quoted text, as mail clients write it in several languages.
_ATTRIBUTION_END = re.compile(
    r"(?:wrote|writes|schrieb|a écrit|escribió|ha scritto|skrev|napisał|написал|写道|寫道|のメール)\s*[:：]?\s*$",
    re.I,
)
_ATTRIBUTION_START = re.compile(r"^(?:on|am|le|el|il|den|w dniu|в|在|於|\d{4}[-/年])\b", re.I)
_ORIGINAL_MESSAGE = re.compile(
    r"^(?:-{2,}\s*(?:original message|forwarded message|ursprüngliche nachricht|原始邮件|message d'origine)\s*-{2,}|_{8,})\s*$",
    re.I,
)
_OUTLOOK_HEADER = re.compile(r"^\*?(?:from|von|de|发件人|寄件者)\s*\*?\s*[:：]", re.I)
_OUTLOOK_NEXT = re.compile(
    r"^\*?(?:sent|date|to|subject|gesendet|envoyé|发送时间|日期|收件人|主题)\s*\*?\s*[:：]", re.I
)
_SIGNATURE = re.compile(r"^--\s?$")
_EMPTY_BOX = re.compile(r"^\s*(?:[-*•]\s*)?\[\s{0,2}\]")
_QUOTED = re.compile(r"^\s*>")


def clean(text: str) -> str:
    """Unicode forms people type by accident (full-width +1, no-break spaces) made plain."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u200b", "").replace("\ufeff", "").replace("\u2212", "-")  # minus sign
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class Visible:
    """The lines the sender wrote in this message, and what was set aside."""

    lines: list[str]
    quoted: list[str]  # quoted lines and the original message below an attribution
    template: list[str]  # unmarked checkboxes copied from the VOTE template


def visible(text: str) -> Visible:
    """Split a body into the sender's own lines, the quoted text and template checkbox lines."""
    lines = clean(text).split("\n")
    own: list[str] = []
    quoted: list[str] = []
    template: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index].rstrip()
        if _SIGNATURE.match(line):
            break  # the rest is a signature (and often a quoted message after it)
        if _ORIGINAL_MESSAGE.match(line) or _outlook_header(lines, index):
            quoted.extend(lines[index:])  # Outlook quotes the whole original without '>'
            break
        span = _attribution(lines, index)
        if span:
            after = _next_text(lines, index + span)
            if after is not None and not _QUOTED.match(lines[after]):
                quoted.extend(lines[index + span :])  # unquoted original below the attribution
                break
            index += span
            continue
        if _QUOTED.match(line):
            quoted.append(line)
        elif _EMPTY_BOX.match(line):
            template.append(line)
        else:
            own.append(line)
        index += 1
    return Visible(own, quoted, template)


def _attribution(lines: list[str], index: int) -> int:
    """How many lines (1 or 2) of an 'On ... wrote:' attribution start at index, or 0."""
    line = lines[index].strip()
    if not line or _QUOTED.match(line):
        return 0
    if _ATTRIBUTION_END.search(line):
        return 1
    # clients wrap long attributions: "On Mon, 3 Mar 2025 at 10:00, Bruno Costa <" / "bruno@...> wrote:"
    if index + 1 < len(lines) and _ATTRIBUTION_START.match(line):
        following = lines[index + 1].strip()
        if _ATTRIBUTION_END.search(following) and not _QUOTED.match(following):
            return 2
    return 0


def _outlook_header(lines: list[str], index: int) -> bool:
    """'From: ...' followed by 'Sent:'/'Date:'/'To:' lines: an Outlook-style quoted original."""
    if not _OUTLOOK_HEADER.match(lines[index].strip()):
        return False
    following = [line.strip() for line in lines[index + 1 : index + 4]]
    return any(_OUTLOOK_NEXT.match(line) for line in following)


def _next_text(lines: list[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    return None
