"""Mail, JSON and rosters from strangers: charsets Python cannot decode, multiparts nested
thousands deep, PonyMail documents with absurd dates and wrong types, rosters nested past any
parser's recursion, Unicode line separators in subjects and addresses. Each gives a clear error
or a finding, never a traceback and never a wrong count."""

from __future__ import annotations

import json
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from asf_release import profile as profile_module
from asf_release.adapters import lists
from asf_release.adapters import mail as mail_adapter
from asf_release.errors import ConfigError, ExternalError, ReleaseError, UsageError
from asf_release.mailtext import MAX_HEADER_TEXT, Sender, message_ids, normalize_id
from asf_release.profile import Profile
from asf_release.roster import parse as parse_roster
from asf_release.steps.tally import VoteCount, count_votes
from asf_release.version import Version
from tests.conftest import run_cli
from tests.vote_fixtures import (
    BRUNO,
    CHEN,
    GRACE,
    RM,
    START,
    SUBJECT,
    VOTE_BODY,
    Mail,
    Thread,
    committee_info,
    reply,
    vote_mail,
)

V = Version(2, 11, 0)
REPLY_SUBJECT = "Re: " + SUBJECT


@pytest.fixture
def profile() -> Profile:
    return profile_module.load(None, env={})


@pytest.fixture
def roster(tmp_path: Path) -> Path:
    path = tmp_path / "committee-info.json"
    path.write_text(json.dumps(committee_info(), ensure_ascii=False))
    return path


def raw_message(
    *,
    sender: str,
    subject: str,
    message_id: str,
    hours: float,
    body: bytes = b"+1\n",
    in_reply_to: str | None = None,
    content_type: str = "text/plain; charset=utf-8",
    extra: str = "",
) -> bytes:
    """A message written byte by byte, the way a hostile or broken client can write it."""
    headers = [
        f"From: {sender}",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        f"Date: {format_datetime(START + timedelta(hours=hours))}",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    if extra:
        headers.append(extra)
    return "\n".join(headers).encode("utf-8") + b"\n\n" + body


def write_mbox(path: Path, *messages: bytes) -> Path:
    with path.open("wb") as handle:
        for message in messages:
            handle.write(b"From sender@example.org Mon Mar  3 09:30:00 2025\n")
            handle.write(message.replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n\n")
    return path


def the_vote() -> bytes:
    vote = vote_mail()
    return vote.message().as_bytes()


VOTE_ID = vote_mail().message_id


def three_binding(*, start: int = 10) -> list[bytes]:
    """Three binding +1 replies, well threaded: the count every hostile thread must still give."""
    return [
        raw_message(
            sender=f"{name} <{email}>",
            subject=REPLY_SUBJECT,
            message_id=f"<ok-{number}@example.org>",
            hours=start + number,
            in_reply_to=VOTE_ID,
        )
        for number, (name, email) in enumerate((BRUNO, CHEN, GRACE))
    ]


def tally(profile: Profile, thread: Path, roster: Path, *, rc: int | None = 1) -> VoteCount:
    return count_votes(
        profile, V, rc, thread=str(thread), roster=str(roster), now=START + timedelta(hours=80)
    )


def said(counted: VoteCount) -> list[str]:
    tally = counted.tally
    return [*tally.notes, *(s.reason for s in tally.skipped), *(n for v in tally.voters for n in v.notes)]


# --- charsets -----------------------------------------------------------------------------------


@pytest.mark.parametrize("charset", ["idna", "undefined", "x-no-such-charset", "punycode", "hex"])
def test_a_ballot_in_a_charset_python_cannot_decode_is_still_read(
    charset: str, profile: Profile, roster: Path, tmp_path: Path
) -> None:
    dana = raw_message(
        sender="Alice Zhang <alice@apache.org>",
        subject=REPLY_SUBJECT,
        message_id="<odd-charset@example.org>",
        hours=2,
        body=b"+1 (binding)\n\nChecked the signatures.\n",
        in_reply_to=VOTE_ID,
        content_type=f"text/plain; charset={charset}",
    )
    mbox = write_mbox(tmp_path / "t.mbox", the_vote(), dana, *three_binding())
    counted = tally(profile, mbox, roster)
    assert counted.tally.counts(True) == {"+1": 4, "0": 0, "-1": 0}
    assert counted.tally.verdict.value == "passed"


# --- MIME structure -----------------------------------------------------------------------------


def nested_multiparts(depth: int) -> bytes:
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (level, level) for level in range(depth)
    )
    closing = b"".join(b"\n--b%d--\n" % level for level in reversed(range(depth)))
    return opening + b"Content-Type: text/plain\n\n-1 (binding)\n" + closing


def test_three_thousand_nested_multiparts_are_a_finding_not_a_crash(
    profile: Profile, roster: Path, tmp_path: Path
) -> None:
    deep = raw_message(
        sender="Jean-Baptiste Onofré <jbonofre@apache.org>",
        subject=REPLY_SUBJECT,
        message_id="<deep@example.org>",
        hours=2,
        in_reply_to=VOTE_ID,
        content_type='multipart/mixed; boundary="top"',
        body=b"--top\n" + nested_multiparts(3000) + b"\n--top--\n",
    )
    mbox = write_mbox(tmp_path / "t.mbox", the_vote(), deep, *three_binding())
    counted = tally(profile, mbox, roster)
    assert counted.tally.counts(True) == {"+1": 3, "0": 0, "-1": 0}
    assert any("nested" in line and "not read" in line for line in said(counted)), said(counted)


def test_a_message_of_many_parts_reads_only_the_first_ones() -> None:
    parts = b"".join(b"--p\nContent-Type: application/octet-stream\n\nxx\n" for _ in range(5000))
    raw = (
        b'From: a@example.org\nContent-Type: multipart/mixed; boundary="p"\n\n'
        + parts
        + b"--p\nContent-Type: text/plain\n\n+1\n--p--\n"
    )
    body = lists.read_body(raw)
    assert body.text == "" and any("parts" in note for note in body.notes)


def test_huge_headers_are_cut_not_fatal(profile: Profile, roster: Path, tmp_path: Path) -> None:
    big = raw_message(
        sender="Bruno Costa <bruno@apache.org>" + " " * 10 + "x" * 300_000,
        subject=REPLY_SUBJECT + " " + "[VOTE]" * 60_000,
        message_id="<big@example.org>",
        hours=2,
        in_reply_to=VOTE_ID + " " + " ".join(f"<r{n}@x>" for n in range(20_000)),
        extra="X-Junk: " + "y" * 500_000,
    )
    mbox = write_mbox(tmp_path / "t.mbox", the_vote(), big, *three_binding())
    counted = tally(profile, mbox, roster)
    assert counted.tally.verdict.value == "passed"
    with lists.open_source(str(mbox)) as source:
        for head in source.heads():
            assert len(head.subject) <= MAX_HEADER_TEXT and len(head.sender_raw) <= MAX_HEADER_TEXT


# --- PonyMail JSON --------------------------------------------------------------------------------


def ponymail_docs() -> list[dict[str, Any]]:
    vote = vote_mail()
    return list(
        Thread()
        .add(vote, reply(vote, BRUNO, "+1\n", 2), reply(vote, CHEN, "+1\n", 3), reply(vote, GRACE, "+1\n", 4))
        .ponymail()
        .values()
    )


@pytest.mark.parametrize(
    "epoch",
    [1e300, float("nan"), float("inf"), -float("inf"), -1e12, 2**62, "1741000000", True, None, [1], {"a": 1}],
    ids=repr,
)
def test_an_absurd_epoch_on_a_reply_is_a_finding(
    epoch: object, profile: Profile, roster: Path, tmp_path: Path
) -> None:
    docs = ponymail_docs()
    docs[1]["epoch"] = epoch  # Bruno's reply
    docs[1].pop("date", None)
    saved = tmp_path / "thread.json"
    saved.write_text(json.dumps(docs, allow_nan=True))
    counted = tally(profile, saved, roster)
    assert counted.tally.counts(True) == {"+1": 3, "0": 0, "-1": 0}
    if epoch is not None and not (isinstance(epoch, str) and epoch.isdigit()):
        assert any("date" in line for line in said(counted)), said(counted)


@pytest.mark.parametrize("epoch", [1e300, float("nan"), -1e12, "soon"], ids=repr)
def test_an_absurd_epoch_on_the_vote_itself_is_a_clear_error(
    epoch: object, profile: Profile, roster: Path, tmp_path: Path
) -> None:
    docs = ponymail_docs()
    docs[0]["epoch"] = epoch
    saved = tmp_path / "thread.json"
    saved.write_text(json.dumps(docs, allow_nan=True))
    counted = tally(profile, saved, roster)  # PonyMail's 'date' field ('2025/03/03 09:30:00') is used
    assert counted.tally.start == START
    del docs[0]["date"]
    saved.write_text(json.dumps(docs, allow_nan=True))
    with pytest.raises(UsageError, match="no date"):
        tally(profile, saved, roster)


def thread_lua(children: object) -> dict[str, Any]:
    """thread.lua's answer, as PonyMail Foal writes it: the root email with `children`, short
    entries (tid, mid, message-id, subject, from, id, epoch, children, irt, list_raw)."""
    docs = ponymail_docs()
    root = dict(docs[0])
    root["children"] = children
    return {"thread": root, "emails": [root]}


@pytest.mark.parametrize(
    "children",
    [7, "many", None, {"mid": "x"}, [7, None, "x", [[]]], [{"children": 3}], [{"children": {"a": []}}]],
    ids=repr,
)
def test_children_of_the_wrong_type_are_ignored(children: object, tmp_path: Path) -> None:
    saved = tmp_path / "thread.json"
    saved.write_text(json.dumps(thread_lua(children)))
    with lists.open_source(str(saved)) as source:
        heads = list(source.heads())
    assert [h.message_id for h in heads] == [VOTE_ID]


@pytest.mark.parametrize(
    "document",
    [
        {"emails": 5},
        {"emails": {"a": 1}},
        {"thread": {"children": 4}, "emails": "x"},
        [1, "two", None, [], {"message-id": ["<a@b>"], "subject": {"x": 1}, "from": 3, "body": 4}],
        {"message-id": "<a@b>", "epoch": "NaN", "in-reply-to": 5, "references": ["<c@d>"]},
    ],
    ids=repr,
)
def test_wrong_types_anywhere_in_ponymail_json_are_not_fatal(document: object, tmp_path: Path) -> None:
    saved = tmp_path / "thread.json"
    saved.write_text(json.dumps(document))
    try:
        with lists.open_source(str(saved)) as source:
            for head in source.heads():
                assert isinstance(head.subject, str) and isinstance(head.sender_raw, str)
                source.text(head)
    except ReleaseError:
        pass  # "not PonyMail JSON" is a clear answer too


def test_json_nested_past_the_parsers_recursion_is_refused_clearly(tmp_path: Path) -> None:
    saved = tmp_path / "thread.json"
    saved.write_text('{"thread": ' + '{"children": [' * 50_000 + "]}" * 50_000 + "}")
    with pytest.raises(ExternalError, match="nested"):
        lists.open_source(str(saved))
    numbers = tmp_path / "numbers.json"
    numbers.write_text('{"message-id": "<a@b>", "epoch": ' + "9" * 5000 + "}")
    with lists.open_source(str(numbers)) as source:
        (head,) = list(source.heads())
        assert head.date is None


def test_a_deep_json_roster_is_a_configuration_error() -> None:
    deep = b'{"committees": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(ConfigError, match="nested"):
        parse_roster(deep, "kvrocks", "committee-info.json")


def test_a_deep_toml_roster_is_a_configuration_error() -> None:
    deep = b"[people.x]\naddresses = " + b"[" * 100_000 + b"]" * 100_000 + b"\n"
    with pytest.raises(ConfigError, match="nested"):
        parse_roster(deep, "kvrocks", "roster.toml")


@pytest.mark.parametrize(
    "roster",
    [
        {"committees": {"kvrocks": {"roster": {"a": "not a table"}}}},
        {"committees": {"kvrocks": {"roster": {"a": {"name": ["x"]}}}}},
        {"committees": {"kvrocks": {"roster": []}}},
        {"committees": []},
        [1, 2],
    ],
    ids=repr,
)
def test_a_committee_info_of_wrong_types_is_a_clear_answer(roster: object) -> None:
    try:
        found = parse_roster(json.dumps(roster).encode(), "kvrocks", "committee-info.json")
    except ConfigError:
        return
    assert all(isinstance(m.name, str) for m in found.members)


# --- Unicode line separators ----------------------------------------------------------------------

SEPARATORS = ["\u2028", "\u2029", "\x85", "\r", "\x0b", "\x1c"]


@pytest.mark.parametrize("separator", SEPARATORS, ids=repr)
def test_line_separators_in_subjects_and_addresses(
    separator: str, profile: Profile, roster: Path, tmp_path: Path
) -> None:
    """Encoded (RFC 2047) or raw UTF-8, a separator in a subject, a name or an address neither
    breaks the thread nor lets a stranger pass for a PMC member."""
    code = separator.encode("utf-8").hex().upper()
    encoded = "".join(f"={code[i : i + 2]}" for i in range(0, len(code), 2))
    sneaky = [
        raw_message(
            sender=f"Mallory{separator}Bcc: x <mallory@example.org>",
            subject=f"Re: [VOTE] Release Apache Kvrocks{separator}2.11.0-rc1",
            message_id=f"<m1{separator}@example.org>",
            hours=2,
            in_reply_to=VOTE_ID,
        ),
        raw_message(
            sender=f"=?utf-8?q?Mallory{encoded}Bcc:_x?= <bruno@apache.org{separator}>",
            subject=f"=?utf-8?q?Re:_[VOTE]_Release_Apache_Kvrocks_2.11.0-rc1{encoded}?=",
            message_id="<m2@example.org>",
            hours=3,
            in_reply_to=VOTE_ID,
            body=b"-1\n",
        ),
    ]
    mbox = write_mbox(tmp_path / "t.mbox", the_vote(), *sneaky, *three_binding())
    counted = tally(profile, mbox, roster)
    for voter in counted.tally.voters:
        for text in (voter.name, voter.email, voter.message_id):
            assert not any(c in text for c in [*SEPARATORS, "\n"]), repr(text)
    binding = [v for v in counted.tally.voters if v.binding]
    assert sorted(v.name for v in binding) == ["Bruno Costa", "Chen Wei", "Grace Hopkins"]


def test_message_ids_with_line_separators_stay_one_safe_token() -> None:
    raw = "<a\u2028Bcc: evil@example.org>"
    (found,) = message_ids(raw)
    assert found == normalize_id(raw)
    assert found.isascii() and found.isprintable() and " " not in found
    assert normalize_id("<ok@example.org>") == "<ok@example.org>"
    assert message_ids("<a@b>\u2028<c@d>") == ("<a@b>", "<c@d>")


@pytest.mark.parametrize("separator", [*SEPARATORS, "\n", "\0"], ids=repr)
def test_a_header_we_write_never_carries_a_line_separator(separator: str) -> None:
    with pytest.raises(UsageError, match="line break"):
        mail_adapter.header_safe("subject", f"[RESULT]{separator}Bcc: evil@example.org")


def test_sender_names_are_one_line() -> None:
    sender = Sender.parse("Mal\u2028lory\x85 <m@example.org\u2029>")
    assert sender.name == "Mal lory" and sender.email == "m@example.org\\u2029"
    assert Sender.parse("=?utf-8?q?Bob?= <\u2028b@example.org>").email == "\\u2028b@example.org"


# --- the CLI: a clear message and the documented exit code, never a traceback --------------------


def _hostile_files(tmp_path: Path) -> dict[str, Path]:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    nan = tmp_path / "nan.json"
    docs = ponymail_docs()
    docs[0]["epoch"] = float("nan")
    del docs[0]["date"]
    nan.write_text(json.dumps(docs))
    numeric = tmp_path / "children.json"
    numeric.write_text(json.dumps(thread_lua(12)))
    sep = write_mbox(
        tmp_path / "sep.mbox",
        raw_message(
            sender=f"{RM[0]}\u2028Evil <{RM[1]}>",
            subject="[VOTE] Release Apache Kvrocks\u20282.11.0-rc1",
            message_id="<v\u2028ote@example.org>",
            hours=0,
            body=VOTE_BODY.encode(),
        ),
    )
    return {"deep": deep, "nan": nan, "children": numeric, "separators": sep}


def test_hostile_threads_through_the_command(tmp_path: Path, roster: Path) -> None:
    files = _hostile_files(tmp_path)
    expected = {"deep": 3, "nan": 2, "children": 1, "separators": 1}
    for name, path in files.items():
        done = run_cli(
            "tally", "2.11.0", "--rc", "1", "--thread", str(path), "--roster", str(roster), cwd=tmp_path
        )
        assert "Traceback" not in done.stderr, (name, done.stderr)
        assert done.returncode == expected[name], (name, done.returncode, done.stdout, done.stderr)


def test_a_deep_roster_through_the_command(tmp_path: Path) -> None:
    vote = vote_mail()
    mbox = Thread().add(vote, reply(vote, BRUNO, "+1\n", 2)).mbox(tmp_path / "t.mbox")
    deep = tmp_path / "roster.json"
    deep.write_text('{"committees": ' + "[" * 100_000 + "]" * 100_000 + "}")
    done = run_cli("tally", "2.11.0", "--thread", str(mbox), "--roster", str(deep), cwd=tmp_path)
    assert done.returncode == 2 and "nested" in done.stderr and "Traceback" not in done.stderr


def test_the_seed_template_subject_is_found_with_thread(tmp_path: Path, roster: Path) -> None:
    """`tally --thread` on a thread whose VOTE subject names no RC, as the seed's template."""
    vote = Mail(RM, VOTE_BODY, START, subject="[VOTE] Release Apache Kvrocks 2.11.0", client="apple")
    mbox = Thread().add(vote, reply(vote, BRUNO, "+1\n", 2)).mbox(tmp_path / "t.mbox")
    done = run_cli("tally", "2.11.0", "--thread", str(mbox), "--roster", str(roster), "--json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # open: one binding +1
    report = json.loads(done.stdout)
    assert report["vote_message_id"] == vote.message_id and report["binding"]["+1"] == 1


# --- candidates that cannot be told apart ---------------------------------------------------------


def test_two_votes_no_subject_or_body_tells_apart_are_refused_and_listed(
    tmp_path: Path, roster: Path
) -> None:
    """The release manager sent two VOTEs under a subject without the RC number, and neither body
    names one: the command refuses, lists both, and counts the one --vote-message-id names."""
    body = "Please vote on the release.\n"
    first = Mail(RM, body, START, subject="[VOTE] Release Apache Kvrocks 2.11.0", client="apple")
    second = Mail(RM, body + "(again)\n", START + timedelta(days=8), subject=first.subject, client="apple")
    thread = Thread().add(first, reply(first, CHEN, "-1\n", 2), second, reply(second, BRUNO, "+1\n", 200))
    mbox = thread.mbox(tmp_path / "t.mbox")
    args = ("tally", "2.11.0", "--rc", "1", "--thread", str(mbox), "--roster", str(roster))
    refused = run_cli(*args, cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert first.message_id in refused.stderr and second.message_id in refused.stderr
    assert "--vote-message-id" in refused.stderr
    chosen = run_cli(*args, "--vote-message-id", first.message_id, "--json", cwd=tmp_path)
    report = json.loads(chosen.stdout)
    assert report["vote_message_id"] == first.message_id
    assert report["binding"] == {"+1": 0, "0": 0, "-1": 1}
