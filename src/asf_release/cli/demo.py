"""demo: the whole process in a sandbox on this machine."""

from __future__ import annotations

# the demo and its sandbox load only when the demo runs: every other command starts faster
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

if TYPE_CHECKING:
    from asf_release.demo.core import StageResult
    from asf_release.sandbox.environment import Sandbox

from asf_release.cli import output
from asf_release.cli.app import app
from asf_release.errors import Interrupted


class _Printer:
    def begin(self, title: str, command: str) -> None:
        output.console.print(
            f"\n[bold cyan]{output.glyph('stage')} {escape(title)}[/]  [dim]{escape(command)}[/]"
        )

    def end(self, result: StageResult) -> None:
        for line in result.lines:
            output.console.print(f"  {escape(line)}")
        output.console.print(f"  [dim]{result.seconds:.2f}s[/]")


def _serve(sandbox: Sandbox) -> None:
    try:  # from the first word on: a signal that comes as soon as "Serving" shows stops it cleanly
        output.console.print(
            f"\n[bold]Serving[/] svn on {sandbox.svn.url}, SMTP on 127.0.0.1:{sandbox.mail.port}, "
            f"the web on {sandbox.web.url} and the registry on {sandbox.registry.host}; Ctrl-C to stop."
        )
        while True:
            time.sleep(3600)
    except Interrupted:  # Ctrl-C or SIGTERM: the way to stop serving; the demo stops its servers
        output.console.print("stopping the servers")


@app.command(rich_help_panel="Set-up and rehearsal")
def demo(
    directory: Annotated[
        Path,
        typer.Option("--dir", help="Where the sandbox lives; run again to resume.", file_okay=False),
    ] = Path("asf-release-demo"),
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Keep svnserve and SMTP running afterwards, to look around."),
    ] = False,
) -> None:
    """Run the whole release process in a sandbox on this machine; needs no network.

    Creates a sample project with its history and origin, dist in svnserve on 127.0.0.1, a GnuPG
    home with the release manager's key, a PMC roster and an SMTP server that captures mail,
    then runs every step end to end.

    Example: asf-release demo --dir /tmp/rehearsal
    """
    from asf_release import demo as demo_module

    base = directory.resolve()
    output.console.print(f"[bold]asf-release demo[/] in {escape(str(base))}")
    began = time.monotonic()
    demo_module.run(base, _Printer(), progress=output.RichProgress(), linger=_serve if serve else None)
    output.console.print(f"\n[bold green]Done[/] in {time.monotonic() - began:.1f}s. Look at:")
    for line in demo_module.where_to_look(base):
        output.console.print(f"  {escape(line)}")
