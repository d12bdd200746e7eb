from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from asf_release.ledger import EventKind, Ledger, StepState, state_dir


def test_events_are_kept_in_order_and_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with Ledger(path) as ledger:
        ledger.append("2.11.0", "package", EventKind.INTENT, {"actions": ["tag"]}, rc=1)
        ledger.append("2.11.0", "package", EventKind.RESULT, {"tag": "v2.11.0-rc1"}, rc=1)
        ledger.append("2.10.2", "propose", EventKind.RESULT, {})
    with Ledger(path) as ledger:
        events = ledger.events("2.11.0")
        assert [(e.step, e.kind) for e in events] == [
            ("package", EventKind.INTENT),
            ("package", EventKind.RESULT),
        ]
        assert events[1].data == {"tag": "v2.11.0-rc1"} and events[1].rc == 1
        assert ledger.releases() == ["2.11.0", "2.10.2"]


def test_the_ledger_is_append_only(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.append("1.0.0", "package", EventKind.RESULT, {})
    raw = sqlite3.connect(tmp_path / "l.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE events SET step = 'x'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("DELETE FROM events")
    raw.close()


@pytest.mark.parametrize("key", ["password", "smtp_password", "passphrase", "token", "secret"])
def test_secrets_never_enter_the_ledger(tmp_path: Path, key: str) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger, pytest.raises(ValueError, match="secrets"):
        ledger.append("1.0.0", "vote", EventKind.INTENT, {"smtp": {key: "x"}})


def test_state_is_derived_from_the_last_event_of_a_step(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.append("2.11.0", "stage", EventKind.INTENT, {}, rc=1)
        assert ledger.history("2.11.0").step("stage").state is StepState.INTENDED
        ledger.append("2.11.0", "stage", EventKind.FAILURE, {"message": "svn down"}, rc=1)
        assert ledger.history("2.11.0").step("stage").state is StepState.FAILED
        ledger.append("2.11.0", "stage", EventKind.INTENT, {}, rc=1)
        ledger.append("2.11.0", "stage", EventKind.RESULT, {"revision": 7}, rc=1)
        ledger.append("2.11.0", "stage", EventKind.INTENT, {}, rc=2)
        history = ledger.history("2.11.0")
        assert history.rc == 2
        assert history.step("stage", rc=1).state is StepState.DONE
        assert history.facts("stage", rc=1) == {"revision": 7}
        assert history.step("stage", rc=2).state is StepState.INTENDED
        assert history.step("vote").state is StepState.NOT_STARTED


def test_decisions_are_collected(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite3") as ledger:
        ledger.append("2.11.0", "cherry-pick", EventKind.DECISION, {"sha": "a", "accept": True})
        ledger.append("2.11.0", "cherry-pick", EventKind.DECISION, {"sha": "b", "accept": False})
        record = ledger.history("2.11.0").step("cherry-pick")
    assert [d.data["sha"] for d in record.decisions] == ["a", "b"]


def test_the_ledger_lives_in_the_git_directory(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert state_dir(tmp_path, {}) == tmp_path / ".git" / "asf-release"
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {tmp_path / '.git' / 'worktrees' / 'wt'}\n")
    assert state_dir(worktree, {}) == tmp_path / ".git" / "worktrees" / "wt" / "asf-release"
    assert (
        state_dir(tmp_path, {"ASF_RELEASE_STATE_DIR": str(tmp_path / "elsewhere")}) == tmp_path / "elsewhere"
    )
