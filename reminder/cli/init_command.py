"""`reminder init [DIR]`: a starter folder that validates at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reminder.cli.app import command, stdout
from reminder.errors import display_path
from reminder.inputs.starter import create_starter


@command("init")
def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to create.")] = Path("reminder-data"),
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty folder.")] = False,
) -> None:
    """Write a working starter folder: config, a campaign, templates, cases, a contacts sheet."""
    written = create_starter(directory, force=force)
    out = stdout()
    for path in written:
        out.print(f"wrote {display_path(path)}", markup=False, highlight=False)
    config = display_path(directory / "config.yaml")
    out.print(f"next: reminder --config {config} validate", markup=False, highlight=False)
