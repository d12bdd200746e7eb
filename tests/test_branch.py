from __future__ import annotations

import json
import re

import pytest

from asf_release.errors import Refused, UsageError
from asf_release.ledger import EventKind
from asf_release.steps.base import Outcome, Plan, State, execute
from asf_release.steps.branch import BranchStep
from asf_release.version import Version
from tests.conftest import run_cli
from tests.prepare_fixtures import Repo, repo

__all__ = ["repo"]

V2110 = Version(2, 11, 0)


def test_the_branch_is_created_from_unstable_and_pushed(repo: Repo) -> None:
    ctx = repo.context()
    assert BranchStep(V2110).done(ctx).state is State.PENDING
    unstable = repo.git("rev-parse", "unstable")
    outcome = execute(ctx, BranchStep(V2110, push=True))
    assert isinstance(outcome, Outcome) and outcome.changed
    assert repo.git("rev-parse", "2.11") == unstable
    assert repo.remote_branch("2.11") == unstable
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "unstable"  # the checkout is not moved
    assert repo.git("rev-parse", "--abbrev-ref", "2.11@{upstream}") == "origin/2.11"
    check = BranchStep(V2110).done(ctx)
    assert check.state is State.DONE and "here and on origin" in check.detail

    again = execute(ctx, BranchStep(V2110, push=True))
    assert isinstance(again, Outcome) and not again.changed


def test_without_push_the_branch_stays_local_and_status_says_so(repo: Repo) -> None:
    ctx = repo.context()
    execute(ctx, BranchStep(V2110, push=False))
    assert repo.remote_branch("2.11") is None
    check = BranchStep(V2110).done(ctx)
    assert check.state is State.PENDING and "not on origin" in check.detail


def test_from_ref_starts_the_branch_at_an_older_commit(repo: Repo) -> None:
    older = repo.sha("1026")
    execute(repo.context(), BranchStep(V2110, start=older[:10], push=False))
    assert repo.git("rev-parse", "2.11") == older


def test_a_branch_that_moved_on_with_cherry_picks_is_still_the_same_branch(repo: Repo) -> None:
    ctx = repo.context()
    execute(ctx, BranchStep(V2110, push=True))
    repo.period()  # unstable moves on
    repo.git("checkout", "--quiet", "2.11")
    repo.git("cherry-pick", "-x", repo.sha("1030"))
    repo.git("checkout", "--quiet", "unstable")
    plan = BranchStep(V2110, push=True).plan(ctx)
    assert [a.summary for a in plan.actions] == ["fast-forward (1 new commit) 2.11 on origin"]
    execute(ctx, BranchStep(V2110, push=True))
    assert repo.remote_branch("2.11") == repo.git("rev-parse", "2.11")


def test_a_run_stopped_after_creating_the_branch_is_finished_by_the_next(repo: Repo) -> None:
    ctx = repo.context()
    start = repo.git("rev-parse", "unstable")
    # what a run killed between `git branch` and its result leaves: its intent, its note, the branch
    ctx.ledger.append("2.11.0", "branch", EventKind.INTENT, {"actions": ["create", "push"]})
    ctx.ledger.append("2.11.0", "branch", EventKind.NOTE, {"start": start})
    repo.git("branch", "--no-track", "2.11", start)
    repo.period()  # meanwhile unstable moved on
    outcome = execute(ctx, BranchStep(V2110, push=True))
    assert isinstance(outcome, Outcome) and outcome.facts["start"] == start
    assert repo.remote_branch("2.11") == start


def test_a_branch_that_starts_elsewhere_is_refused_and_left_alone(repo: Repo) -> None:
    elsewhere = repo.sha("1025")
    repo.git("branch", "2.11", elsewhere)
    with pytest.raises(Refused, match="already exists, and it starts at") as refused:
        execute(repo.context(), BranchStep(V2110, push=True))
    assert refused.value.hint and f"--from {elsewhere[:10]}" in refused.value.hint
    assert repo.git("rev-parse", "2.11") == elsewhere
    assert repo.remote_branch("2.11") is None
    # taking it as it is works
    execute(repo.context(), BranchStep(V2110, start=elsewhere, push=True))
    assert repo.remote_branch("2.11") == elsewhere


def test_a_patch_release_does_not_create_a_branch(repo: Repo) -> None:
    with pytest.raises(Refused, match=re.escape("patch release: it is made on the existing branch 2.10")):
        execute(repo.context(), BranchStep(Version(2, 10, 2)))


def test_a_released_version_gets_no_branch(repo: Repo) -> None:
    with pytest.raises(Refused, match="not greater than the latest release"):
        execute(repo.context(), BranchStep(Version(2, 10, 0)))


def test_a_start_that_is_not_on_unstable_or_not_a_commit_is_refused(repo: Repo) -> None:
    with pytest.raises(Refused, match="is not on unstable"):
        execute(repo.context(), BranchStep(V2110, start="2.10"))
    with pytest.raises(UsageError, match="is not a commit"):
        execute(repo.context(), BranchStep(V2110, start="no-such-ref"))
    assert repo.git("branch", "--list", "2.11") == ""


def test_a_branch_only_on_the_remote_is_refused(repo: Repo) -> None:
    older = repo.sha("1025")
    repo.git("push", "--quiet", "origin", f"{older}:refs/heads/2.11")  # not fetched: seen by ls-remote
    with pytest.raises(Refused, match=re.escape("origin already has a branch 2.11")):
        execute(repo.context(), BranchStep(V2110, push=True))
    repo.git("fetch", "--quiet", "origin")  # fetched: seen without asking the remote
    with pytest.raises(Refused, match=re.escape("origin already has a branch 2.11")):
        execute(repo.context(), BranchStep(V2110, push=False))
    assert repo.git("branch", "--list", "2.11") == "" and repo.remote_branch("2.11") == older


def test_a_remote_branch_with_other_commits_is_never_overwritten(repo: Repo) -> None:
    ctx = repo.context()
    execute(ctx, BranchStep(V2110, push=False))
    repo.git("checkout", "--quiet", "-b", "someone-else", repo.sha("1025"))
    (repo.path / "other.txt").write_text("pushed by someone else")
    repo.git("add", "other.txt")
    repo.git("commit", "--quiet", "-m", "fix: pushed to 2.11 by someone else")
    theirs = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "--quiet", "unstable")
    repo.git("push", "--quiet", "origin", f"{theirs}:refs/heads/2.11")
    with pytest.raises(Refused, match=re.escape("has commits that the local 2.11")):
        execute(ctx, BranchStep(V2110, push=True))
    assert repo.remote_branch("2.11") == theirs


def test_pushing_without_the_remote_is_refused(repo: Repo) -> None:
    repo.git("remote", "remove", "origin")
    with pytest.raises(Refused, match="no git remote 'origin'"):
        execute(repo.context(), BranchStep(V2110, push=True))
    check = BranchStep(V2110).done(repo.context())
    assert check.state is State.PENDING


def test_dry_run_shows_the_commands_and_changes_nothing(repo: Repo) -> None:
    done = run_cli("-C", str(repo.path), "branch", "2.11.0", "--push", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert (
        "git branch --no-track 2.11" in done.stdout and "git push origin 2.11:refs/heads/2.11" in done.stdout
    )
    assert repo.git("branch", "--list", "2.11") == ""
    ctx = repo.context()
    ctx.dry_run = True
    assert isinstance(execute(ctx, BranchStep(V2110)), Plan)


def test_the_command_refuses_a_patch_with_exit_2_and_reports_json(repo: Repo) -> None:
    refused = run_cli("-C", str(repo.path), "branch", "2.10.2")
    assert refused.returncode == 2 and "patch release" in refused.stderr and "Traceback" not in refused.stderr
    done = run_cli("-C", str(repo.path), "branch", "2.11.0", "--push", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)["facts"]
    assert report["branch"] == "2.11" and report["pushed"] is True
    status = json.loads(run_cli("-C", str(repo.path), "status", "2.11.0", "--json").stdout)
    states = {step["step"]: step["state"] for step in status["steps"]}
    assert states["branch"] == "done"


@pytest.mark.parametrize("command", ["propose", "branch", "cherry-pick"])
def test_each_command_has_help_with_an_example(command: str) -> None:
    helped = run_cli(command, "--help")
    assert helped.returncode == 0
    assert "Example: asf-release " + command in helped.stdout
