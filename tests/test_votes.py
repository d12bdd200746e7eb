"""The pure parts of the tally: reading one body, HTML, subjects, the rules' verdicts, and the
odd mail a thread source meets (no Message-ID, encoded subjects, unknown charsets)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from asf_release import profile as profile_module
from asf_release.adapters import lists
from asf_release.errors import ConfigError, UsageError
from asf_release.mailtext import Head, html_to_text, normalize_subject, rc_in_body, subject_pattern
from asf_release.profile import vote_rules
from asf_release.roster import parse as parse_roster
from asf_release.steps.tally import count_votes
from asf_release.version import Version
from asf_release.votes import Ballot, Reading, Rule, count, read_ballot
from tests.vote_fixtures import (
    ALICE,
    BRUNO,
    CHEN,
    DANA,
    ERIK,
    GRACE,
    RESULT_SUBJECT,
    Thread,
    committee_info,
    reply,
    vote_mail,
)

BALLOTS = [
    ("+1", "+1", ""),
    ("+1 (binding)\n\nChecked everything.", "+1", "binding"),
    ("+1 binding", "+1", "binding"),
    ("+1 [non-binding]", "+1", "non-binding"),
    ("+1 non binding, tested on ARM", "+1", "non-binding"),
    ("0", "0", ""),
    ("0 (no opinion)", "0", ""),
    ("+0", "+0", ""),
    ("-0 binding", "-0", "binding"),
    ("-1 (binding)\n\nThe LICENSE lacks a dependency.", "-1", "binding"),
    ("+0.5: fine, but untested here", "+0.5", ""),
    ("-0.9", "-0.9", ""),
    ("＋１（binding）", "+1", "binding"),  # full-width, from an IME
    ("\u22121", "-1", ""),  # U+2212 MINUS SIGN, as some clients autocorrect "-1"
    ("- +1 (binding)", "+1", "binding"),
    ("Vote: -1", "-1", ""),
    ("Here is my +1.", "+1", ""),
    ("I vote +1 for this release", "+1", ""),
    ("Everything checks out, so +1 (binding) from me", "+1", "binding"),
    ("[X] +1 approve\n[ ] +0 no opinion\n[ ] -1 disapprove", "+1", ""),
    ("+1 approve", "+1", ""),
    # not votes
    ("+1 approve\n+0 no opinion\n-1 disapprove with the reason", None, ""),
    ("[ ] +1 approve\n[ ] -1 disapprove", None, ""),
    ("+1000, great work!", None, ""),
    ("+2", None, ""),
    ("1. Downloaded the tarball\n2. Verified", None, ""),
    ("0 failures in 1024 tests", None, ""),
    ("Tests ran on 2025-03-01 -1 day", None, ""),
    ("Call me at +1 650 555 0100.", None, ""),
    ("Thanks!\n-- \nBruno\n+1 (415) 555-0142", None, ""),
    ("Agreed.\n\nOn Tue, Mar 4, 2025 at 10:00 AM Bruno <bruno@apache.org> wrote:\n> +1 (binding)", None, ""),
    ("Sounds good\n\n-----Original Message-----\nFrom: Riley\n\n+1 approve\n-1 disapprove", None, ""),
]


@pytest.mark.parametrize(("body", "vote", "claim"), BALLOTS, ids=[b[0][:30] for b in BALLOTS])
def test_read_ballot(body: str, vote: str | None, claim: str) -> None:
    reading = read_ballot(body)
    assert reading.raw == vote
    if vote is not None:
        assert reading.claim.value == claim


def test_several_votes_in_one_message_count_the_first_and_say_so() -> None:
    reading = read_ballot("+1 for the source release\n\n-1 for the Docker image, it lacks NOTICE")
    assert reading.raw == "+1" and any("several votes" in n for n in reading.notes)


def test_html_to_text_marks_blockquotes_as_quotes_and_drops_styles() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>+1&nbsp;(binding)</p>"
        "<blockquote><div>Hello</div><blockquote>-1</blockquote></blockquote><pre>a\n  b</pre></body></html>"
    )
    text = html_to_text(html)
    assert text.splitlines()[0] == "+1\xa0(binding)"
    assert "> Hello" in text and "> > -1" in text and "color" not in text
    assert "  b" in text


def test_subjects_are_compared_without_reply_prefixes_case_or_spacing() -> None:
    assert normalize_subject("RE: Re: AW:  [VOTE]  Release X 1.0") == "[vote] release x 1.0"
    assert normalize_subject("回复: [RESULT] [VOTE] Release X") == "[result][vote] release x"
    pattern = subject_pattern(
        "[VOTE] Release Apache Kvrocks {version}-rc{rc}", {"version": "2.11.0", "rc": None}
    )
    found = pattern.match(normalize_subject("Re: [VOTE] Release Apache Kvrocks 2.11.0-rc3"))
    assert found and found.group("rc") == "3"
    assert not pattern.match(normalize_subject("[VOTE] Release Apache Kvrocks 2.11.0-rc3 (take 2)"))


@pytest.mark.parametrize(
    ("template", "subject", "rc"),
    [
        ("[VOTE] Release Apache Kvrocks {version}-rc{rc}", "[VOTE] Release Apache Kvrocks 2.11.0", None),
        (
            "[VOTE] Release Apache Kvrocks {version}-rc{rc}",
            "Re: [VOTE] Release Apache Kvrocks 2.11.0 RC2",
            "2",
        ),
        ("[VOTE] Release Apache Kvrocks {version}", "[VOTE] Release Apache Kvrocks 2.11.0", None),
        ("[VOTE] Release Apache Kvrocks {version}", "[VOTE] Release Apache Kvrocks 2.11.0-rc4", "4"),
        ("[VOTE] Release X {version} (RC{rc})", "[VOTE] Release X 2.11.0 (RC2)", "2"),
        (
            "[VOTE] Release {version}, release candidate #{rc}",
            "[VOTE] Release 2.11.0, release candidate #3",
            "3",
        ),
        ("[VOTE] Release {version}, release candidate #{rc}", "[VOTE] Release 2.11.0", None),
    ],
)
def test_the_rc_number_in_a_subject_is_optional_and_captured(
    template: str, subject: str, rc: str | None
) -> None:
    found = subject_pattern(template, {"version": "2.11.0", "rc": None}).match(normalize_subject(subject))
    assert found is not None and found.groupdict().get("rc") == rc
    assert not subject_pattern(template, {"version": "2.11.0", "rc": None}).match(
        normalize_subject(subject.replace("2.11.0", "2.11.01"))
    )


@pytest.mark.parametrize(
    ("body", "rc"),
    [
        (
            "The tag to be voted on is v2.11.0-rc2.\nhttps://dist.apache.org/repos/dist/dev/kvrocks/2.11.0-rc2/",
            2,
        ),
        ("The tag to be voted on is 2.11.0-rc1.", 1),  # the seed's own template: no 'v'
        ("from release candidate 3.", 3),
        ("rc2 fixes what 2.11.0-rc1 lacked: v2.11.0-rc2, 2.11.0-rc2/", 2),
        ("2.11.0-rc1 or 2.11.0-rc2?", None),
        ("v12.11.0-rc1", None),
        ("Please vote.\n> v2.11.0-rc1", None),  # quoted text is not the VOTE's own
    ],
)
def test_the_rc_a_vote_body_names(body: str, rc: int | None) -> None:
    assert rc_in_body(body, "2.11.0") == rc


START = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def _ballots(*votes: tuple[str, str]) -> list[Ballot]:
    out = []
    for number, (uid, raw) in enumerate(votes):
        head = Head(
            number, f"<{number}@x>", (), (), "Re: v", f"{uid} <{uid}@apache.org>", when=START, position=number
        )
        out.append(Ballot(head, Reading(raw)))
    return out


ROSTER = parse_roster(json.dumps(committee_info()).encode(), "kvrocks", "committee-info.json")


@pytest.mark.parametrize(
    ("rule", "votes", "hours", "closed", "verdict"),
    [
        ("kvrocks", ["+1", "+1", "+1"], 72, False, "passed"),
        ("kvrocks", ["+1", "+1", "+1"], 71.9, False, "open"),
        ("kvrocks", ["+1", "+1"], 200, False, "open"),
        ("kvrocks", ["+1", "+1"], 200, True, "failed"),
        ("kvrocks", ["+1", "+1", "+1", "-1"], 80, False, "failed"),
        ("kvrocks", ["+1", "+1", "+1", "-1"], 10, False, "open"),
        ("asf", ["+1", "+1", "+1", "-1"], 80, False, "passed"),
        ("asf", ["+1", "+1", "+1", "-1", "-1", "-1"], 80, False, "failed"),
        ("asf", ["+1", "+1", "+1"], 50, True, "failed"),  # a RESULT before the minimum hours
    ],
)
def test_the_rules(rule: str, votes: list[str], hours: float, closed: bool, verdict: str) -> None:
    uids = ["rm", "alice", "bruno", "chenwei", "grace", "jbonofre"]
    end = START + timedelta(hours=hours)
    tally = count(
        _ballots(*zip(uids, votes, strict=False)),
        ROSTER,
        Rule(rule, 3, 72, veto=vote_rules()[rule]),
        start=START,
        now=end,
        closed_at=end if closed else None,
    )
    assert tally.verdict.value == verdict, tally.missing


def test_roster_errors_name_the_file_and_the_key() -> None:
    with pytest.raises(ConfigError, match="no committee 'nope'"):
        parse_roster(json.dumps(committee_info()).encode(), "nope", "info.json")
    with pytest.raises(ConfigError, match=r"people\.x\.addresses"):
        parse_roster(b'[people.x]\naddresses = ["not an address"]\n', "kvrocks", "r.toml")
    with pytest.raises(ConfigError, match="names nobody"):
        parse_roster(b"# empty\n", "kvrocks", "r.toml")


def test_odd_mail_in_an_mbox(tmp_path: Path) -> None:
    """No Message-ID, an RFC 2047 subject, an unknown charset, a 'From ' line quoted in a body."""
    raw = (
        "From rm@apache.org Mon Mar  3 09:30:00 2025\n"
        "From: Riley Morgan <rm@apache.org>\nSubject: [VOTE] Release Apache Kvrocks 2.11.0-rc1\n"
        "Date: Mon, 03 Mar 2025 09:30:00 +0000\nMessage-ID: <vote@apache.org>\n\nPlease vote.\n"
        ">From the release manager\n\n"
        "From x@example.org Mon Mar  3 10:30:00 2025\n"
        "From: =?utf-8?q?Chen_Wei?= <chenwei@apache.org>\n"
        "Subject: =?UTF-8?B?UmU6IFtWT1RFXSBSZWxlYXNlIEFwYWNoZSBLdnJvY2tzIDIuMTEuMC1yYzE=?=\n"
        "In-Reply-To: <vote@apache.org>\nDate: Mon, 03 Mar 2025 10:30:00 +0000\n"
        "Content-Type: text/plain; charset=x-no-such-charset\n\n+1 (binding)\n\n"
        "From y@example.org Mon Mar  3 11:30:00 2025\n"
        "From: Bruno Costa <bruno@apache.org>\nSubject: Re: [VOTE] Release Apache Kvrocks 2.11.0-rc1\n"
        "In-Reply-To: vote@apache.org\nMessage-ID: <b@x>\nDate: not a date\n\n+1\n"
    )
    mbox = tmp_path / "odd.mbox"
    mbox.write_text(raw)
    with lists.open_source(str(mbox)) as source:
        heads = list(source.heads())
        assert [h.subject for h in heads][1] == "Re: [VOTE] Release Apache Kvrocks 2.11.0-rc1"
        assert heads[1].message_id.startswith("<no-message-id-")
        assert heads[2].in_reply_to == ("<vote@apache.org>",) and heads[2].date is None
        assert read_ballot(source.text(heads[1])).raw == "+1"
        assert "From the release manager" in source.text(heads[0])


def test_a_single_eml_file_and_a_folder_of_them_are_threads_too(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_text("From: a@b\nSubject: x\nMessage-ID: <a@b>\n\n+1\n")
    (tmp_path / "b.eml").write_text(
        "From: c@d\nSubject: Re: x\nMessage-ID: <c@d>\nIn-Reply-To: <a@b>\n\n-1\n"
    )
    with lists.open_source(str(tmp_path / "a.eml")) as one:
        assert [h.message_id for h in one.heads()] == ["<a@b>"]
    with lists.open_source(str(tmp_path)) as folder:
        heads = list(folder.heads())
        assert [read_ballot(folder.text(h)).raw for h in heads] == ["+1", "-1"]


def test_json_that_is_not_ponymail_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(UsageError, match="not PonyMail JSON"):
        lists.open_source(str(path))


def test_a_result_from_a_pmc_member_closes_the_count_one_from_anyone_else_does_not(tmp_path: Path) -> None:
    vote = vote_mail()
    early = reply(vote, DANA, "Passed!\n", 1)
    early.subject = RESULT_SUBJECT
    closing = reply(vote, ALICE, "The vote has passed.\n", 75)
    closing.subject = RESULT_SUBJECT
    thread = Thread().add(
        vote,
        early,
        reply(vote, BRUNO, "+1\n", 2),
        reply(vote, CHEN, "+1\n", 3),
        reply(vote, GRACE, "+1\n", 4),
        closing,
        reply(vote, ERIK, "+1\n", 76),
    )
    roster = tmp_path / "committee-info.json"
    roster.write_text(json.dumps(committee_info()))
    counted = count_votes(
        profile_module.load(None, env={}),
        Version(2, 11, 0),
        1,
        thread=str(thread.mbox(tmp_path / "t.mbox")),
        roster=str(roster),
        now=START + timedelta(hours=90),
    )
    tally = counted.tally
    assert counted.selection.result is not None and counted.selection.result.message_id == closing.message_id
    assert tally.closed_at == START + timedelta(hours=75) and tally.verdict.value == "passed"
    assert [s.sender for s in tally.skipped] == ["Erik Lund <erik.lund@example.com>"]
    assert any("[RESULT] from Dana Okafor" in note and "ignored" in note for note in tally.notes)
