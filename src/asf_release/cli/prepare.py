"""Before the RC: propose, branch, cherry-pick."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from asf_release.cli import output
from asf_release.cli.app import app, context
from asf_release.cli.options import DryRun, Json, VersionArg
from asf_release.context import Context
from asf_release.errors import UsageError
from asf_release.steps import worklist as worklist_module
from asf_release.steps.base import Outcome, Plan, execute
from asf_release.steps.worklist import PickState, Worklist
from asf_release.version import ReleaseKind, Version

Reason = Annotated[
    str | None, typer.Option("--reason", metavar="TEXT", help="Why: kept with the decision in the ledger.")
]


def _result_json(result: Plan | Outcome) -> dict[str, object]:
    return output.plan_json(result) if isinstance(result, Plan) else output.outcome_json(result)


@app.command(rich_help_panel="1. Before the release candidate")
def propose(
    version: VersionArg,
    deadline: Annotated[
        str | None,
        typer.Option(
            "--deadline",
            metavar="DATE",
            help="End of the cherry-pick period, YYYY-MM-DD (default: proposal.cherry_pick_days from today).",
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="markdown|email",
            help="Markdown for a GitHub Discussion (default), or an email.",
        ),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Send the email to the dev list through [smtp] (implies email).")
    ] = False,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend", help="Send it even though an earlier, interrupted send may have gone through."
        ),
    ] = False,
    posted: Annotated[
        str | None,
        typer.Option(
            "--posted",
            metavar="URL",
            help="Record that you posted the Markdown proposal yourself, at this URL (the GitHub Discussion).",
        ),
    ] = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Propose a release: kind, previous release, the commits it adds with their marks, the deadline.

    Feature release X.Y.0: unstable since the previous line's branch point. Patch release X.Y.Z:
    the commits after the previous release, on X.Y or still only on unstable (by patch id).
    The proposal is written to the outbox (.md or .eml); --send mails it to the dev list. A
    Markdown proposal is posted by hand: then record where with --posted URL.

    Example: asf-release propose 2.11.0 --format email --send
    """
    ctx = context(dry_run=dry_run, json_mode=json_mode)
    if posted is not None:
        _record_posted(
            ctx, Version.parse(version), posted, conflicting=send or resend or bool(fmt or deadline)
        )
        return
    when = worklist_module.parse_day(deadline) if deadline else None
    from asf_release.steps.propose import ProposeStep  # loads the templates: only when proposing

    step = ProposeStep(Version.parse(version), deadline=when, fmt=fmt, send=send, resend=resend)
    result = execute(ctx, step)
    if json_mode:
        assert step.proposal is not None
        output.print_json({"proposal": step.proposal.to_json(), "text": step.text, **_result_json(result)})
        return
    if step.fmt == "markdown" or dry_run:
        output.console.print(step.text, markup=False, highlight=False)
    output.show_result(result, json_mode=False)


def _record_posted(ctx: Context, version: Version, url: str, *, conflicting: bool) -> None:
    from asf_release.steps.propose import record_posted

    if conflicting:
        raise UsageError("--posted only records where you posted the proposal", "give it alone: --posted URL")
    if ctx.dry_run:
        output.console.print(f"would record that the proposal of {version} is posted at {output.safe(url)}")
        return
    record_posted(ctx, version, url)
    output.console.print(f"recorded: the proposal of {version} is posted at {output.safe(url)}")


@app.command(rich_help_panel="1. Before the release candidate")
def branch(
    version: VersionArg,
    start: Annotated[
        str | None,
        typer.Option(
            "--from", metavar="REF", help="Start the branch here (a commit on unstable; default: its tip)."
        ),
    ] = None,
    push: Annotated[
        bool, typer.Option("--push", help="Publish the branch on the profile's remote (fast-forward only).")
    ] = False,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Create the release branch X.Y of a feature release from unstable, and push it.

    Does nothing when the branch already starts at that commit; refuses when it starts elsewhere,
    and for a patch release (which uses the existing branch). Run with --push again after
    cherry-picks to publish them.

    Example: asf-release branch 2.11.0 --push
    """
    ctx = context(dry_run=dry_run, json_mode=json_mode)
    from asf_release.steps.branch import BranchStep

    result = execute(ctx, BranchStep(Version.parse(version), start=start, push=push))
    if json_mode:
        output.print_json(_result_json(result))
        return
    output.show_result(result, json_mode=False)


@app.command("cherry-pick", rich_help_panel="1. Before the release candidate")
def cherry_pick(
    version: VersionArg,
    show_list: Annotated[
        bool, typer.Option("--list", help="Show the worklist (the default when nothing else is asked).")
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="Cherry-pick the accepted commits into the release branch (-x).")
    ] = False,
    approve: Annotated[
        str | None, typer.Option("--approve", metavar="SHA", help="Accept a commit (needs --reason).")
    ] = None,
    reject: Annotated[
        str | None, typer.Option("--reject", metavar="SHA", help="Leave a commit out (needs --reason).")
    ] = None,
    reason: Reason = None,
    deadline: Annotated[
        str | None,
        typer.Option(
            "--deadline", metavar="DATE", help="Move the end of the period, YYYY-MM-DD (needs --reason)."
        ),
    ] = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """The cherry-pick period: which commits of unstable go into the release branch.

    The worklist holds the commits on unstable since the branch left it that the branch does not
    carry (by patch id). Fixes are accepted without asking; anything else waits for --approve or
    --reject with a --reason. --apply picks the accepted ones in unstable's order and stops
    cleanly at a conflict.

    Example: asf-release cherry-pick 2.11.0 --approve 1a2b3c4d --reason "needed by the new client flag"
    """
    asked = [
        name
        for name, value in (("--approve", approve), ("--reject", reject), ("--deadline", deadline))
        if value
    ]
    if len(asked) > 1:
        raise UsageError(f"{' and '.join(asked)} cannot be given together", "give one decision per command")
    if reason is not None and not asked:
        raise UsageError("--reason goes with --approve, --reject or --deadline")
    target = Version.parse(version)
    ctx = context(dry_run=dry_run, json_mode=json_mode)
    decided: list[str] = []
    if asked and dry_run:
        decided.append(f"would record {asked[0]} {approve or reject or deadline} (dry run: nothing recorded)")
    elif approve or reject:
        item = worklist_module.decide(
            ctx, target, approve or reject or "", approve=bool(approve), reason=reason or ""
        )
        decided.append(f"{item.sha[:10]} {item.commit.subject}: {item.state.value}")
    elif deadline:
        when = worklist_module.set_deadline(ctx, target, worklist_module.parse_day(deadline), reason or "")
        decided.append(f"the cherry-pick period now ends on {when.isoformat()}")
    result: Plan | Outcome | None = None
    if apply:
        from asf_release.steps.cherry_pick import CherryPickStep

        result = execute(ctx, CherryPickStep(target))
    worklist = worklist_module.build(ctx, target)
    if not dry_run:
        worklist_module.record_auto(ctx, worklist)
    if json_mode:
        document: dict[str, object] = {"decisions": decided, **worklist.to_json()}
        if result is not None:
            document["apply"] = _result_json(result)
        output.print_json(document)
        return
    for line in decided:
        output.console.print(f"[green]✓[/] {escape(line)}")
    if result is not None:
        output.show_result(result, json_mode=False)
    if show_list or not (asked or apply):
        _show_worklist(worklist)


_STATE_STYLE = {
    PickState.PICKED: "dim",
    PickState.AUTO: "green",
    PickState.APPROVED: "green",
    PickState.WAITING: "yellow",
    PickState.REJECTED: "red",
    PickState.NO_FEATURES: "dim",
    PickState.TOO_LATE: "red",
}


def _show_worklist(worklist: Worklist) -> None:
    title = f"{worklist.version}: commits on {worklist.unstable} since {worklist.branch} left it ({worklist.fork[:10]})"
    output.console.print(f"[bold]{escape(title)}[/]")
    if worklist.version.kind is ReleaseKind.PATCH:
        output.console.print("a patch release: no cherry-pick period, fixes only")
    elif worklist.deadline is None:
        output.console.print("no cherry-pick deadline recorded (asf-release propose sets it)")
    elif worklist.period_over:
        output.console.print(
            f"[red]the period ended on {worklist.deadline.isoformat()}: only fixes may still go in[/]"
        )
    else:
        left = (worklist.deadline - worklist.today).days
        output.console.print(f"open until {worklist.deadline.isoformat()} ({left} day(s) left, UTC)")
    width = max((len(state.value) for state in PickState), default=0)
    for item in worklist.items:
        style = _STATE_STYLE[item.state]
        state = f"[{style}]{escape(item.state.value.ljust(width))}[/]"
        output.console.print(f"  {item.sha[:10]}  {state}  {escape(item.commit.subject)}")
        notes = [item.reason] if item.reason else []
        if item.conflicts and item.state.accepted:
            notes.insert(0, f"conflicted on the last --apply: {', '.join(item.conflicts)}")
        for note in notes:
            output.console.print(f"  {'':10}  {'':{width}}  [dim]{escape(note)}[/]")
    waiting = len(worklist.waiting)
    output.console.print(
        f"{worklist.count(PickState.PICKED)} on the branch, {len(worklist.to_apply)} accepted to apply"
        f"{' (--apply)' if worklist.to_apply else ''}, {waiting} waiting for a decision"
        f"{' (--approve/--reject SHA --reason TEXT)' if waiting else ''}"
    )
