from __future__ import annotations

import json
import re
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from asf_release.context import Context
from asf_release.errors import ExternalError, Refused, UsageError
from asf_release.ledger import EventKind
from asf_release.steps import worklist
from asf_release.steps.base import Outcome, State, execute
from asf_release.steps.branch import BranchStep
from asf_release.steps.cherry_pick import CherryPickConflict, CherryPickStep
from asf_release.steps.propose import ProposeStep
from asf_release.steps.worklist import PickState
from asf_release.version import Version
from tests.conftest import run_cli
from tests.prepare_fixtures import TODAY, Backports, Repo, backports, repo

__all__ = ["backports", "repo"]

V2110 = Version(2, 11, 0)


@pytest.fixture
def period(repo: Repo) -> Repo:
    """Proposed (deadline in 7 days), branched and pushed, then the period's commits on unstable."""
    return _period(repo)


def _period(repo: Repo) -> Repo:
    ctx = repo.context()
    execute(ctx, ProposeStep(V2110))
    execute(ctx, BranchStep(V2110, push=True))
    repo.period()
    return repo


def _states(ctx: Context, version: Version = V2110) -> dict[str, PickState]:
    found = {}
    for item in worklist.build(ctx, version).items:
        found[item.commit.subject.rsplit("(#", 1)[1].rstrip(")")] = item.state
    return found


def _branch_subjects(repo: Repo, since: str) -> list[str]:
    return repo.git("log", "--reverse", "--format=%s", f"{since}..2.11").splitlines()


def test_fixes_are_queued_and_everything_else_waits(period: Repo) -> None:
    ctx = period.context()
    assert _states(ctx) == {
        "1030": PickState.AUTO,
        "1031": PickState.AUTO,
        "1032": PickState.WAITING,
        "1033": PickState.AUTO,
        "1034": PickState.WAITING,
    }
    built = worklist.build(ctx, V2110)
    assert built.deadline == TODAY + timedelta(days=7) and not built.period_over
    assert built.fork == period.git("rev-parse", "2.11")


def test_auto_accepts_are_recorded_once_as_decisions(period: Repo) -> None:
    ctx = period.context()
    for _ in range(2):
        worklist.record_auto(ctx, worklist.build(ctx, V2110))
    decisions = [e for e in ctx.ledger.events("2.11.0", "cherry-pick") if e.kind is EventKind.DECISION]
    assert sorted(str(e.data["commit"]) for e in decisions) == sorted(
        period.sha(n) for n in ("1030", "1031", "1033")
    )
    assert all(e.data["decision"] == "auto" for e in decisions)


def test_apply_picks_in_order_and_stops_cleanly_at_the_conflict(period: Repo) -> None:
    ctx = period.context()
    fork = period.git("rev-parse", "2.11")
    worklist.decide(ctx, V2110, period.sha("1034"), approve=True, reason="harmless docs")
    with pytest.raises(CherryPickConflict) as stopped:
        execute(ctx, CherryPickStep(V2110))
    conflict = stopped.value
    assert conflict.item.sha == period.sha("1033")
    assert conflict.files == ["src/server/server.cc"]
    assert "src/server/server.cc" in conflict.message and period.sha("1033")[:10] in conflict.message
    assert conflict.exit_code == 1
    # 1030 and 1031 are in, with -x trailers; the branch is exactly as before 1033; 1034 not reached
    assert _branch_subjects(period, fork) == [
        "fix(storage): close iterators before the snapshot is released (#1030)",
        "fix(security): bound the number of arguments of a command (#1031)",
    ]
    assert f"(cherry picked from commit {period.sha('1031')})" in period.git(
        "log", "-1", "--format=%B", "2.11"
    )
    assert period.git("rev-parse", "--abbrev-ref", "HEAD") == "2.11"
    assert period.git("status", "--porcelain", "--untracked-files=no") == ""
    assert not (period.path / ".git" / "CHERRY_PICK_HEAD").exists()
    item = next(i for i in worklist.build(ctx, V2110).items if i.sha == period.sha("1033"))
    assert item.conflicts == ("src/server/server.cc",)
    assert CherryPickStep(V2110).done(ctx).state is State.PENDING

    # the release manager leaves 1033 out; --apply goes on with 1034
    worklist.decide(ctx, V2110, period.sha("1033"), approve=False, reason="needs #1032")
    outcome = execute(ctx, CherryPickStep(V2110))
    assert isinstance(outcome, Outcome) and outcome.facts["picked"] == [period.sha("1034")]
    assert _branch_subjects(period, fork)[-1] == "docs: fix a typo in the README (#1034)"
    assert _states(ctx) == {
        "1030": PickState.PICKED,
        "1031": PickState.PICKED,
        "1032": PickState.WAITING,
        "1033": PickState.REJECTED,
        "1034": PickState.PICKED,
    }
    again = execute(ctx, CherryPickStep(V2110))
    assert isinstance(again, Outcome) and not again.changed
    assert _branch_subjects(period, fork)[-1] == "docs: fix a typo in the README (#1034)"


def test_picking_the_feature_first_lets_its_fix_apply(period: Repo) -> None:
    ctx = period.context()
    worklist.decide(ctx, V2110, period.sha("1032"), approve=True, reason="1033 needs it")
    execute(ctx, CherryPickStep(V2110))
    assert _states(ctx)["1033"] is PickState.PICKED


def test_a_commit_picked_by_hand_is_recognised(period: Repo) -> None:
    period.git("checkout", "--quiet", "2.11")
    period.git("cherry-pick", period.sha("1030"))  # without -x: found by patch id
    period.git("checkout", "--quiet", "unstable")
    assert _states(period.context())["1030"] is PickState.PICKED


def test_decisions_need_a_reason_and_a_commit_of_the_worklist(period: Repo) -> None:
    ctx = period.context()
    with pytest.raises(UsageError, match="needs a reason"):
        worklist.decide(ctx, V2110, period.sha("1034"), approve=True, reason="  ")
    with pytest.raises(UsageError, match="the reason is too long"):
        worklist.decide(ctx, V2110, period.sha("1034"), approve=True, reason="x" * 5000)
    with pytest.raises(Refused, match="is not in the worklist"):
        worklist.decide(ctx, V2110, period.sha("1021"), approve=True, reason="an old feature")
    with pytest.raises(UsageError, match="is not a commit"):
        worklist.decide(ctx, V2110, "no-such-commit", approve=True, reason="why not")
    assert not [e for e in ctx.ledger.events("2.11.0", "cherry-pick") if e.data.get("decision") == "approve"]


def test_an_ambiguous_commit_prefix_is_a_usage_error(period: Repo) -> None:
    ctx = period.context()
    built = worklist.build(ctx, V2110)
    twins = [
        replace(built.items[0], commit=replace(built.items[0].commit, sha="abcd" + "1" * 36)),
        replace(built.items[1], commit=replace(built.items[1].commit, sha="abcd" + "2" * 36)),
    ]
    with pytest.raises(UsageError, match="matches 2 commits"):
        worklist._find(ctx, replace(built, items=twins), "abcd")


def test_a_commit_already_on_the_branch_cannot_be_decided(period: Repo) -> None:
    ctx = period.context()
    period.git("checkout", "--quiet", "2.11")
    period.git("cherry-pick", "-x", period.sha("1030"))
    period.git("checkout", "--quiet", "unstable")
    with pytest.raises(Refused, match=re.escape("already on 2.11")):
        worklist.decide(ctx, V2110, period.sha("1030"), approve=False, reason="too risky")


def test_the_same_decision_twice_is_recorded_once_and_the_last_one_counts(period: Repo) -> None:
    ctx = period.context()
    sha = period.sha("1034")
    worklist.decide(ctx, V2110, sha, approve=True, reason="docs")
    worklist.decide(ctx, V2110, sha[:8], approve=True, reason="docs")
    approvals = [e for e in ctx.ledger.events("2.11.0", "cherry-pick") if e.data.get("decision") == "approve"]
    assert len(approvals) == 1
    item = worklist.decide(ctx, V2110, sha, approve=False, reason="changed my mind")
    assert item.state is PickState.REJECTED and item.reason == "changed my mind"


def test_after_the_deadline_only_fixes_may_go_in(period: Repo) -> None:
    period.today = TODAY + timedelta(days=8)
    ctx = period.context()
    states = _states(ctx)
    assert states["1032"] is PickState.TOO_LATE and states["1030"] is PickState.AUTO
    with pytest.raises(Refused, match="only fixes may still go in") as refused:
        worklist.decide(ctx, V2110, period.sha("1034"), approve=True, reason="docs")
    assert refused.value.hint and "--deadline" in refused.value.hint
    # rejecting a fix is still the release manager's call
    worklist.decide(ctx, V2110, period.sha("1033"), approve=False, reason="needs #1032")
    execute(ctx, CherryPickStep(V2110))
    check = CherryPickStep(V2110).done(ctx)
    assert check.state is State.DONE and "2 too late" in check.detail

    # the release manager may extend the period, with a reason
    worklist.set_deadline(ctx, V2110, TODAY + timedelta(days=10), "waiting for #1034")
    assert _states(ctx)["1034"] is PickState.WAITING
    with pytest.raises(UsageError, match="in the past"):
        worklist.set_deadline(ctx, V2110, TODAY, "back to the original")


def test_a_dirty_checkout_is_refused_and_left_untouched(period: Repo) -> None:
    ctx = period.context()
    readme = period.path / "README.md"
    readme.write_text(readme.read_text() + "local edit\n")
    with pytest.raises(Refused, match=re.escape("uncommitted changes (README.md)")):
        execute(ctx, CherryPickStep(V2110))
    assert period.git("rev-parse", "--abbrev-ref", "HEAD") == "unstable"
    assert readme.read_text().endswith("local edit\n")
    assert period.git("rev-parse", "2.11") == period.git("rev-parse", "origin/2.11")


def test_an_untracked_file_in_the_way_stops_the_pick_and_leaves_the_branch(repo: Repo) -> None:
    ctx = repo.context()
    execute(ctx, BranchStep(V2110, push=False))
    (repo.path / "NEWS.md").write_text("from unstable\n")
    repo.git("add", "NEWS.md")
    repo.git("commit", "--quiet", "-m", "fix: add the NEWS file (#1100)")
    repo.git("checkout", "--quiet", "2.11")
    before = repo.git("rev-parse", "HEAD")
    (repo.path / "NEWS.md").write_text("my own notes, not tracked\n")
    with pytest.raises(ExternalError, match="failed") as failed:
        execute(ctx, CherryPickStep(V2110))
    assert "untracked" in failed.value.message
    assert repo.git("rev-parse", "HEAD") == before
    assert (repo.path / "NEWS.md").read_text() == "my own notes, not tracked\n"


def test_someone_elses_cherry_pick_in_progress_is_refused(period: Repo) -> None:
    ctx = period.context()
    period.git("checkout", "--quiet", "2.11")
    subprocess.run(
        ["git", "cherry-pick", period.sha("1033")], cwd=period.path, capture_output=True, check=False
    )
    with pytest.raises(Refused, match="a cherry-pick is in progress"):
        execute(ctx, CherryPickStep(V2110))
    assert (period.path / ".git" / "CHERRY_PICK_HEAD").exists()  # their work is left as it is


def test_a_pick_left_half_done_by_an_interrupted_run_is_undone_and_redone(period: Repo) -> None:
    ctx = period.context()
    fork = period.git("rev-parse", "2.11")
    worklist.decide(ctx, V2110, period.sha("1033"), approve=False, reason="needs #1032")
    period.git("checkout", "--quiet", "2.11")
    # what a run killed in the middle of picking 1030 leaves: its intent, and git mid-pick
    ctx.ledger.append("2.11.0", "cherry-pick", EventKind.INTENT, {"actions": ["cherry-pick 1030"]})
    period.git("cherry-pick", "--no-commit", period.sha("1030"))
    (period.path / ".git" / "CHERRY_PICK_HEAD").write_text(period.sha("1030") + "\n")
    execute(ctx, CherryPickStep(V2110))
    assert _branch_subjects(period, fork) == [
        "fix(storage): close iterators before the snapshot is released (#1030)",
        "fix(security): bound the number of arguments of a command (#1031)",
    ]


def test_a_patch_release_picks_its_fixes_and_never_a_feature(repo: Repo) -> None:
    ctx = repo.context()
    states = _states(ctx, Version(2, 10, 2))
    assert states["1020"] is PickState.PICKED and states["1024"] is PickState.PICKED
    assert states["1022"] is PickState.AUTO
    assert states["1021"] is PickState.NO_FEATURES
    with pytest.raises(Refused, match=re.escape("is a new feature, and 2.10.2 is a patch release")):
        worklist.decide(ctx, Version(2, 10, 2), repo.sha("1021"), approve=True, reason="users want it")
    with pytest.raises(UsageError, match="no cherry-pick period"):
        worklist.set_deadline(ctx, Version(2, 10, 2), TODAY, "none")


def test_without_the_branch_the_worklist_is_refused_and_status_waits(repo: Repo) -> None:
    ctx = repo.context()
    with pytest.raises(Refused, match=re.escape("no release branch 2.11 yet")):
        worklist.build(ctx, V2110)
    assert CherryPickStep(V2110).done(ctx).state is State.BLOCKED


# --- the command --------------------------------------------------------------------------------


def test_the_command_lists_decides_and_applies(repo: Repo) -> None:
    repo.today = datetime.now(UTC).date()  # the command runs on the real clock
    period = _period(repo)
    project = ["-C", str(period.path)]
    listed = run_cli(*project, "cherry-pick", "2.11.0")
    assert listed.returncode == 0, listed.stderr
    assert "waiting" in listed.stdout and "queued" in listed.stdout and "(#1032)" in listed.stdout

    missing_reason = run_cli(*project, "cherry-pick", "2.11.0", "--approve", period.sha("1034"))
    assert missing_reason.returncode == 2 and "needs a reason" in missing_reason.stderr
    both = run_cli(
        *project, "cherry-pick", "2.11.0", "--approve", "abcd", "--reject", "abcd", "--reason", "x"
    )
    assert both.returncode == 2 and "cannot be given together" in both.stderr

    approved = run_cli(
        *project, "cherry-pick", "2.11.0", "--approve", period.sha("1034")[:10], "--reason", "docs", "--json"
    )
    assert approved.returncode == 0, approved.stderr
    report = json.loads(approved.stdout)
    assert {i["sha"]: i["state"] for i in report["items"]}[period.sha("1034")] == "approved"

    stopped = run_cli(*project, "cherry-pick", "2.11.0", "--apply")
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert "does not apply to 2.11" in stopped.stderr and "src/server/server.cc" in stopped.stderr
    assert "Traceback" not in stopped.stderr

    resolved = run_cli(
        *project,
        "cherry-pick",
        "2.11.0",
        "--reject",
        period.sha("1033"),
        "--reason",
        "needs #1032",
        "--apply",
    )
    assert resolved.returncode == 0, resolved.stderr
    assert "picked 1 commit into 2.11" in resolved.stdout
    status = json.loads(run_cli(*project, "status", "2.11.0", "--json").stdout)
    cherry = next(s for s in status["steps"] if s["step"] == "cherry-pick")
    assert cherry["state"] == "pending" and "open until" in cherry["detail"]


def test_after_the_deadline_the_list_says_only_fixes_may_go_in(repo: Repo) -> None:
    period = _period(repo)
    ctx = period.context()
    # a period that ended long ago (set directly: the command refuses a deadline in the past)
    ctx.ledger.append(
        "2.11.0", "cherry-pick", EventKind.DECISION, {"deadline": "2020-01-31", "reason": "test"}
    )
    listed = run_cli("-C", str(period.path), "cherry-pick", "2.11.0", "--list")
    assert listed.returncode == 0, listed.stderr
    assert "the period ended on 2020-01-31: only fixes may still go in" in listed.stdout
    assert "too late" in listed.stdout


def test_the_sample_period_commits_are_made_once_and_the_checkout_is_kept(repo: Repo) -> None:
    repo.git("checkout", "--quiet", "2.10")
    first = repo.period()
    assert list(first) == ["1030", "1031", "1032", "1033", "1034"]
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "2.10"
    tip = repo.git("rev-parse", "unstable")
    assert repo.remote_branch("unstable") == tip
    assert repo.period() == first
    assert repo.git("rev-parse", "unstable") == tip


# --- a patch release's picks --------------------------------------------------------------------

V2102 = Version(2, 10, 2)


def _status(repo: Repo, version: str) -> dict[str, object]:
    done = run_cli("-C", str(repo.path), "status", version, "--json")
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def _step(report: dict[str, object], name: str) -> dict[str, str]:
    steps = report["steps"]
    assert isinstance(steps, list)
    return next(s for s in steps if s["step"] == name)


def test_a_patch_release_waits_for_its_fixes_then_goes_on(repo: Repo) -> None:
    assert run_cli("-C", str(repo.path), "propose", "2.10.2").returncode == 0
    posted = "https://github.com/apache/kvrocks/discussions/3001"  # the proposal is out: done
    assert run_cli("-C", str(repo.path), "propose", "2.10.2", "--posted", posted).returncode == 0
    before = _status(repo, "2.10.2")
    picks = _step(before, "cherry-pick")
    assert picks["state"] == "pending" and "1 accepted on unstable to pick (--apply)" in picks["detail"]
    assert before["next"] == picks  # the security fix #1022 waits: nothing else comes first
    assert picks["command"] == "asf-release cherry-pick 2.10.2 --apply"

    listed = run_cli("-C", str(repo.path), "cherry-pick", "2.10.2")
    assert "2 feature(s) on unstable left for the next feature release" in listed.stdout
    assert "feat(json)" not in listed.stdout  # never offered, so not listed one by one
    assert f"on 2.10 as {repo.sha('1020', '2.10')[:8]}, cherry-picked with -x" in listed.stdout

    applied = run_cli("-C", str(repo.path), "cherry-pick", "2.10.2", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert f"(cherry picked from commit {repo.sha('1022')})" in repo.git("log", "-1", "--format=%B", "2.10")
    after = _status(repo, "2.10.2")
    assert _step(after, "cherry-pick")["state"] == "done"
    assert "nothing left to pick" in _step(after, "cherry-pick")["detail"]
    assert after["next"] != _step(after, "cherry-pick")


def test_a_subject_shared_by_chance_holds_the_patch_release_until_decided(
    backports: tuple[Repo, Backports],
) -> None:
    repo, made = backports
    ctx = repo.context()
    version = Version(2, 10, 3)
    items = {item.sha: item for item in worklist.build(ctx, version).items}
    for sha in (made.adapted, made.picked, made.by_subject, *made.merged, repo.sha("1020")):
        assert items[sha].state is PickState.PICKED
    assert items[made.adapted].reason == f"on 2.10 as {made.adapted_copy[:8]}, same PR"
    namesake = items[made.namesake]
    assert namesake.state is PickState.CHECK and namesake.namesake == made.namesake_copy
    assert not namesake.state.accepted  # never picked on a guess, never taken as picked either
    assert items[repo.sha("1022")].state is PickState.AUTO

    execute(ctx, CherryPickStep(version))
    assert worklist.build(ctx, version).to_apply == []
    check = CherryPickStep(version).done(ctx)
    assert check.state is State.PENDING and "1 to check by hand" in check.detail
    assert made.namesake not in repo.git("log", "--format=%B", "2.10")

    worklist.decide(ctx, version, made.namesake, approve=False, reason="2.10 has its own fix, #1039")
    assert CherryPickStep(version).done(ctx).state is State.DONE
