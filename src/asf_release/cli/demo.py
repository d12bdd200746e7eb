"""demo: the whole process in a sandbox on this machine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from asf_release import demo as demo_module
from asf_release.cli import output
from asf_release.cli.app import app
from asf_release.sandbox.environment import Sandbox


class _Printer:
    def begin(self, title: str, command: str) -> None:
        output.console.print(f"\n[bold cyan]▶ {escape(title)}[/]  [dim]{escape(command)}[/]")

    def end(self, result: demo_module.StageResult) -> None:
        for line in result.lines:
            output.console.print(f"  {escape(line)}")
        output.console.print(f"  [dim]{result.seconds:.2f}s[/]")


def _serve(sandbox: Sandbox) -> None:
    output.console.print(
        f"\n[bold]Serving[/] svn on {sandbox.svn.url} and SMTP on 127.0.0.1:{sandbox.mail.port}; Ctrl-C to stop."
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        output.console.print("stopped")


@app.command()
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
    base = directory.resolve()
    output.console.print(f"[bold]asf-release demo[/] in {escape(str(base))}")
    began = time.monotonic()
    demo_module.run(base, _Printer(), progress=output.RichProgress(), linger=_serve if serve else None)
    output.console.print(f"\n[bold green]Done[/] in {time.monotonic() - began:.1f}s. Look at:")
    for line in demo_module.where_to_look(base):
        output.console.print(f"  {escape(line)}")
