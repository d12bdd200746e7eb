"""Commands that create and stage a release candidate: keys, package, stage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from asf_release.cli import output
from asf_release.cli.app import app, context
from asf_release.cli.options import DryRun, Json, Rc, VersionArg
from asf_release.errors import Failed
from asf_release.steps.base import Plan, execute
from asf_release.version import Version

keys_app = typer.Typer(
    help="The release manager's signing key and the project's KEYS file.\n\nExample: asf-release keys check",
    no_args_is_help=True,
)
# the seed's order: the key comes after the cherry-pick period, before the candidate is packaged
app.add_typer(keys_app, name="keys", rich_help_panel="1. Before the release candidate")

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key", help="Signing key (fingerprint or id); default: the profile's, else gpg's default."
    ),
]
KeysOption = Annotated[
    str | None,
    typer.Option("--keys", help="KEYS to check against: a file or URL (default: KEYS in dist/release)."),
]


@keys_app.command("check")
def keys_check(key: KeyOption = None, keys: KeysOption = None, json_mode: Json = False) -> None:
    """Check the signing key: can sign, not expired or revoked, strong enough, @apache.org, in KEYS.

    Exit 1 when a check fails; each problem comes with what to do about it.

    Example: asf-release keys check --key 0x1234ABCD
    """
    from asf_release.steps import keys as keys_module

    ctx = context(json_mode=json_mode)
    report = keys_module.check(ctx, key, keys)
    if json_mode:
        output.print_json(report.to_json())
    else:
        # the key's strength is one of the findings: the header names the key only, so it is said once
        output.console.print(
            f"[bold]{output.safe(report.uid)}[/]  fingerprint {output.safe(report.fingerprint)}"
        )
        for finding in report.findings:
            hint = f"  [dim]{output.glyph('arrow')} {escape(finding.hint)}[/]" if finding.hint else ""
            output.console.print(f"  {output.styled(finding.level.value)}  {escape(finding.message)}{hint}")
    if not report.passed:
        raise typer.Exit(int(Failed.exit_code))


@keys_app.command("add")
def keys_add(key: KeyOption = None, dry_run: DryRun = False, json_mode: Json = False) -> None:
    """Append your key (gpg --list-sigs and the armored export) to KEYS in dist/release, and commit.

    Does nothing when KEYS already holds the fingerprint. --dry-run shows the lines KEYS would gain.

    Example: asf-release keys add --dry-run
    """
    from asf_release.steps.keys import KeysStep, diff_preview

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    step = KeysStep(key=key)
    result = execute(ctx, step)
    output.show_result(result, json_mode)
    if isinstance(result, Plan) and not result.nothing_to_do and not json_mode:
        output.console.print("[bold]KEYS would gain:[/]")
        output.console.print(escape(diff_preview(ctx, step)), end="")


@app.command(rich_help_panel="2. The release candidate")
def package(
    version: VersionArg,
    rc: Rc = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the artifacts (default: .git/asf-release/artifacts/VERSION-rcN).",
            file_okay=False,
        ),
    ] = None,
    keys: KeysOption = None,
    key: KeyOption = None,
    sign_tag: Annotated[
        bool | None,
        typer.Option(
            "--sign-tag/--no-sign-tag", help="Sign the RC tag (default: the profile's git.sign_tags)."
        ),
    ] = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Build a release candidate on the release branch: version file, commit, tag, tarball, .asc, .sha512.

    Then runs the voters' checks on the result and stops, before anything is staged, if one fails.
    Refuses a dirty tree, the wrong branch, a version not above the line's last release, a gap in
    RC numbers and an RC tag on another commit. Run again after an interruption: it finishes.

    Example: asf-release package 2.11.0 --rc 1
    """
    from asf_release.steps.package import PackageStep

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    ctx.require_project()
    output.show_result(
        execute(ctx, PackageStep(Version.parse(version), rc, out=out, keys=keys, key=key, sign_tag=sign_tag)),
        json_mode,
    )


@app.command(rich_help_panel="2. The release candidate")
def stage(
    version: VersionArg,
    rc: Annotated[int, typer.Option("--rc", min=1, help="Release candidate number.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace another candidate's files in the staging directory.")
    ] = False,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Commit the packaged RC to dist/dev in one svn commit, and push its tag.

    Checks out only the RC's directory. Run again with the files already there: nothing happens.

    Example: asf-release stage 2.11.0 --rc 1
    """
    from asf_release.steps.stage import StageStep

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    ctx.require_project()
    output.show_result(execute(ctx, StageStep(Version.parse(version), rc, replace=replace)), json_mode)
