"""The corpus of vote threads, tallied from each kind of source: mbox, Maildir, saved PonyMail
JSON and PonyMail served over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from asf_release.profile import Profile
from asf_release.steps.tally import VoteCount, count_votes
from asf_release.version import Version
from tests.vote_corpus import Case, cases
from tests.vote_fixtures import START, PonyMail, committee_info

CASES = cases()


def _profile(builtin: Profile, case: Case) -> Profile:
    profile = replace(builtin, vote=replace(builtin.vote, rule=case.rule))
    if case.vote_subject:
        mail = replace(
            profile.mail, vote_subject=case.vote_subject, result_subject="[RESULT]" + case.vote_subject
        )
        profile = replace(profile, mail=mail)
    return profile


def _roster(tmp_path: Path, kind: str) -> Path:
    info = tmp_path / "committee-info.json"
    info.write_text(json.dumps(committee_info(), ensure_ascii=False))
    if kind == "json":
        return info
    toml = tmp_path / "roster.toml"
    toml.write_text(
        'committee_info = "committee-info.json"\n\n'
        "[people.bruno]\n"
        'addresses = ["bruno.costa.dev@gmail.com"]\n'
    )
    return toml


def _tally(builtin: Profile, case: Case, thread: str, roster: Path) -> VoteCount:
    return count_votes(
        _profile(builtin, case),
        Version.parse("2.11.0"),
        case.rc,
        thread=thread,
        roster=str(roster),
        now=START + timedelta(hours=case.hours),
    )


def _check(case: Case, counted: VoteCount, *, whole_mailbox: bool = True) -> None:
    tally = counted.tally
    shown = json.dumps(tally.to_json(), indent=1, ensure_ascii=False)
    assert tally.verdict.value == case.verdict, shown
    assert tally.counts(True) == case.binding, shown
    assert tally.counts(False) == case.non_binding, shown
    by_name = {v.name: (v.vote, v.binding) for v in tally.voters}
    for name, expected in case.voters.items():
        assert by_name.get(name) == expected, f"{name}: {shown}"
    said = [
        *tally.notes,
        *tally.missing,
        *(n for v in tally.voters for n in v.notes),
        *(s.reason for s in tally.skipped),
    ]
    for expected_note in case.expect_notes + (case.outside_notes if whole_mailbox else []):
        assert any(expected_note in line for line in said), f"'{expected_note}' not in {said}"
    assert len(tally.voters) == len({v.key for v in tally.voters}), "one vote per person"
    assert counted.root.message_id == case.vote.message_id, "the release manager's VOTE is counted"


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 15
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tally_from_an_mbox(case: Case, builtin: Profile, tmp_path: Path) -> None:
    mbox = case.thread.mbox(tmp_path / "dev.mbox")
    _check(case, _tally(builtin, case, str(mbox), _roster(tmp_path, case.roster)))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tally_from_a_maildir(case: Case, builtin: Profile, tmp_path: Path) -> None:
    folder = case.thread.maildir(tmp_path / "Maildir")
    _check(case, _tally(builtin, case, str(folder), _roster(tmp_path, case.roster)))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tally_from_saved_ponymail_json(case: Case, builtin: Profile, tmp_path: Path) -> None:
    saved = tmp_path / "thread.json"
    saved.write_text(json.dumps(list(case.thread.ponymail().values()), ensure_ascii=False))
    _check(case, _tally(builtin, case, str(saved), _roster(tmp_path, case.roster)))


SERVED = [c for c in CASES if c.rc is not None]


@pytest.mark.parametrize("case", SERVED, ids=[c.name for c in SERVED])
def test_tally_from_a_ponymail_thread_url(case: Case, builtin: Profile, tmp_path: Path) -> None:
    """thread.lua gives the tree, email.lua each body; replies without threading headers are not
    in PonyMail's tree, so they are left out of the expectations here."""
    docs = case.thread.ponymail()
    root = next(d for d in docs.values() if d["message-id"] == case.vote.message_id)
    with PonyMail(docs) as server:
        counted = _tally(builtin, case, f"{server.url}/thread/{root['mid']}", _roster(tmp_path, case.roster))
        assert any(r.startswith("/api/thread.lua?id=") for r in server.requests)
        assert any(r.startswith("/api/email.lua?id=") for r in server.requests)
    if any(not m.threaded for m in case.thread.mails):
        assert counted.tally.counts(True)["+1"] < case.binding["+1"]
        return
    if case.thread.mails[-1].subject.startswith("[RESULT]") or any(
        m.subject.startswith("[RESULT]") for m in case.thread.mails
    ):
        pass  # the RESULT replied to the VOTE, so it is in the tree and closes the vote as in the mbox
    _check(case, counted, whole_mailbox=False)
    assert counted.thread_link == f"https://lists.apache.org/thread/{root['mid']}"
