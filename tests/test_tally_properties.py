"""Property-based tests of every parser the tally feeds with strangers' input: mail bodies and
headers (ballots, quotes, signatures), mbox and Maildir files, PonyMail JSON (a thread tree
served over HTTP, a saved email), rosters (committee-info.json and TOML), and the messages we
write that quote them. Whatever comes in, no exception escapes but a ReleaseError, what we keep
of a header is one line, and what we write has exactly the headers we put in it.

Examples are bounded; in CI the 'ci' profile (tests/conftest.py) fixes the seed."""

from __future__ import annotations

import contextlib
import json
import mailbox
import string
import threading
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asf_release import profile as profile_module
from asf_release.adapters import lists
from asf_release.adapters import mail as mail_adapter
from asf_release.errors import ConfigError, ReleaseError, UsageError
from asf_release.mailtext import Head, Sender, normalize_id, visible
from asf_release.roster import parse as parse_roster
from asf_release.sandbox.services import LOOPBACK
from asf_release.steps.tally import count_votes
from asf_release.version import Version
from asf_release.votes import read_ballot
from tests.vote_fixtures import START, committee_info, vote_mail

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SEPARATORS = ["\u2028", "\u2029", "\x85", "\r", "\n", "\x0b", "\x0c", "\x1c", "\x00", "\x1b[2J"]

# --- text as strangers write it ---------------------------------------------------------------------

nasty = st.sampled_from(
    [
        *SEPARATORS,
        "+1",
        "-1 (binding)",
        "[ ] +1 approve",
        "[X] +1",
        "> +1",
        "-- ",
        "On Mon, Mar 3, 2025 Bruno <bruno@apache.org> wrote:",
        "From: Riley",
        "Sent: Monday",
        "=?utf-8?q?x?=",
        "=?idna?q?x?=",
        "<a@b>",
        "＋１",
        "\u2212" + "1",
        "binding",
        "non-binding",
        "0",
        ":x:",
        "\ufeff",
    ]
)
texty = st.lists(st.one_of(st.text(max_size=12), nasty), max_size=12).map("".join)
lines = st.lists(texty, max_size=10)


@BOUNDED
@given(texty)
def test_reading_any_body_never_fails(body: str) -> None:
    reading = read_ballot(body)
    assert reading.raw is None or reading.sign in ("+1", "0", "-1")


@BOUNDED
@given(st.lists(texty.filter(lambda s: "\n" not in s and "\r" not in s), max_size=8))
def test_quoted_text_never_changes_a_vote(quoted: list[str]) -> None:
    """A reply whose own words are '+1' stays +1 whatever it quotes below (one quoted line per
    line: a line break inside a line makes it two, as mail clients show it)."""
    body = "+1\n\n" + "\n".join("> " + line for line in quoted)
    assert read_ballot(body).raw == "+1"
    assert all(line.lstrip().startswith(">") for line in visible(body).quoted)


@BOUNDED
@given(st.lists(texty, max_size=6))
def test_a_signature_never_votes(signature: list[str]) -> None:
    body = "Looks fine to me.\n-- \n" + "\n".join(signature)
    assert read_ballot(body).raw is None


# --- raw mail: headers, MIME, charsets --------------------------------------------------------------

charsets = st.sampled_from(
    ["utf-8", "iso-8859-1", "idna", "undefined", "punycode", "hex", "utf-16", "utf-7", "x-nope", '"', ""]
)
content_types = st.one_of(
    charsets.map(lambda c: f"text/plain; charset={c}"),
    charsets.map(lambda c: f"text/html; charset={c}"),
    st.sampled_from(
        [
            'multipart/mixed; boundary="b"',
            'multipart/alternative; boundary="b"',
            "multipart/mixed",
            "message/rfc822",
            "application/octet-stream",
            "text/plain; charset*=utf-8''%E2%80%A8",
        ]
    ),
)
header_values = st.one_of(texty, nasty, st.text(alphabet=string.printable, max_size=40))


@st.composite
def raw_mail(draw: st.DrawFn, depth: int = 0) -> bytes:
    names = draw(
        st.lists(
            st.sampled_from(
                [
                    "From",
                    "Subject",
                    "Message-ID",
                    "In-Reply-To",
                    "References",
                    "Date",
                    "Content-Type",
                    "Content-Transfer-Encoding",
                    "Content-Disposition",
                ]
            ),
            max_size=9,
        )
    )
    headers = []
    for name in names:
        if name == "Content-Type":
            value = draw(content_types)
        elif name == "Content-Transfer-Encoding":
            value = draw(st.sampled_from(["base64", "quoted-printable", "8bit", "x-uuencode", "bogus"]))
        elif name == "Date":
            value = draw(
                st.one_of(
                    st.sampled_from(
                        ["Mon, 03 Mar 2025 09:30:00 +0000", "Fri, 31 Dec 9999 23:59:59 +0000", "not a date"]
                    ),
                    header_values,
                )
            )
        else:
            value = draw(header_values)
        headers.append(f"{name}: {value}")
    head = "\n".join(headers).encode("utf-8", "surrogatepass")
    if depth < 3 and draw(st.booleans()):
        parts = draw(st.lists(raw_mail(depth + 1), max_size=3))  # type: ignore[call-arg]
        body = b"".join(b"--b\n" + part + b"\n" for part in parts) + b"--b--\n"
    else:
        body = draw(
            st.one_of(st.binary(max_size=120), texty.map(lambda t: t.encode("utf-8", "surrogatepass")))
        )
    return head + b"\n\n" + body


def _well_kept(head: Head) -> None:
    assert head.message_id.isascii() and head.message_id.isprintable() and " " not in head.message_id
    for text in (head.subject, head.sender_raw, head.sender.name, head.sender.email):
        assert not any(c in text for c in ("\n", "\r", "\u2028", "\u2029", "\x85", "\x00", "\x1b")), repr(
            text
        )


@BOUNDED
@given(st.lists(raw_mail(), min_size=1, max_size=5))
def test_any_mbox_is_read_without_failing(tmp_path: Path, messages: list[bytes]) -> None:
    path = tmp_path / "any.mbox"
    with path.open("wb") as handle:
        for raw in messages:
            handle.write(b"From x@example.org Mon Mar  3 09:30:00 2025\n" + raw + b"\n")
    with lists.open_source(str(path)) as source:
        for head in source.heads():
            _well_kept(head)
            assert isinstance(source.body(head).text, str)


@settings(BOUNDED, max_examples=30)
@given(st.lists(raw_mail(), min_size=1, max_size=4))
def test_any_maildir_is_read_without_failing(tmp_path: Path, messages: list[bytes]) -> None:
    box = mailbox.Maildir(tmp_path / f"Maildir-{len(list(tmp_path.iterdir()))}", create=True)
    for raw in messages:
        box.add(raw)
    with lists.open_source(str(box._path)) as source:
        for head in source.heads():
            _well_kept(head)
            source.body(head)


@BOUNDED
@given(raw_mail())
def test_any_single_message_body_is_text(raw: bytes) -> None:
    body = lists.read_body(raw)
    assert isinstance(body.text, str) and all(isinstance(n, str) for n in body.notes)


def _thread_with(replies: list[bytes]) -> bytes:
    vote = vote_mail().message().as_bytes()
    parts = [b"From rm@apache.org Mon Mar  3 09:30:00 2025\n" + vote]
    for number, raw in enumerate(replies):
        threading_headers = f"In-Reply-To: {vote_mail().message_id}\nMessage-ID: <r{number}@x>\n".encode()
        parts.append(b"From x@example.org Mon Mar  3 10:30:00 2025\n" + threading_headers + raw)
    return b"\n".join(parts) + b"\n"


BUILTIN = profile_module.load(None, env={})


@settings(BOUNDED, max_examples=30)
@given(st.lists(raw_mail(), max_size=5))
def test_any_replies_are_tallied_or_refused_clearly(tmp_path: Path, replies: list[bytes]) -> None:
    path = tmp_path / "thread.mbox"
    path.write_bytes(_thread_with(replies))
    roster = tmp_path / "committee-info.json"
    roster.write_text(json.dumps(committee_info()))
    try:
        counted = count_votes(
            BUILTIN,
            Version(2, 11, 0),
            1,
            thread=str(path),
            roster=str(roster),
            now=START + timedelta(hours=80),
        )
    except ReleaseError:
        return
    for voter in counted.tally.voters:
        assert "\n" not in voter.name and "\u2028" not in voter.email


# --- PonyMail JSON ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
message_id_texts = st.one_of(st.sampled_from(["<a@b>", "<c@d>", "a@b", "<>", ""]), texty)
epochs = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, 1741000000, "1741000000", True]),
    json_values,
)


def ponymail_doc(children: st.SearchStrategy[Any] | None) -> st.SearchStrategy[dict[str, Any]]:
    kids = st.lists(children, max_size=3) if children is not None else st.just([])
    return st.fixed_dictionaries(
        {},
        optional={
            "mid": st.one_of(st.text(max_size=8), json_values),
            "id": st.one_of(st.text(max_size=8), json_values),
            "tid": json_values,
            "message-id": st.one_of(message_id_texts, json_values),
            "in-reply-to": st.one_of(message_id_texts, json_values),
            "irt": st.one_of(message_id_texts, json_values),
            "references": st.one_of(message_id_texts, json_values),
            "subject": st.one_of(texty, json_values),
            "from": st.one_of(texty, json_values),
            "from_raw": st.one_of(texty, json_values),
            "epoch": epochs,
            "date": st.one_of(st.sampled_from(["2025/03/03 09:30:00", "9999/99/99 99:99:99"]), json_values),
            "body": st.one_of(texty, json_values),
            "children": st.one_of(kids, json_values),
        },
    )


ponymail_docs = st.recursive(ponymail_doc(None), ponymail_doc, max_leaves=8)
documents = st.one_of(
    st.fixed_dictionaries(
        {"thread": ponymail_docs}, optional={"emails": st.one_of(st.lists(ponymail_docs), json_values)}
    ),
    st.lists(ponymail_docs, max_size=4),
    ponymail_docs,
    json_values,
)


def _read_all(source: lists.ThreadSource) -> None:
    for head in source.heads():
        _well_kept(head)
        assert head.date is None or datetime(1990, 1, 1, tzinfo=UTC) <= head.date
        source.body(head)


@BOUNDED
@given(documents)
def test_any_saved_ponymail_json_is_read_or_refused_clearly(tmp_path: Path, document: Any) -> None:
    path = tmp_path / "thread.json"
    path.write_text(json.dumps(document, allow_nan=True))
    try:
        source = lists.open_source(str(path))
    except ReleaseError:
        return
    with source:
        _read_all(source)


class _Archive:
    """An HTTP server answering thread.lua and email.lua with whatever the example holds."""

    def __init__(self) -> None:
        self.thread: Any = None
        self.email: Any = None
        self.email_status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                payload = owner.thread if "/thread.lua" in self.path else owner.email
                data = json.dumps(payload, allow_nan=True).encode()
                self.send_response(200 if "/thread.lua" in self.path else owner.email_status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def archive() -> Iterator[_Archive]:
    served = _Archive()
    yield served
    served.server.shutdown()
    served.server.server_close()


@settings(BOUNDED, max_examples=30)
@given(
    st.fixed_dictionaries({"thread": ponymail_docs, "emails": st.lists(ponymail_docs, max_size=2)}),
    documents,
    st.sampled_from([200, 200, 404, 410, 503]),
)
def test_any_ponymail_thread_over_http_is_read_or_refused_clearly(
    archive: _Archive, thread: Any, email: Any, status: int
) -> None:
    """email.lua's answer may be anything, or a refusal: a message it does not give is marked
    unreadable (404, 410), never read as an empty vote; another status fails the fetch clearly."""
    archive.thread, archive.email, archive.email_status = thread, email, status
    try:
        source = lists.open_source(f"{archive.url}/thread/abc")
    except ReleaseError:
        return
    with source:
        _read_all(source)
        assert isinstance(source, lists.PonyMailSource)
        for head in source.heads():  # no message silently without its text
            body = source.body(head)
            assert not (body.unreadable and body.text)
            assert body.unreadable or isinstance(source._docs[head.key].get("body"), str)  # type: ignore[index]


# --- rosters ---------------------------------------------------------------------------------------

toml_scalars = st.one_of(
    st.text(max_size=12).map(json.dumps),
    st.integers().map(str),
    st.sampled_from(["true", "false", "[]", '["a@b.org"]', '["x"]', "{}", "1979-05-27", "nan", "[[[]]]"]),
)


@st.composite
def toml_rosters(draw: st.DrawFn) -> str:
    out = []
    if draw(st.booleans()):
        out.append(f"committee_info = {draw(toml_scalars)}")
    for _ in range(draw(st.integers(0, 3))):
        uid = draw(st.text(alphabet=string.ascii_lowercase + "-_.", min_size=1, max_size=6))
        out.append(f"[people.{json.dumps(uid)}]")
        for key in draw(
            st.lists(st.sampled_from(["name", "addresses", "pmc", "other"]), max_size=4, unique=True)
        ):
            out.append(f"{key} = {draw(toml_scalars)}")
    return "\n".join(out) + "\n" + draw(st.one_of(st.just(""), texty))


committee_infos = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "committees": st.one_of(
                json_values, st.dictionaries(st.sampled_from(["kvrocks", "x"]), json_values)
            )
        }
    ),
    st.fixed_dictionaries(
        {
            "committees": st.fixed_dictionaries(
                {
                    "kvrocks": st.fixed_dictionaries(
                        {"roster": st.dictionaries(st.text(max_size=6), json_values)}
                    )
                }
            )
        }
    ),
)


@BOUNDED
@given(st.one_of(committee_infos.map(lambda d: json.dumps(d, allow_nan=True)), toml_rosters(), texty))
def test_any_roster_is_read_or_refused_as_a_configuration_error(text: str) -> None:
    try:
        roster = parse_roster(text.encode("utf-8", "surrogatepass"), "kvrocks", "roster")
    except ConfigError:
        return
    for member in roster.members:
        assert isinstance(member.name, str) and "\n" not in member.name
        roster.identify(Sender(member.name, next(iter(member.all_addresses), "")))


@BOUNDED
@given(st.binary(max_size=200))
def test_any_bytes_as_a_roster_are_a_configuration_error_at_worst(data: bytes) -> None:
    with contextlib.suppress(ConfigError):
        parse_roster(data, "kvrocks", "roster")


# --- what we write quoting them --------------------------------------------------------------------

EXPECTED_HEADERS = {
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


@BOUNDED
@given(texty, texty, st.lists(st.tuples(texty, texty), max_size=4))
def test_a_message_quoting_strangers_carries_exactly_our_headers(
    subject: str, replied_to: str, voters: list[tuple[str, str]]
) -> None:
    """A RESULT replying to a VOTE whose Message-ID a stranger wrote, naming voters by the names
    and addresses they wrote: the headers are ours, the names stay in the body."""
    body = "Binding votes:\n" + "".join(
        f"- {Sender.parse(f'{name} <{email}>').label()} (+1)\n" for name, email in voters
    )
    try:
        message = mail_adapter.compose(
            subject="[RESULT][VOTE] " + subject,
            sender="Riley Morgan <rm@apache.org>",
            to=["dev@kvrocks.apache.org"],
            body=body,
            date=datetime(2025, 3, 6, tzinfo=UTC),
            message_id="<result@apache.org>",
            in_reply_to=normalize_id(replied_to) if replied_to.strip() else None,
        )
    except UsageError:
        # only our subject can be refused, and only for a control character or a line separator
        assert any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in subject), repr(subject)
        return
    parsed = message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert {name.lower() for name in parsed} <= EXPECTED_HEADERS
    assert parsed["From"] == "Riley Morgan <rm@apache.org>" and parsed["To"] == "dev@kvrocks.apache.org"
    assert parsed.get_all("Bcc") is None and parsed.get_all("Cc") is None
