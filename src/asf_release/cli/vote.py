"""The vote: vote, tally, result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Protocol

import typer
from rich.markup import escape

from asf_release.cli import output
from asf_release.cli.app import app, context
from asf_release.cli.options import DryRun, Json, Rc, VersionArg
from asf_release.errors import ExternalError, UsageError
from asf_release.steps.base import Outcome, Plan, execute
from asf_release.version import Version

# the mail and tally machinery loads only when a vote command runs: every command starts faster
if TYPE_CHECKING:
    from email.message import EmailMessage

    from asf_release.context import Context
    from asf_release.steps.tally import VoteCount

    class MailStep(Protocol):
        """A step whose work is one message: kept in the outbox as STEM.eml."""

        @property
        def stem(self) -> str: ...

        def preview(self, ctx: Context) -> EmailMessage: ...


Send = Annotated[bool, typer.Option("--send", help="Send it by SMTP (default: only write it to the outbox).")]
Resend = Annotated[
    bool,
    typer.Option(
        "--resend",
        help="Send although an interrupted earlier run may have sent it (check the list archive first).",
    ),
]
Thread = Annotated[
    str | None,
    typer.Option(
        "--thread",
        help="The vote thread: an mbox file, a Maildir, a PonyMail thread URL or saved JSON "
        "(default: vote.thread, else the list archive by the VOTE's Message-ID).",
    ),
]
RosterOption = Annotated[
    str | None,
    typer.Option("--roster", help="The PMC roster: committee-info.json or a TOML roster, file or URL."),
]
VoteMessageId = Annotated[
    str | None,
    typer.Option(
        "--vote-message-id",
        help="The [VOTE] message to count, by its Message-ID (default: the one `vote` sent, else the "
        "release manager's message with the VOTE subject).",
    ),
]


def show_mail_result(ctx: Context, step: MailStep, result: Plan | Outcome, json_mode: bool) -> None:
    """What a command whose step writes a mail prints: the step's result, then the message (the
    one a dry run would write, or the one just written; none when there was nothing to do)."""
    message = None if json_mode else _message(ctx, step, result)
    output.show_result(result, json_mode)
    if message is not None:
        output.console.print()
        output.show_message(message)


def _message(ctx: Context, step: MailStep, result: Plan | Outcome) -> EmailMessage | None:
    if isinstance(result, Plan):
        return step.preview(ctx)
    return _outbox(ctx, step.stem) if result.changed else None


@app.command(rich_help_panel="3. The vote")
def vote(
    version: VersionArg,
    rc: Rc = None,
    send: Send = False,
    resend: Resend = False,
    no_image: Annotated[
        bool,
        typer.Option("--no-image", help="This candidate has no Docker image, on purpose (recorded)."),
    ] = False,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Write the [VOTE] message for a staged release candidate to the outbox, and send it with --send.

    The message carries the RC directory, the KEYS file, the tag and commit, each artifact's
    SHA-512, the signing key's fingerprint, the Docker image when there is one, the options and
    the checklist. Sending records the Message-ID and the time: the vote's start. Run again, it
    never sends a second [VOTE].

    Example: asf-release vote 2.11.0 --rc 1 --send
    """
    from asf_release.steps.candidate import chosen_rc
    from asf_release.steps.vote import VoteStep

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    target = Version.parse(version)
    step = VoteStep(target, chosen_rc(ctx, target, rc), send=send, resend=resend, no_image=no_image)
    show_mail_result(ctx, step, execute(ctx, step), json_mode)


@app.command(rich_help_panel="3. The vote")
def tally(
    version: VersionArg,
    rc: Rc = None,
    thread: Thread = None,
    roster: RosterOption = None,
    vote_message_id: VoteMessageId = None,
    json_mode: Json = False,
) -> None:
    """Count the votes in the vote thread and say whether the vote passed, failed or is still open.

    Reads replies to the [VOTE] (by their threading headers, then by subject) up to the [RESULT];
    only the lines each voter wrote count: not quoted text, not the template's checkboxes, not
    signatures. Binding means on the PMC roster, whatever the message claims; one vote per
    person, the last. Works outside a project with --thread, for voters and observers.
    Exit code 0 when the vote passed, 1 when it is open or failed.

    Example: asf-release tally 2.11.0 --thread ~/Downloads/dev.mbox --json
    """
    from asf_release import votes
    from asf_release.steps.candidate import chosen_rc
    from asf_release.steps.tally import TallyStep, count_votes

    ctx = context(json_mode=json_mode)
    target = Version.parse(version)
    if ctx.root is None and not thread:
        raise UsageError(
            "tally needs the vote thread: outside a project checkout there is no [VOTE] of yours to look up",
            f"give it with --thread: an mbox downloaded from the list archive, a Maildir, or the "
            f"PonyMail thread URL (asf-release tally {target} --thread ~/Downloads/vote.mbox), "
            f"or run it in the project's checkout (--project PATH)",
        )
    try:
        if ctx.root is None:
            counted = count_votes(
                ctx.profile,
                target,
                rc,
                thread=thread or "",
                roster=roster or ctx.profile.vote.roster,
                now=ctx.now(),
                vote_id=vote_message_id,
                progress=ctx.progress,
            )
        else:
            step = TallyStep(
                target,
                chosen_rc(ctx, target, rc),
                thread=thread,
                roster=roster,
                vote_message_id=vote_message_id,
            )
            execute(ctx, step)
            assert step.counted is not None
            counted = step.counted
    except ExternalError as error:
        raise _offline_hint(error, target, thread, roster) from error
    if json_mode:
        output.print_json(counted.facts())
    else:
        show_tally(counted)
    if counted.tally.verdict is not votes.Verdict.PASSED:
        raise typer.Exit(1)


@app.command(rich_help_panel="3. The vote")
def result(
    version: VersionArg,
    rc: Rc = None,
    send: Send = False,
    resend: Resend = False,
    force: Annotated[
        bool, typer.Option("--force", help="Declare the result although the vote has not passed.")
    ] = False,
    reason: Annotated[
        str, typer.Option("--reason", help="Why --force: kept in the ledger and the message.")
    ] = "",
    thread: Thread = None,
    roster: RosterOption = None,
    vote_message_id: VoteMessageId = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Count the thread once more and write the [RESULT][VOTE] message; send it with --send.

    Names the binding and non-binding voters, gives the counts and the thread link. Refuses while
    the vote has not passed or the minimum hours have not elapsed, unless --force --reason "...".

    Example: asf-release result 2.11.0 --rc 1 --send
    """
    from asf_release.steps.candidate import chosen_rc
    from asf_release.steps.result import ResultStep

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    target = Version.parse(version)
    step = ResultStep(
        target,
        chosen_rc(ctx, target, rc),
        send=send,
        resend=resend,
        force=force,
        reason=reason,
        thread=thread,
        roster=roster,
        vote_message_id=vote_message_id,
    )
    show_mail_result(ctx, step, execute(ctx, step), json_mode)


def _offline_hint(
    error: ExternalError, version: Version, thread: str | None, roster: str | None
) -> ExternalError:
    """The thread or the roster could not be fetched: say how to count without the network."""
    ways = []
    if not thread:
        ways.append(
            f"download the thread as an mbox from the list archive and give it: asf-release tally {version} "
            "--thread FILE (a Maildir or a PonyMail thread URL works too)"
        )
    if not roster:
        ways.append("give the PMC roster as a file: --roster committee-info.json (or a TOML roster)")
    hint = "; ".join(filter(None, [error.hint, *ways]))
    return ExternalError(error.message, hint)


def _outbox(ctx: Context, stem: str) -> EmailMessage | None:
    from asf_release.adapters.mail import read_eml

    path = ctx.outbox / f"{stem}.eml"
    return read_eml(path) if path.exists() else None


def show_tally(counted: VoteCount) -> None:
    tally = counted.tally
    root = counted.root
    output.console.print(
        f"[bold]{output.safe(root.subject)}[/]\n"
        f"[dim]sent {tally.start:%Y-%m-%d %H:%M %Z} by {output.safe(root.sender.label())}; "
        f"read from {output.safe(counted.thread)}[/]"
    )
    rows = []
    for voter in tally.voters:
        vote_text = voter.raw if voter.raw == voter.vote else f"{voter.raw} ({voter.vote})"
        if voter.history:
            vote_text = f" {output.glyph('arrow')} ".join((*voter.history, vote_text))
        rows.append(
            (
                output.safe(voter.name),
                output.safe(voter.email),
                output.safe(vote_text),
                "[green]yes[/]" if voter.binding else "no",
                escape("; ".join(voter.notes)),
            )
        )
    output.print_table(("voter", "address", "vote", "binding", "notes"), rows)
    binding, other = tally.counts(True), tally.counts(False)
    output.console.print(
        f"binding: +1 {binding['+1']}, 0 {binding['0']}, -1 {binding['-1']}    "
        f"non-binding: +1 {other['+1']}, 0 {other['0']}, -1 {other['-1']}"
    )
    for skipped in tally.skipped:
        output.console.print(f"[dim]not counted: {output.safe(skipped.sender)}: {escape(skipped.reason)}[/]")
    for note in tally.notes:
        output.console.print(f"[cyan]note:[/] {escape(note)}")
    output.console.print(
        f"rule: {escape(tally.rule.describe())}; open {tally.hours_open:.1f} hours so far"
        if tally.closed_at is None
        else f"rule: {escape(tally.rule.describe())}; closed after {tally.hours_open:.1f} hours"
    )
    output.console.print(f"verdict: {output.styled(tally.verdict.value)}")
    for missing in tally.missing:
        output.console.print(f"  [yellow]{output.glyph('bullet')}[/] {escape(missing)}")
    for warning in tally.warnings:
        output.console.print(f"[yellow]warning:[/] {escape(warning)}")
