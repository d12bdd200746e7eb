"""A vote thread read from a real HTTP server on 127.0.0.1 answering like lists.apache.org:
a message the archive deleted (email.lua answers 404) is skipped with a warning, never a silent
miss and never a failed fetch; a thread that trickles or grows without end is cut off by one
deadline and one size budget for the whole fetch, and the error says which ran out.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asf_release import votes
from asf_release.adapters import http, lists
from asf_release.context import Context
from asf_release.errors import ExitCode, ExternalError
from asf_release.mailtext import Head
from asf_release.profile import Profile
from asf_release.roster import parse as parse_roster
from asf_release.sandbox.environment import Sandbox
from asf_release.sandbox.services import LOOPBACK, free_port
from asf_release.steps.tally import VoteCount, count_votes, load_roster
from asf_release.version import Version
from tests.conftest import run_cli
from tests.vote_fixtures import (
    ALICE,
    BRUNO,
    CHEN,
    DANA,
    GRACE,
    JB,
    PMC,
    START,
    SUBJECT,
    PonyMail,
    Thread,
    committee_info,
    reply,
    vote_mail,
)


class Archive(PonyMail):
    """lists.apache.org's API on 127.0.0.1: thread.lua gives the tree, email.lua each message;
    `status` answers some messages with an error instead (404: deleted), `empty` with no body,
    `trickle` sends each email.lua answer a few bytes at a time over that many seconds."""

    def __init__(
        self,
        thread: Thread,
        *,
        status: dict[str, int] | None = None,
        trickle: float = 0.0,
        empty: set[str] | None = None,
    ) -> None:
        super().__init__(thread.ponymail(), trickle=trickle)
        self.status = {self.mid(sender): code for sender, code in (status or {}).items()}
        self.empty = {self.mid(sender) for sender in (empty or set())}

    def mid(self, sender: str) -> str:
        """The archive's id of the one message from this address."""
        return next(d["mid"] for d in self.docs.values() if sender in d["from"])

    @property
    def url(self) -> str:
        root = next(iter(self.docs.values()))
        return f"{super().url}/thread/{root['mid']}"

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        key = query.get("id", [""])[0]
        if path.endswith("/api/email.lua"):
            doc = self.find(key)
            if doc is not None and doc["mid"] in self.status:
                return self.status[doc["mid"]], "Email not found!"
            if doc is not None and doc["mid"] in self.empty:
                return 200, {}
        return super().answer(path, query)


def _mid(archive: Archive, message_id: str) -> str:
    return next(d["mid"] for d in archive.docs.values() if d["message-id"] == message_id)


def _thread(*voters: tuple[tuple[str, str], str]) -> Thread:
    vote = vote_mail()
    return Thread().add(vote, *(reply(vote, who, text, 2 + i) for i, (who, text) in enumerate(voters)))


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "committee-info.json"
    path.write_text(json.dumps(committee_info(), ensure_ascii=False))
    return path


def _tally(profile: Profile, archive: Archive, tmp_path: Path) -> VoteCount:
    return count_votes(
        profile,
        Version.parse("2.11.0"),
        1,
        thread=archive.url,
        roster=str(_roster(tmp_path)),
        now=START + timedelta(hours=80),
    )


def _rule(builtin: Profile, rule: str) -> Profile:
    return replace(builtin, vote=replace(builtin.vote, rule=rule))


THREE_PMC = (
    (BRUNO, "+1 (binding)\n"),
    (CHEN, "+1 (binding)\n"),
    (GRACE, "+1 (binding)\n"),
)


# --- a message the archive no longer gives -------------------------------------------------------


def test_a_deleted_non_binding_message_is_skipped_with_a_warning_and_the_vote_passes(
    builtin: Profile, tmp_path: Path
) -> None:
    with Archive(_thread(*THREE_PMC, (DANA, "+1 (non-binding)\n")), status={DANA[1]: 404}) as archive:
        counted = _tally(builtin, archive, tmp_path)
    tally = counted.tally
    assert tally.verdict.value == "passed" and tally.counts(True)["+1"] == 3
    dana = next(d["message-id"] for d in archive.docs.values() if DANA[1] in d["from"])
    assert not tally.complete and [u.message_id for u in tally.unread] == [dana]
    assert any(
        n.startswith("a message of the thread could not be read: from Dana Okafor") for n in tally.notes
    )
    assert "404" in tally.unread[0].reason and not tally.unread[0].may_bind
    assert tally.warnings and "the count may be incomplete" in tally.warnings[0]
    assert "non-binding" in tally.warnings[0]
    facts = counted.facts()
    assert facts["complete"] is False and facts["warnings"] == tally.warnings
    assert (
        facts["unread"][0]["sender"].startswith("Dana Okafor")
        and facts["unread"][0]["may_be_binding"] is False
    )
    assert "1 message(s) could not be read" in counted.summary()


def test_a_deleted_message_from_a_pmc_member_that_could_be_a_veto_keeps_the_vote_undecided(
    builtin: Profile, tmp_path: Path
) -> None:
    thread = _thread(*THREE_PMC, (ALICE, "-1 (binding): the NOTICE is wrong\n"))
    with Archive(thread, status={ALICE[1]: 404}) as archive:
        counted = _tally(_rule(builtin, "kvrocks"), archive, tmp_path)
    tally = counted.tally
    assert tally.counts(True) == {"+1": 3, "0": 0, "-1": 0}  # what could be read
    assert tally.verdict.value == "open", tally.to_json()
    assert tally.unread[0].may_bind and tally.unread[0].person == "alice"
    assert any("could not be read, and a binding -1 there would stop the release" in m for m in tally.missing)
    assert any("--thread FILE" in m and "--force --reason" in m for m in tally.missing)


def test_under_the_asf_rule_a_deleted_message_that_cannot_change_the_verdict_leaves_it_passed(
    builtin: Profile, tmp_path: Path
) -> None:
    five = (*THREE_PMC, (JB, "+1 (binding)\n"), (ALICE, "+1\n"))
    with Archive(_thread(*five), status={ALICE[1]: 410}) as archive:
        counted = _tally(_rule(builtin, "asf"), archive, tmp_path)
    tally = counted.tally
    assert tally.verdict.value == "passed" and tally.counts(True)["+1"] == 4
    assert "even as binding -1 votes they would not change the verdict" in tally.warnings[0]
    vote = vote_mail()
    alice = reply(vote, ALICE, "+1 (binding)\n", 1)
    later = reply(alice, ALICE, "Sorry, one more look: see below.\n", 40)
    bruno, chen = (reply(vote, who, text, 2 + i) for i, (who, text) in enumerate(THREE_PMC[:2]))
    with Archive(Thread().add(vote, alice, bruno, chen, later)) as archive:
        archive.status = {_mid(archive, later.message_id): 404}
        close = _tally(_rule(builtin, "asf"), archive, tmp_path)
    # three +1 with Alice's; her later message may turn hers into a -1: 2 against 1 is no pass
    assert close.tally.counts(True)["+1"] == 3 and close.tally.verdict.value == "open"
    assert not close.tally.unread[0].superseded


def test_a_deleted_message_followed_by_a_readable_vote_of_the_same_person_changes_nothing(
    builtin: Profile, tmp_path: Path
) -> None:
    vote = vote_mail()
    first = reply(vote, GRACE, "-1 (binding), the build fails\n", 2)
    thread = Thread().add(
        vote,
        reply(vote, BRUNO, "+1 (binding)\n", 3),
        reply(vote, CHEN, "+1 (binding)\n", 4),
        first,
        reply(first, GRACE, "+1 (binding): my mistake, it builds\n", 30),
    )
    with Archive(thread) as archive:
        archive.status = {_mid(archive, first.message_id): 404}
        counted = _tally(_rule(builtin, "kvrocks"), archive, tmp_path)
    tally = counted.tally
    assert tally.verdict.value == "passed" and tally.unread[0].superseded
    assert "voted again later" in tally.warnings[0]


def test_an_answer_without_text_is_unreadable_never_an_empty_ballot(builtin: Profile, tmp_path: Path) -> None:
    with Archive(_thread(*THREE_PMC, (ALICE, "-1 (binding)\n")), empty={ALICE[1]}) as archive:
        counted = _tally(_rule(builtin, "kvrocks"), archive, tmp_path)
    assert counted.tally.verdict.value == "open"
    assert "holds no text" in counted.tally.unread[0].reason


def test_a_server_error_for_one_message_still_fails_the_fetch(builtin: Profile, tmp_path: Path) -> None:
    with (
        Archive(_thread(*THREE_PMC), status={CHEN[1]: 503}) as archive,
        pytest.raises(ExternalError) as failed,
    ):
        _tally(builtin, archive, tmp_path)
    assert failed.value.exit_code == ExitCode.EXTERNAL and "503" in failed.value.message


def test_tally_prints_the_warning_and_json_says_the_count_is_incomplete(tmp_path: Path) -> None:
    with Archive(_thread(*THREE_PMC, (ALICE, "-1 (binding)\n")), status={ALICE[1]: 404}) as archive:
        roster = str(_roster(tmp_path))
        shown = run_cli(
            "tally", "2.11.0", "--rc", "1", "--thread", archive.url, "--roster", roster, cwd=tmp_path
        )
        as_json = run_cli(
            "tally",
            "2.11.0",
            "--rc",
            "1",
            "--thread",
            archive.url,
            "--roster",
            roster,
            "--json",
            cwd=tmp_path,
        )
    assert shown.returncode == 1, shown.stdout + shown.stderr
    assert "the count may be incomplete" in shown.stdout and "verdict: open" in shown.stdout
    facts = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and facts["verdict"] == "open" and facts["complete"] is False
    assert facts["unread"][0]["may_be_binding"] is True and facts["warnings"]


# --- one deadline and one size budget per thread ---------------------------------------------------


def test_a_thread_that_trickles_is_cut_off_by_one_deadline_for_the_whole_fetch(
    builtin: Profile, tmp_path: Path
) -> None:
    """Each message alone comes well within the time one request may take; together they do not."""
    five = (*THREE_PMC, (JB, "+1 (binding)\n"), (DANA, "+1\n"))
    profile = replace(builtin, vote=replace(builtin.vote, max_thread_seconds=2))
    with Archive(_thread(*five), trickle=1.0) as archive, pytest.raises(ExternalError) as cut:
        _tally(profile, archive, tmp_path)
    error = cut.value
    assert error.exit_code == ExitCode.EXTERNAL
    assert (
        "reading the vote thread from" in error.message
        and "the 2 s allowed for the whole thread ran out" in error.message
    )
    assert "of 5 messages" in error.message
    assert (
        error.hint is not None and "vote.max_thread_seconds" in error.hint and "--thread FILE" in error.hint
    )


def test_a_thread_larger_than_its_budget_is_refused_whatever_each_message_weighs(tmp_path: Path) -> None:
    thread = _thread(*((who, "+1\n" + "x" * 3000 + "\n") for who, _ in THREE_PMC))
    with Archive(thread) as archive:
        fetch = lists.Fetch(archive.url, max_bytes=8000)
        api = archive.url.rsplit("/thread/", 1)[0] + "/api"
        with pytest.raises(ExternalError) as refused:
            lists.PonyMailSource.fetch(api, next(iter(archive.docs)), fetch=fetch)
    assert "larger than the 8,000 bytes a thread may take" in refused.value.message
    assert "messages)" in refused.value.message and refused.value.exit_code == ExitCode.EXTERNAL


def test_the_roster_is_read_within_its_deadline(builtin: Profile, tmp_path: Path) -> None:
    info = json.dumps(committee_info()).encode()

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(info)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                for i in range(0, len(info), 100):
                    self.wfile.write(info[i : i + 100])
                    self.wfile.flush()
                    time.sleep(0.2)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://{LOOPBACK}:{server.server_address[1]}/committee-info.json"
        with pytest.raises(ExternalError) as cut:
            load_roster(builtin, url, deadline=http.Deadline(1, setting="a.setting"))
    finally:
        server.shutdown()
        server.server_close()
    assert cut.value.exit_code == ExitCode.EXTERNAL and "no complete answer within 1 s" in cut.value.message
    assert "a.setting" in str(cut.value.hint)


# --- an interrupted send, checked against an archive that cannot be read -------------------------


def test_an_unreadable_archive_is_never_taken_for_a_message_that_did_not_arrive(sandbox: Sandbox) -> None:
    """A send cut off after the server took the message: the next run looks in the thread. An
    archive that does not answer is not 'the thread does not show it': exit 3, nothing sent; an
    archive that answers it knows no such message is, and --resend then sends."""
    from tests.test_vote_steps import _cli, _seed, _smtp_at, _subjects
    from tests.vote_fixtures import DroppingSmtp, PonyMail, override_config

    _seed(sandbox)
    user = Context.load(sandbox.project_path, env=sandbox.env()).profile.smtp.user
    with DroppingSmtp(sandbox.mbox, keep=False) as relay:
        _smtp_at(sandbox, relay.port, "")
        assert _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send").returncode == 3
    _smtp_at(sandbox, sandbox.mail.port, user)

    override_config(sandbox.user_config, "vote", "thread", f"http://{LOOPBACK}:{free_port()}/thread/x")
    unreadable = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
    assert unreadable.returncode == 3, unreadable.stdout + unreadable.stderr
    assert "the thread could not be read to look" in unreadable.stderr
    assert "does not show it" not in unreadable.stderr and sandbox.mail.messages() == []

    with PonyMail({}) as archive:  # answers 404 for every id: it knows no such message
        override_config(sandbox.user_config, "vote", "thread", f"{archive.url}/thread/x")
        refused = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send")
        assert refused.returncode == 2 and "the thread does not show it" in refused.stderr
        resent = _cli(sandbox, "vote", "2.11.0", "--rc", "1", "--send", "--resend")
    assert resent.returncode == 0, resent.stderr
    assert _subjects(sandbox) == ["[VOTE] Release Apache Kvrocks 2.11.0-rc1"]


# --- "passed" despite unread messages holds whatever they say ------------------------------------

_CHOICES = ("+1", "0", "-1", None)  # None: the message holds no vote


@st.composite
def _threads(draw: st.DrawFn) -> tuple[list[tuple[str, str | None, float, bool]], str]:
    """(uid, vote, hours after the start, unread) per message of PMC members; and the rule."""
    uids = [uid for uid in PMC if uid != "rm"]
    messages = []
    for uid in draw(st.lists(st.sampled_from(uids), min_size=3, max_size=8)):
        vote = draw(st.sampled_from(["+1", "+1", "+1", "+1", "0", "-1", None]))  # mostly passing votes
        unread = draw(st.integers(0, 3)) == 0
        messages.append((uid, vote, draw(st.integers(1, 70)) + len(messages) / 100, unread))
    unread = [m for m in messages if m[3]]
    if len(unread) > 3:  # every completion is tried: keep it small
        messages = [m for m in messages if not m[3]] + unread[:3]
    return messages, draw(st.sampled_from(["kvrocks", "asf"]))


def _head(number: int, uid: str, hours: float) -> Head:
    return Head(
        key=number,
        message_id=f"<m{number}@example.org>",
        in_reply_to=("<vote@example.org>",),
        references=(),
        subject="Re: " + SUBJECT,
        sender_raw=f"{PMC[uid]} <{uid}@apache.org>",
        when=START + timedelta(hours=hours),
        position=number,
    )


def _count(messages: list[tuple[Head, str | None]], unread: list[Head], rule: votes.Rule) -> votes.Tally:
    roster = parse_roster(json.dumps(committee_info()).encode(), "kvrocks", "committee-info.json")
    ballots = [
        votes.Ballot(head, votes.read_ballot(f"{vote}\n" if vote else "Thanks!\n")) for head, vote in messages
    ]
    ballots.sort(key=lambda b: (b.head.date, b.head.position))  # oldest first, as select_thread orders them
    return votes.count(
        ballots,
        roster,
        rule,
        start=START,
        now=START + timedelta(hours=80),
        unread=[(head, "the archive answered 404") for head in unread],
    )


@settings(max_examples=60, derandomize=True, deadline=None)
@given(_threads())
def test_a_vote_passed_with_unread_messages_passes_whatever_they_hold(
    drawn: tuple[list[tuple[str, str | None, float, bool]], str],
) -> None:
    messages, name = drawn
    rule = votes.Rule(name, 3, 72, veto=name == "kvrocks")
    heads = [(_head(i, uid, hours), vote, unread) for i, (uid, vote, hours, unread) in enumerate(messages)]
    readable = [(head, vote) for head, vote, unread in heads if not unread]
    hidden = [(head, vote) for head, vote, unread in heads if unread]
    tally = _count(readable, [head for head, _ in hidden], rule)
    assert tally.complete == (not hidden) and len(tally.unread) == len(hidden)
    if hidden:
        assert tally.warnings
    if tally.verdict is not votes.Verdict.PASSED:
        return
    for completion in itertools.product(_CHOICES, repeat=len(hidden)):
        whole = readable + [(head, vote) for (head, _), vote in zip(hidden, completion, strict=True)]
        assert _count(whole, [], rule).verdict is votes.Verdict.PASSED, (completion, tally.to_json())
