"""tally as voters, observers and release managers run it: outside a project with --thread, in
the project reading the list archive (PonyMail on 127.0.0.1) by the VOTE's Message-ID."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asf_release import profile as profile_module
from asf_release.context import Context
from asf_release.mailtext import Sender
from asf_release.roster import Roster
from asf_release.roster import parse as parse_roster
from asf_release.sandbox.environment import Sandbox
from asf_release.steps import mailing
from asf_release.steps.base import execute
from asf_release.steps.tally import count_votes
from asf_release.steps.vote import VoteStep
from asf_release.version import Version
from tests.conftest import run_cli
from tests.vote_fixtures import (
    BRUNO,
    CHEN,
    DANA,
    GRACE,
    PonyMail,
    Thread,
    committee_info,
    override_config,
    reply,
    seed_candidate,
    vote_mail,
)


def _recent_thread(hours_ago: float) -> Thread:
    """A thread whose VOTE was sent hours_ago, so the real clock decides (no injection)."""
    vote = vote_mail()
    vote.at = datetime.now(UTC) - timedelta(hours=hours_ago)
    replies = [
        reply(vote, BRUNO, "+1 (binding)\n", 1),
        reply(vote, CHEN, "+1\n", 2),
        reply(vote, GRACE, "+1\n", 3),
        reply(vote, DANA, "+1 (binding)\n", 4),
    ]
    for number, mail in enumerate(replies, start=1):
        mail.at = vote.at + timedelta(hours=number)
    return Thread().add(vote, *replies)


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "committee-info.json"
    path.write_text(json.dumps(committee_info(), ensure_ascii=False))
    return path


def test_tally_outside_a_project_prints_the_documented_json(tmp_path: Path) -> None:
    mbox = _recent_thread(80).mbox(tmp_path / "dev.mbox")
    done = run_cli(
        "tally", "2.11.0", "--thread", str(mbox), "--roster", str(_roster(tmp_path)), "--json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "passed"
    assert report["binding"] == {"+1": 3, "0": 0, "-1": 0}
    assert report["non_binding"] == {"+1": 1, "0": 0, "-1": 0}
    dana = next(v for v in report["voters"] if v["name"] == "Dana Okafor")
    assert {k: dana[k] for k in ("email", "vote", "binding")} == {
        "email": "dana@example.org",
        "vote": "+1",
        "binding": False,
    }
    assert any("claims 'binding'" in note for note in dana["notes"])


def test_tally_of_an_open_vote_exits_1_and_says_what_is_missing(tmp_path: Path) -> None:
    mbox = _recent_thread(10).mbox(tmp_path / "dev.mbox")
    done = run_cli("tally", "2.11.0", "--thread", str(mbox), "--roster", str(_roster(tmp_path)), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "verdict: open" in done.stdout
    assert "short of the 72-hour minimum" in done.stdout
    assert "Dana Okafor" in done.stdout and "Bruno Costa" in done.stdout


def test_tally_outside_a_project_without_a_thread_explains(tmp_path: Path) -> None:
    done = run_cli("tally", "2.11.0", cwd=tmp_path)
    assert done.returncode == 2 and "hint:" in done.stderr and "Traceback" not in done.stderr


def test_tally_of_a_thread_without_the_vote_says_which_subject_it_looked_for(tmp_path: Path) -> None:
    mbox = _recent_thread(80).mbox(tmp_path / "dev.mbox")
    done = run_cli("tally", "2.12.0", "--thread", str(mbox), "--roster", str(_roster(tmp_path)), cwd=tmp_path)
    assert done.returncode == 2
    assert "no [VOTE] message for 2.12.0" in done.stderr
    assert "[VOTE] Release Apache Kvrocks 2.12.0-rcN" in done.stderr


def test_a_bad_roster_names_the_file_and_the_key(tmp_path: Path) -> None:
    mbox = _recent_thread(80).mbox(tmp_path / "dev.mbox")
    roster = tmp_path / "roster.toml"
    roster.write_text('[people.bruno]\nname = "Bruno Costa"\nemails = ["b@example.com"]\n')
    done = run_cli("tally", "2.11.0", "--thread", str(mbox), "--roster", str(roster), cwd=tmp_path)
    assert done.returncode == 2
    assert str(roster) in done.stderr and "people.bruno" in done.stderr and "emails" in done.stderr


def test_in_the_project_tally_reads_the_list_archive_by_the_votes_message_id(sandbox: Sandbox) -> None:
    """No --thread and no vote.thread: PonyMail's thread.lua?id=<the VOTE's Message-ID>."""
    ctx = Context.load(sandbox.project_path, env=sandbox.env())
    seed_candidate(ctx)
    execute(ctx, VoteStep(Version(2, 11, 0), 1, send=True))
    state = mailing.mail_state(ctx, VoteStep(Version(2, 11, 0), 1))
    ctx.close()
    assert state.message_id and state.sent_at

    thread = Thread()
    vote = vote_mail(message_id=state.message_id)
    vote.at = state.sent_at
    thread.add(vote, reply(vote, BRUNO, "+1\n", 1), reply(vote, DANA, "+1\n", 2))
    with PonyMail(thread.ponymail(anonymize=True)) as archive:
        override_config(sandbox.user_config, "vote", "thread", "")
        override_config(sandbox.user_config, "mail", "ponymail_api", f"{archive.url}/api")
        done = run_cli("tally", "2.11.0", "--json", cwd=sandbox.project_path, env=sandbox.env())
        assert archive.requests[0].startswith("/api/thread.lua?id=%3C")
    assert done.returncode == 1, done.stderr  # just sent: open
    report = json.loads(done.stdout)
    voters = {v["name"]: (v["email"], v["binding"]) for v in report["voters"]}
    assert voters == {"Bruno Costa": ("br...@apache.org", True), "Dana Okafor": ("da...@example.org", False)}
    assert report["thread_link"].startswith("https://lists.apache.org/thread/")


def test_a_hidden_address_counts_as_binding_only_when_name_and_address_start_agree() -> None:
    roster: Roster = parse_roster(json.dumps(committee_info()).encode(), "kvrocks", "committee-info.json")
    assert roster.identify(Sender("Bruno Costa", "br...@apache.org")) is not None
    assert roster.identify(Sender("Bruno Costa", "xy...@apache.org")) is None
    assert roster.identify(Sender("Bruno Cost", "br...@apache.org")) is None
    assert roster.identify(Sender("bruno costa", "bruno@apache.org")) is not None  # by address


def test_a_pmc_members_name_from_an_unknown_address_is_a_hint_not_a_binding_vote(tmp_path: Path) -> None:
    vote = vote_mail()
    thread = Thread().add(vote, reply(vote, ("Bruno Costa", "bruno.costa.dev@gmail.com"), "+1\n", 2))
    counted = count_votes(
        profile_module.load(None, env={}),
        Version(2, 11, 0),
        1,
        thread=str(thread.mbox(tmp_path / "t.mbox")),
        roster=str(_roster(tmp_path)),
        now=vote.at + timedelta(hours=80),
    )
    (voter,) = counted.tally.voters
    assert voter.binding is False
    assert any("same name as PMC member Bruno Costa" in note for note in voter.notes)


def test_two_people_behind_the_same_hidden_address_stay_two_voters(tmp_path: Path) -> None:
    vote = vote_mail()
    thread = Thread().add(
        vote,
        reply(vote, ("Dana Okafor", "dana@example.org"), "+1\n", 2),
        reply(vote, ("David Lee", "david@example.org"), "-1\n", 3),
    )
    saved = tmp_path / "thread.json"
    saved.write_text(json.dumps(list(thread.ponymail(anonymize=True).values())))
    counted = count_votes(
        profile_module.load(None, env={}),
        Version(2, 11, 0),
        1,
        thread=str(saved),
        roster=str(_roster(tmp_path)),
        now=vote.at + timedelta(hours=80),
    )
    assert sorted((v.name, v.vote) for v in counted.tally.voters) == [
        ("Dana Okafor", "+1"),
        ("David Lee", "-1"),
    ]


def test_an_mbox_on_a_web_server_is_downloaded_then_removed(tmp_path: Path) -> None:
    from asf_release.sandbox.services import HttpServer

    served = tmp_path / "served"
    served.mkdir()
    _recent_thread(80).mbox(served / "2025-03.mbox")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    with HttpServer(served) as web:
        done = run_cli(
            "tally", "2.11.0", "--thread", f"{web.url}/2025-03.mbox", "--roster", str(_roster(tmp_path)),
            cwd=tmp_path, env=env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "verdict: passed" in done.stdout
    assert list(scratch.iterdir()) == []


def test_the_vote_commands_have_help_with_an_example() -> None:
    for command in ("vote", "tally", "result"):
        helped = run_cli(command, "--help")
        assert helped.returncode == 0, command
        assert f"Example: asf-release {command}" in helped.stdout, command
