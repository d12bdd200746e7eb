"""keys create and keys publish: a first-time release manager's key (the keys group is in release.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from asf_release.cli import output
from asf_release.cli.app import context
from asf_release.cli.options import DryRun, Json
from asf_release.cli.release import KeyOption, keys_app


@keys_app.command("create")
def keys_create(
    name: Annotated[
        str | None, typer.Option("--name", help="Your full name (default: release_manager.name).")
    ] = None,
    email: Annotated[
        str | None,
        typer.Option("--email", help="Your address (default: release_manager.apache_id at apache.org)."),
    ] = None,
    algorithm: Annotated[
        str | None,
        typer.Option(
            "--algorithm", help="rsa4096, rsa3072 or ed25519 (default: release_manager.key_algorithm)."
        ),
    ] = None,
    expire: Annotated[
        str | None, typer.Option("--expire", help="When it expires: 0 for never (default), or 2y, 18m, 90d.")
    ] = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Create your signing key: RSA 4096 signing key with an encryption subkey, your name and @apache.org address.

    gpg-agent asks for the passphrase (pinentry); it is never given on the command line. Prints the
    fingerprint and where the revocation certificate is. Does nothing when your address already
    has a usable secret key.

    Example: asf-release keys create --name "Riley Morgan" --email rm@apache.org
    """
    from asf_release.steps.keygen import CreateKey, request

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    step = CreateKey(request(ctx, name, email, algorithm, expire))
    output.show_result(step.plan(ctx) if dry_run else step.run(ctx), json_mode)


@keys_app.command("publish")
def keys_publish(
    key: KeyOption = None,
    keyserver: Annotated[
        str | None, typer.Option("--keyserver", help="Where to send it (default: release_manager.keyserver).")
    ] = None,
    dry_run: DryRun = False,
    json_mode: Json = False,
) -> None:
    """Send your key to the keyserver, then read it back from there to confirm anyone can fetch it.

    Also says where to add it to your GitHub account (and the gh command, when gh is installed).

    Example: asf-release keys publish --keyserver hkps://keyserver.ubuntu.com
    """
    from asf_release.steps.keygen import PublishKey

    ctx = context(dry_run=dry_run, json_mode=json_mode)
    step = PublishKey(key, keyserver)
    output.show_result(step.plan(ctx) if dry_run else step.run(ctx), json_mode)
