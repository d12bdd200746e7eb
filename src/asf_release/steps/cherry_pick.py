"""cherry-pick --apply: pick the accepted commits of the worklist into the release branch.

In unstable's order, with `git cherry-pick -x` (so the branch names each original). On a conflict
the pick is aborted: the branch is exactly as it was before that commit, and the error names the
commit and the files. The checkout must be clean; the release branch is checked out if it is not.

A feature release picks during its cherry-pick period; a patch release picks the fixes of unstable
its branch lacks, and the step is done once none waits.
"""

from __future__ import annotations

from asf_release.context import Context
from asf_release.errors import ExternalError, Failed, Refused
from asf_release.ledger import EventKind, StepState
from asf_release.steps import worklist as worklist_module
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.steps.worklist import Item, PickState, Worklist
from asf_release.version import ReleaseKind


class CherryPickConflict(Failed):
    """A commit does not apply to the release branch; the branch was left as before it."""

    def __init__(self, version: str, branch: str, item: Item, files: list[str], picked: int) -> None:
        before = f"{picked} commit{'s' if picked != 1 else ''} picked before it; " if picked else ""
        super().__init__(
            f"{item.sha[:10]} '{item.commit.subject}' does not apply to {branch}: "
            f"conflicts in {', '.join(files)}. {before}{branch} is as it was before this commit",
            "pick what it depends on first (--approve), or pick it by hand and resolve "
            f"(git cherry-pick -x {item.sha[:10]}), or leave it out: asf-release cherry-pick {version} "
            f"--reject {item.sha[:10]} --reason TEXT; then run --apply again",
        )
        self.item = item
        self.files = files


class CherryPickStep(Step):
    name = worklist_module.STEP
    title = "Cherry-pick period"
    _undo: str | None = None  # a half-done pick that plan() found safe to undo

    def command(self) -> str:
        if self.version.kind is ReleaseKind.PATCH:  # no period: picking what waits is the step
            return f"asf-release cherry-pick {self.version} --apply"
        return f"asf-release cherry-pick {self.version}"

    # --- plan ---------------------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        worklist = worklist_module.build(ctx, self.version)
        actions = []
        interrupted = self._undo = self._check_checkout(ctx, worklist)
        if interrupted:
            actions.append(
                Action(
                    f"undo the cherry-pick of {interrupted[:10]} that an interrupted run left half-done",
                    ("git", "cherry-pick", "--abort"),
                )
            )
        current = ctx.git.current_branch()
        if current != worklist.branch:
            actions.append(
                Action(
                    f"check out {worklist.branch} (the checkout is on {current or 'a detached HEAD'})",
                    ("git", "checkout", worklist.branch),
                )
            )
        for item in worklist.to_apply:
            actions.append(
                Action(
                    f"cherry-pick {item.sha[:10]} {item.commit.subject}",
                    ("git", "cherry-pick", "-x", item.sha),
                )
            )
        return Plan(self.name, actions, _notes(worklist))

    def _check_checkout(self, ctx: Context, worklist: Worklist) -> str | None:
        """Refuse a checkout that is not safe to pick in; return the sha of a pick to undo, if any.

        A cherry-pick left half-done by an interrupted --apply (the ledger holds an intent with no
        result) of a commit this run picks anyway is undone; anything else is the person's work.
        """
        git = ctx.git
        operation = git.operation_in_progress()
        if operation == "cherry-pick":
            head = git.rev("CHERRY_PICK_HEAD")
            ours = {i.sha for i in worklist.to_apply}
            record = ctx.ledger.history(self.release).step(self.name)
            if (
                head in ours
                and record.state is StepState.INTENDED
                and git.current_branch() == worklist.branch
            ):
                return head
        if operation:
            raise Refused(
                f"a {operation} is in progress in this checkout",
                f"finish it (git {operation} --continue) or undo it (git {operation} --abort), then run again",
            )
        changed = git.changed_files()
        if changed:
            shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
            raise Refused(
                f"the checkout has uncommitted changes ({shown})",
                "commit or stash them (git stash), then run again: picks need a clean tree",
            )
        return None

    # --- run ----------------------------------------------------------------------------------
    def run(self, ctx: Context) -> Outcome:
        git = ctx.git
        worklist = worklist_module.build(ctx, self.version)
        worklist_module.record_auto(ctx, worklist)
        if self._undo and git.rev("CHERRY_PICK_HEAD") == self._undo:
            git.run("cherry-pick", "--abort")
        self._undo = None
        self._check_checkout(ctx, worklist)
        details = []
        if git.current_branch() != worklist.branch:
            git.checkout(worklist.branch)
            details.append(f"checked out {worklist.branch}")
        picked: list[str] = []
        for item in worklist.to_apply:
            before = git.head()
            result = git.cherry_pick(item.sha)
            if result.new_sha:
                self.record(ctx, EventKind.NOTE, {"picked": item.sha, "as": result.new_sha})
                picked.append(item.sha)
                details.append(f"picked {item.sha[:10]} as {result.new_sha[:10]}: {item.commit.subject}")
                continue
            if git.head() != before or git.changed_files():
                raise ExternalError(
                    f"git cherry-pick --abort did not restore {worklist.branch} after {item.sha[:10]}",
                    f"look at the checkout (git status); the branch was at {before[:10]} before",
                )
            if result.empty:
                # the branch has the change in another form: nothing to pick, now or later
                self.record(ctx, EventKind.NOTE, {"empty": item.sha})
                details.append(f"skipped {item.sha[:10]}: its change is already on {worklist.branch}")
                continue
            if result.conflicts:
                self.record(ctx, EventKind.NOTE, {"conflict": item.sha, "files": result.conflicts})
                raise CherryPickConflict(self.release, worklist.branch, item, result.conflicts, len(picked))
            raise ExternalError(
                f"git cherry-pick -x {item.sha[:10]} failed: {result.message}",
                f"{worklist.branch} is as it was before this commit; look at the message above",
            )
        summary = (
            f"picked {len(picked)} commit{'s' if len(picked) != 1 else ''} into {worklist.branch}"
            if picked
            else f"nothing to pick: {worklist.branch} carries every accepted commit"
        )
        facts = {"branch": worklist.branch, "head": git.head(), "picked": picked}
        return Outcome(self.name, summary, facts, changed=bool(picked or details), details=details)

    # --- done ---------------------------------------------------------------------------------
    def done(self, ctx: Context) -> Check:
        try:
            worklist = worklist_module.build(ctx, self.version)
        except Refused:
            line_branch = ctx.names.release_branch(self.version)
            return Check(State.BLOCKED, f"waits for the release branch {line_branch}")
        to_apply = len(worklist.to_apply)
        picked = worklist.count(PickState.PICKED)
        cut = ctx.names.rc_numbers(self.version, ctx.git.tags())
        if cut:
            # cutting a release candidate ends the period: what still waits is not in this release
            left = f", {len(worklist.waiting)} left waiting" if worklist.waiting else ""
            return Check(
                State.DONE, f"closed by {ctx.names.rc_tag(self.version, cut[0])}: {picked} picked{left}"
            )
        if self.version.kind is ReleaseKind.PATCH:
            return _patch_check(worklist)
        if worklist.period_over and not to_apply and not worklist.to_check:
            assert worklist.deadline is not None
            return Check(
                State.DONE,
                f"ended {worklist.deadline.isoformat()}: {picked} picked, "
                f"{worklist.count(PickState.REJECTED)} rejected, {worklist.count(PickState.TOO_LATE)} too late",
            )
        parts = [f"{picked} picked"]
        if to_apply:
            parts.append(f"{to_apply} accepted to apply (--apply)")
        if worklist.to_check:
            parts.append(f"{len(worklist.to_check)} to check by hand (--approve or --reject)")
        if worklist.waiting:
            parts.append(f"{len(worklist.waiting)} waiting for a decision")
        if worklist.deadline is None:
            when = "no deadline recorded"
        elif worklist.period_over:
            when = f"ended {worklist.deadline.isoformat()}"
        else:
            when = f"open until {worklist.deadline.isoformat()}"
        return Check(State.PENDING, f"{when}: {', '.join(parts)}")


def _patch_check(worklist: Worklist) -> Check:
    """A patch release's picks: pending while accepted fixes wait or a commit needs checking."""
    picked = worklist.count(PickState.PICKED)
    to_apply = worklist.to_apply
    parts = [f"{picked} on {worklist.branch}"]
    if to_apply:
        parts.append(f"{len(to_apply)} accepted on {worklist.unstable} to pick (--apply)")
    if worklist.to_check:
        parts.append(f"{len(worklist.to_check)} to check by hand (--approve or --reject)")
    if worklist.waiting:
        parts.append(f"{len(worklist.waiting)} other change(s) left out unless approved")
    if to_apply or worklist.to_check:
        return Check(State.PENDING, ", ".join(parts))
    return Check(State.DONE, f"nothing left to pick: {', '.join(parts)}")


def _notes(worklist: Worklist) -> list[str]:
    notes = []
    if worklist.to_check:
        notes.append(
            f"{len(worklist.to_check)} commit(s) share a subject with a commit of {worklist.branch} but not "
            "its change: look, then --approve SHA or --reject SHA, with --reason"
        )
    if worklist.waiting:
        notes.append(
            f"{len(worklist.waiting)} commit(s) wait for a decision: --approve SHA or --reject SHA, with --reason"
        )
    if worklist.period_over:
        assert worklist.deadline is not None
        notes.append(f"the period ended on {worklist.deadline.isoformat()}: only fixes may still go in")
    return notes
