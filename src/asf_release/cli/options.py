"""Options shared by many commands, so every command spells them the same way."""

from __future__ import annotations

from typing import Annotated

import typer

Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON for machines.")]
DryRun = Annotated[
    bool,
    typer.Option("--dry-run", "-n", help="Show what would be done, with the commands, and change nothing."),
]
VersionArg = Annotated[str, typer.Argument(metavar="VERSION", help="The release version, such as 2.11.0.")]
Rc = Annotated[
    int | None,
    typer.Option("--rc", min=1, help="Release candidate number (default: the current one)."),
]

Builder = Annotated[
    str | None,
    typer.Option("--builder", help="docker (buildx, needs a daemon) or buildah (default: docker.builder)."),
]
