"""The demo's first stages, before any RC: propose, branch, the cherry-pick period.

Each stage calls the library as its command does and says what it did; run again, each finds its
work done (the proposal sent, the branch pushed, the decisions recorded, the picks applied).
"""

from __future__ import annotations

from asf_release.demo.core import DemoRun, Stage, said
from asf_release.sandbox import sample_project
from asf_release.steps import worklist
from asf_release.steps.base import Outcome, execute
from asf_release.steps.branch import BranchStep
from asf_release.steps.cherry_pick import CherryPickConflict, CherryPickStep
from asf_release.steps.conventional import Group
from asf_release.steps.propose import ProposeStep
from asf_release.steps.worklist import Item, PickState
from asf_release.wording import count

DOCS_REASON = "a README typo fix: harmless, and 2.11 users read that README"
CONFLICT_REASON = "it fixes #1032 (CLIENT NO-TOUCH), which is not in 2.11; it goes out with 2.12"


def stages(version: str) -> list[Stage]:
    return [
        ("Propose the release", f"asf-release propose {version} --format email --send", _propose),
        ("Create the release branch", f"asf-release branch {version} --push", _branch),
        ("The community merges fixes, a feature and docs", "(commits #1030-#1034 on unstable)", _community),
        (
            "The cherry-pick worklist",
            f'asf-release cherry-pick {version} --approve <#1034> --reason "..."',
            _worklist,
        ),
        ("Apply the accepted commits", f"asf-release cherry-pick {version} --apply", _apply),
        (
            "Decide on the conflict",
            f'asf-release cherry-pick {version} --reject <#1033> --reason "..."',
            _resolve,
        ),
        ("Apply again", f"asf-release cherry-pick {version} --apply", _apply),
        ("Publish the picks", f"asf-release branch {version} --push", _branch),
    ]


def _propose(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        draft = ProposeStep(run.version, fmt="email")
        written = execute(ctx, draft)
        lines = said(written)
        assert isinstance(written, Outcome)
        if not written.changed:  # the proposal went out on an earlier run; today's would differ
            sent = execute(ctx, ProposeStep(run.version, send=True))
            return lines if not isinstance(sent, Outcome) or not sent.changed else [*lines, *said(sent)]
        proposal = draft.proposal
        assert proposal is not None
        line = proposal.line
        lines.append(
            f"{line.version} is a {line.kind.value} release after {line.previous}: {count(len(proposal.new), 'new commit')}, "
            f"cherry-pick deadline {proposal.deadline}"
        )
        for group in Group:
            members = [e for e in proposal.new if e.kind.group is group]
            if members:
                lines.append(f"  {group.heading}: {', '.join(_number(e.commit.subject) for e in members)}")
        for release, shipped in proposal.released().items():
            lines.append(
                f"  Already released in {release}: " + ", ".join(_number(e.commit.subject) for e in shipped)
            )
            lines += [f"    {_number(e.commit.subject)} {e.note}" for e in shipped]
        lines += said(execute(ctx, ProposeStep(run.version, send=True)))
        lines.append(f"the sandbox's mail server holds {len(run.sandbox.mail.messages())} message(s)")
        return lines
    finally:
        ctx.close()


def _branch(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        outcome = execute(ctx, BranchStep(run.version, push=True))
        lines = said(outcome)
        if isinstance(outcome, Outcome) and outcome.changed:  # unchanged, the outcome said it already
            lines.append(BranchStep(run.version).done(ctx).detail)
        return lines
    finally:
        ctx.close()


def _community(run: DemoRun) -> list[str]:
    project = run.sandbox.project
    assert project is not None
    before = project.git("rev-parse", project.profile.git.unstable_branch)
    made = sample_project.add_period_commits(project)
    after = project.git("rev-parse", project.profile.git.unstable_branch)
    lines = ["merged and pushed to unstable:" if before != after else "(already on unstable)"]
    for number, sha in made.items():
        lines.append(f"  #{number} {sha[:10]} {project.git('log', '-1', '--format=%s', sha)}")
    return lines


def _worklist(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        current = worklist.build(ctx, run.version)
        worklist.record_auto(ctx, current)
        docs = _find(current.items, "1034")
        if docs.state is PickState.WAITING:
            docs = worklist.decide(ctx, run.version, docs.sha, approve=True, reason=DOCS_REASON)
        current = worklist.build(ctx, run.version)
        return [_item_line(item) for item in current.items]
    finally:
        ctx.close()


def _apply(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        try:
            lines = said(execute(ctx, CherryPickStep(run.version)))
        except CherryPickConflict as conflict:
            lines = [f"stopped: {conflict.message}", f"hint: {conflict.hint}"]
        branch = ctx.names.release_branch(run.version)
        lines.append(
            f"{branch} is checked out at {ctx.git.head()[:10]}; clean: {not ctx.git.changed_files()}"
        )
        return lines
    finally:
        ctx.close()


def _resolve(run: DemoRun) -> list[str]:
    ctx = run.context()
    try:
        fix = _find(worklist.build(ctx, run.version).items, "1033")
        if fix.state is not PickState.PICKED:
            fix = worklist.decide(ctx, run.version, fix.sha, approve=False, reason=CONFLICT_REASON)
        return [_item_line(fix)]
    finally:
        ctx.close()


def _find(items: list[Item], number: str) -> Item:
    return next(item for item in items if f"(#{number})" in item.commit.subject)


def _number(subject: str) -> str:
    return subject.rsplit("(", 1)[-1].rstrip(")") if "(#" in subject else subject


def _item_line(item: Item) -> str:
    reason = f" -- {item.reason}" if item.reason else ""
    return f"{item.sha[:10]} {item.state.value:>14}  {item.commit.subject}{reason}"
