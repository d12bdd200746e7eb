"""verify: the voter's checklist on a release candidate, in one command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from asf_release.cli import output
from asf_release.cli.app import app, settings
from asf_release.cli.options import Json, Rc
from asf_release.errors import UsageError

if TYPE_CHECKING:
    from asf_release.context import Context

SOURCE_HELP = (
    "The RC: a local directory, the https URL of its directory (dist or Subversion over HTTP), "
    "a Subversion URL, or a version such as 2.11.0 (the profile's dist/dev directory). "
    "Default, in a release checkout: the release's current RC, staged or only packaged."
)
WHAT_TO_GIVE = (
    "give the RC: asf-release verify 2.11.0 --rc 1 (the profile's dist/dev), "
    "asf-release verify https://dist.apache.org/repos/dist/dev/PROJECT/2.11.0-rc1/, "
    "or asf-release verify ./DIRECTORY"
)


def _ids(values: list[str] | None) -> tuple[str, ...]:
    return tuple(item.strip() for value in values or [] for item in value.split(",") if item.strip())


@app.command(rich_help_panel="For voters")
def verify(
    source: Annotated[
        str | None, typer.Argument(metavar="[SOURCE]", help=SOURCE_HELP, show_default=False)
    ] = None,
    rc: Rc = None,
    keys: Annotated[
        str | None, typer.Option("--keys", help="KEYS file or URL (default: the profile's KEYS URL).")
    ] = None,
    git: Annotated[
        str | None,
        typer.Option(
            "--git", help="A clone or bare mirror (path), or URL of the repository, for provenance."
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="A built-in profile name or a profile file (TOML, shaped like asf-release.toml). "
            "Default: the checkout's; outside a checkout, 'generic' (any project: the artifacts are "
            "the files with a .asc).",
        ),
    ] = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="The RC tag (default: the profile's, from --rc).")
    ] = None,
    build: Annotated[
        bool, typer.Option("--build/--no-build", help="Build and run the tests in the unpacked tree.")
    ] = True,
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Run only these checks (ids, comma-separated).")
    ] = None,
    skip: Annotated[
        list[str] | None, typer.Option("--skip", help="Skip these checks (ids, comma-separated).")
    ] = None,
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            help="The candidate's Docker image, as the VOTE names it (tag or digest); default: the "
            "ledger's or the profile's. Adds image-platforms, -licenses, -version, -runs.",
        ),
    ] = None,
    run_image: Annotated[
        bool,
        typer.Option("--run-image/--no-run-image", help="Run the image (podman or docker) in image-runs."),
    ] = True,
    reply: Annotated[
        bool,
        typer.Option("--reply", help="Print a draft reply to the vote thread (the table goes to stderr)."),
    ] = False,
    roster: Annotated[
        str | None,
        typer.Option(
            "--roster",
            help="The PMC roster, to write (binding) or (non-binding) in the reply (default: vote.roster).",
        ),
    ] = None,
    json_mode: Json = False,
) -> None:
    """Verify a release candidate: the voter's whole checklist in one command.

    Checks: artifacts, checksums, signatures, archive, license, notice, headers, binaries,
    provenance, build, tests; with an image (--image, or the one the ledger or profile names):
    image-platforms, image-licenses, image-version, image-runs. Exit 0 when the verdict is pass;
    1 when a check failed (verdict fail) or when every check was skipped (verdict incomplete:
    nothing was verified).

    Example: asf-release verify 2.11.0 --rc 1 --no-build --reply
    """
    from asf_release import profile as profile_module
    from asf_release.context import Context
    from asf_release.verify import VerifyRequest
    from asf_release.verify import verify as run_verify
    from asf_release.verify.reply import draft, voter_standing

    ctx = Context.load(
        settings.project,
        progress=output.RichProgress(enabled=not json_mode),
        profile=profile,
        profile_without_checkout=profile_module.NO_CHECKOUT_PROFILE,
    )
    if source is None:
        source, rc = _current_candidate(ctx, rc, quiet=json_mode)
    request = VerifyRequest(
        source=source,
        rc=rc,
        keys=keys,
        git=git,
        tag=tag,
        build=build,
        only=_ids(only),
        skip=_ids(skip),
        image=image,
        run_image=run_image,
    )
    report = run_verify(ctx, request)
    standing = voter_standing(ctx, roster) if reply else None
    text = draft(ctx.profile, report, standing) if reply else None
    if json_mode:
        data = report.to_json()
        if text is not None:
            data["reply"] = text
        output.print_json(data)
    else:
        _show(report, to_stderr=reply)
        if standing is not None:
            binding = "binding" if standing.binding else "non-binding"
            output.errors.print(f"[dim]the reply says ({binding}): {escape(standing.reason)}[/]")
        if text is not None:
            output.errors.print()
            output.console.print(text, markup=False, end="")
    if not report.passed:
        raise typer.Exit(1)


def _current_candidate(ctx: Context, rc: int | None, *, quiet: bool) -> tuple[str, int]:
    """No RC named: in a release checkout, the current RC of the release last worked on, from the
    ledger: its staged directory, else the artifacts `package` left here."""
    from pathlib import Path

    from asf_release.steps import dist
    from asf_release.steps.candidate import chosen_rc
    from asf_release.version import Version

    if ctx.root is None:
        raise UsageError(
            "which release candidate? Outside a project checkout there is no current one", WHAT_TO_GIVE
        )
    releases = ctx.ledger.releases()
    if not releases:
        raise UsageError("which release candidate? This checkout has not packaged one", WHAT_TO_GIVE)
    version = Version.parse(releases[-1])
    number = chosen_rc(ctx, version, rc)
    history = ctx.ledger.history(str(version))
    published = history.facts("publish", number).get("url")
    if not published and history.facts("stage", number) and dist.published(ctx, version, number):
        published = dist.release_url(ctx, version)  # moved to dist/release by hand
    staged = history.facts("stage", number).get("url")
    packaged = history.facts("package", number).get("out")
    label = f"{version}-rc{number}"
    if published:  # the voted files moved to dist/release
        source, how = str(published), "published at"
    elif staged:
        source, how = str(staged), "staged at"
    elif packaged and Path(str(packaged)).is_dir():
        source, how = str(packaged), "packaged (not staged yet) in"
    else:
        raise UsageError(
            f"{label}, the current release candidate here, is neither staged nor packaged", WHAT_TO_GIVE
        )
    if not quiet:
        output.errors.print(
            f"[dim]verifying {label}, {how} {output.safe(source)}; name another RC to verify that one[/]"
        )
    return source, number


def _show(report: object, *, to_stderr: bool) -> None:
    from asf_release.verify.model import Level, Report, Status

    assert isinstance(report, Report)
    console = output.errors if to_stderr else output.console
    rc = f"-rc{report.rc}" if report.rc else ""
    console.print(
        f"[bold]{output.safe(report.version or '?')}{rc}[/] from {output.safe(report.source)}"
        f" [dim](profile {output.safe(report.profile)})[/]"
    )
    output.print_table(
        ("check", "status", "summary"),
        [(escape(r.id), output.styled(r.status.value), escape(r.summary)) for r in report.checks],
        to=console,
    )
    shown = {Level.FAIL, Level.WARN} | ({Level.NOTE} if settings.verbose else set())
    for result in report.checks:
        findings = [f for f in result.findings if f.level in shown]
        if not findings or result.status is Status.SKIP:
            continue
        console.print(f"\n[bold]{escape(result.id)}[/] {output.styled(result.status.value)}")
        for finding in findings:
            where = f"{output.safe(finding.path)}: " if finding.path else ""
            console.print(f"  {output.styled(finding.level.value)} {where}{escape(finding.message)}")
            if finding.hint:
                console.print(f"    [dim]{escape(finding.hint)}[/]")
    if report.logs:
        console.print(f"\nbuild and test logs: {output.safe(report.logs)}")
    verdicts = {
        "pass": "[bold green]PASS[/]",
        "fail": "[bold red]FAIL[/]",
        "incomplete": "[bold yellow]INCOMPLETE[/]: every check was skipped, nothing was verified",
    }
    console.print(f"\nverdict: {verdicts[report.verdict]}")
