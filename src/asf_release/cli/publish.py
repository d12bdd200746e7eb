"""After the vote: publish, promote, website, announce."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from asf_release.cli import output
from asf_release.cli.app import app, context
from asf_release.cli.options import Builder, DryRun, Json, Rc, VersionArg
from asf_release.steps.base import Plan, execute
from asf_release.version import Version

if TYPE_CHECKING:
    from email.message import EmailMessage

PANEL = "4. After the vote"


@app.command(rich_help_panel=PANEL)
def publish(version: VersionArg, rc: Rc = None, dry_run: DryRun = False, json_mode: Json = False) -> None:
    """Move the voted candidate from dist/dev to dist/release in one svn commit, then tag and push vX.Y.Z.

    Refuses unless the vote passed and dist/dev holds exactly the files voted on (SHA-512 against
    what package recorded). The same commit removes the releases of the same line this one
    supersedes (--dry-run lists them). The final tag goes on the voted candidate's commit and is
    never moved. Run again, it finishes what is missing and does nothing twice.

    Example: asf-release publish 2.11.0 --dry-run
    """
    from asf_release.steps.candidate import current_rc
    from asf_release.steps.publish import PublishStep

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    ctx.require_project()
    target = Version.parse(version)
    step = PublishStep(target, rc if rc is not None else current_rc(ctx, target))
    output.show_result(execute(ctx, step), json_mode)


@app.command(rich_help_panel=PANEL)
def promote(
    version: VersionArg,
    rc: Rc = None,
    builder: Builder = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Copy the voted image index, by digest and with every platform, to docker.repository.

    Only after the vote passed. Tags: the profile's (latest only when VERSION is the highest
    release). Uses docker buildx imagetools with a daemon, else skopeo copy --all
    --preserve-digests; checks that every tag then names the voted digest. Run again: it finishes
    what a stopped run left, and does nothing when all is done.

    Example: asf-release promote 2.11.0
    """
    from asf_release.steps.images import usage_builder
    from asf_release.steps.promote import PromoteStep

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    ctx.require_project()
    output.show_result(
        execute(ctx, PromoteStep(Version.parse(version), rc, builder=usage_builder(builder))), json_mode
    )


@app.command(rich_help_panel=PANEL)
def website(
    version: VersionArg,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            help="The website repository, a path or URL (default: the profile's website.repository_url).",
        ),
    ] = None,
    push: Annotated[bool, typer.Option("--push", help="Push the branch (never forced).")] = False,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Add the version to the website's releases data file: one commit on a new branch, for a pull request.

    Works in asf-release's own clone of the website repository, so no checkout of yours is
    touched. The entry is written in the file's own style (the profile's website.releases_entry),
    newest first. Prints where to open the pull request. Run again, it does nothing.

    Example: asf-release website 2.11.0 --push
    """
    from asf_release.steps.website import WebsiteStep

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    ctx.require_project()
    output.show_result(execute(ctx, WebsiteStep(Version.parse(version), repo=repo, push=push)), json_mode)


@app.command(rich_help_panel=PANEL)
def announce(
    version: VersionArg,
    rc: Rc = None,
    send: Annotated[bool, typer.Option("--send", help="Send it (default: write it to the outbox).")] = False,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend", help="Send although an interrupted run may have sent it (check the archive)."
        ),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, metavar="MINUTES", help="Wait up to MINUTES for the download servers to have it."
        ),
    ] = 0,
    notable: Annotated[
        Path | None,
        typer.Option(
            "--notable", dir_okay=False, help="The notable changes, one per line (default: from the history)."
        ),
    ] = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Write the [ANNOUNCE] message once the release is on the download servers; send it with --send.

    Refuses until the release is published and its artifact, signature and checksums answer
    under dist.downloads_url. The message is linted first (plain text, the sender's domain, the
    recipients, no dist.apache.org link, every link answers). Sent once; an [ANNOUNCE] already on
    the list is adopted.

    Example: asf-release announce 2.11.0 --send --wait 60
    """
    from asf_release.adapters.mail import read_eml
    from asf_release.steps.announce import AnnounceStep
    from asf_release.steps.candidate import current_rc

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    ctx.require_project()
    target = Version.parse(version)
    step = AnnounceStep(
        target,
        rc if rc is not None else current_rc(ctx, target),
        send=send,
        resend=resend,
        notable=notable,
        wait_minutes=wait,
    )
    result = execute(ctx, step)
    output.show_result(result, json_mode)
    if json_mode:
        return
    path = ctx.outbox / f"{step.stem}.eml"
    message = step.preview(ctx) if isinstance(result, Plan) else read_eml(path) if path.exists() else None
    if message is not None and (isinstance(result, Plan) or result.changed):
        output.console.print()
        _show(message)


def _show(message: EmailMessage) -> None:
    from email import policy

    from rich.markup import escape

    text = message.as_bytes(policy=policy.SMTP.clone(linesep="\n")).decode("utf-8", errors="replace")
    headers, _, _ = text.partition("\n\n")
    output.console.print(f"[dim]{escape(headers)}[/]\n")
    body = message.get_body(preferencelist=("plain",))
    output.console.print(escape(body.get_content().rstrip() if body is not None else ""))
