"""branch: create the release branch X.Y of a feature release from unstable, and push it.

Idempotent: a branch that already starts at the same commit is left alone (the cherry-pick period
moves it forward, which is fine); one that starts elsewhere is refused, never moved or deleted.
`--push` publishes it to the profile's remote, and later fast-forwards the remote to the local
branch (after cherry-picks); it never forces.
"""

from __future__ import annotations

from dataclasses import dataclass

from asf_release.context import Context
from asf_release.errors import Refused, UsageError
from asf_release.ledger import EventKind
from asf_release.steps import history
from asf_release.steps.base import Action, Check, Outcome, Plan, State, Step
from asf_release.version import ReleaseKind, Version
from asf_release.wording import count


@dataclass(frozen=True)
class Survey:
    """What the world says about the branch before acting."""

    branch: str
    start: str  # the commit the branch starts (or must start) at
    start_label: str  # how the start was chosen, for messages
    local: str | None  # the local branch's commit
    remote: str
    remote_head: str | None  # the remote's commit for the branch (None: not there, or not asked)
    needs_push: bool  # the remote lacks the branch, or is behind the local one
    new_commits: int  # commits a fast-forward adds to the remote's branch


class BranchStep(Step):
    name = "branch"
    title = "Create the release branch"

    def __init__(
        self, version: Version, rc: int | None = None, *, start: str | None = None, push: bool = True
    ) -> None:
        super().__init__(version, rc)
        self.start = start
        self.push = push

    def command(self) -> str:
        return f"asf-release branch {self.version} --push"

    # --- survey -------------------------------------------------------------------------------
    def survey(self, ctx: Context) -> Survey:
        if self.version.kind is ReleaseKind.PATCH:
            branch = ctx.names.release_branch(self.version)
            raise Refused(
                f"{self.version} is a patch release: it is made on the existing branch {branch}",
                "only a feature release (X.Y.0) creates a branch",
            )
        # the branch of a release this checkout made, looked at again once it is released, is done:
        # not judged as a version that could come next
        made_here = ctx.ledger.history(self.release).step(self.name).result is not None
        released = made_here and ctx.git.tag_commit(ctx.names.final_tag(self.version)) is not None
        line = history.resolve(ctx, self.version, validate=not released)
        git = ctx.git
        start, label = self._start(ctx, line)
        remote = ctx.profile.git.remote
        if line.branch_head is not None:
            fork = git.merge_base(line.branch_head, line.unstable_head)
            if fork != start:
                raise Refused(
                    f"branch {line.branch} already exists, and it starts at "
                    f"{(fork or line.branch_head)[:10]}, not at {start[:10]} ({label})",
                    f"if it is the branch you want, run again with --from {(fork or line.branch_head)[:10]}; "
                    f"asf-release never moves or deletes a branch (git branch -D {line.branch} does)",
                )
        elif git.rev(f"refs/remotes/{remote}/{line.branch}"):
            raise _only_on_remote(remote, line.branch)
        remote_head = None
        needs_push, new_commits = False, 0
        if self.push:
            remote_head = _remote_head(ctx, remote, line.branch)
            if remote_head and line.branch_head is None:
                raise _only_on_remote(remote, line.branch)
            local = line.branch_head or start
            if remote_head and remote_head != local:
                if not git.is_ancestor(remote_head, local):
                    raise Refused(
                        f"{remote}'s {line.branch} ({remote_head[:10]}) has commits that the local "
                        f"{line.branch} ({local[:10]}) lacks",
                        f"look at both (git fetch {remote}; git log {line.branch}...{remote}/{line.branch}); "
                        "asf-release never forces a push",
                    )
                new_commits = int(git.out("rev-list", "--count", f"{remote_head}..{local}"))
            needs_push = remote_head != local
        return Survey(
            line.branch, start, label, line.branch_head, remote, remote_head, needs_push, new_commits
        )

    def _start(self, ctx: Context, line: history.Line) -> tuple[str, str]:
        git = ctx.git
        if self.start:
            found = git.rev(self.start)
            if found is None:
                raise UsageError(
                    f"'{self.start}' is not a commit of this checkout", "give a commit, tag or branch"
                )
            if not git.is_ancestor(found, line.unstable_head):
                raise Refused(
                    f"'{self.start}' ({found[:10]}) is not on {line.unstable}",
                    f"a release branch starts from {line.unstable}; give one of its commits",
                )
            return found, f"--from {self.start}"
        recorded = next(
            (
                e.data["start"]
                for e in reversed(ctx.ledger.events(self.release, self.name))
                if "start" in e.data
            ),
            None,
        )
        if recorded and git.rev(str(recorded)):
            return str(recorded), "where asf-release created it"
        return line.unstable_head, f"the tip of {line.unstable}"

    # --- plan / run ---------------------------------------------------------------------------
    def plan(self, ctx: Context) -> Plan:
        found = self.survey(ctx)
        actions = []
        if found.local is None:
            actions.append(
                Action(
                    f"create branch {found.branch} at {found.start[:10]} ({found.start_label})",
                    ("git", "branch", "--no-track", found.branch, found.start),
                )
            )
        if found.needs_push:
            what = (
                "publish"
                if found.remote_head is None
                else f"fast-forward ({count(found.new_commits, 'new commit')}) "
            )
            actions.append(
                Action(
                    f"{what.strip()} {found.branch} on {found.remote}",
                    ("git", "push", found.remote, f"{found.branch}:refs/heads/{found.branch}"),
                )
            )
        notes = []
        if not self.push and found.local is None:
            notes.append(f"add --push to publish it on {found.remote}")
        return Plan(self.name, actions, notes)

    def run(self, ctx: Context) -> Outcome:
        found = self.survey(ctx)
        git = ctx.git
        details = []
        if found.local is None:
            # remembered first: a run stopped before its result still knows where the branch starts
            self.record(ctx, EventKind.NOTE, {"start": found.start})
            git.create_branch(found.branch, found.start)
            details.append(f"created {found.branch} at {found.start[:10]} ({found.start_label})")
        pushed = False
        if found.needs_push:
            git.push(found.remote, [f"{found.branch}:refs/heads/{found.branch}"])
            if git.rev(f"refs/remotes/{found.remote}/{found.branch}"):
                git.set_upstream(found.branch, found.remote)
            pushed = True
            details.append(f"pushed {found.branch} to {found.remote}")
        head = git.branch_commit(found.branch)
        summary = "; ".join(details) or f"{found.branch} already exists at {found.start[:10]}"
        facts = {
            "branch": found.branch,
            "start": found.start,
            "head": head,
            "pushed": pushed,
            "remote": found.remote,
        }
        return Outcome(self.name, summary, facts, changed=bool(details), details=[])

    # --- done ---------------------------------------------------------------------------------
    def done(self, ctx: Context) -> Check:
        git = ctx.git
        branch = ctx.names.release_branch(self.version)
        local = git.branch_commit(branch)
        if local is None:
            return Check(State.PENDING, f"no branch {branch} yet")
        remote = ctx.profile.git.remote
        if git.remote_url(remote) is None:
            return Check(State.PENDING, f"{branch} exists here; there is no remote '{remote}' to push it to")
        remote_head = _remote_head(ctx, remote, branch)
        if remote_head is None:
            return Check(State.PENDING, f"{branch} exists here at {local[:10]}, not on {remote}: push it")
        if remote_head == local:
            return Check(State.DONE, f"{branch} at {local[:10]}, here and on {remote}")
        if git.is_ancestor(remote_head, local):
            count = git.out("rev-list", "--count", f"{remote_head}..{local}")
            return Check(State.DONE, f"{branch} on {remote}; {count} local commit(s) not pushed yet (--push)")
        return Check(
            State.DONE, f"{branch} on {remote} at {remote_head[:10]}, here at {local[:10]}: they differ"
        )


def _only_on_remote(remote: str, branch: str) -> Refused:
    return Refused(
        f"{remote} already has a branch {branch}, and this checkout does not",
        f"take it (git fetch {remote}; git branch {branch} {remote}/{branch}), then run again",
    )


def _remote_head(ctx: Context, remote: str, branch: str) -> str | None:
    if ctx.git.remote_url(remote) is None:
        raise Refused(
            f"there is no git remote '{remote}' in this checkout",
            f"add it (git remote add {remote} URL), or name yours in git.remote",
        )
    refs = ctx.git.remote_refs(remote, f"refs/heads/{branch}")
    return refs.get(f"refs/heads/{branch}")
