"""`reminder init [DIR]`: a starter folder that validates at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reminder.cli.app import command, stdout
from reminder.errors import display_path
from reminder.i18n import N_, _
from reminder.inputs.starter import create_starter


@command(
    "init",
    help=N_(
        "Write a working starter folder: config, a campaign, templates, cases, a contacts sheet."
    ),
)
def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help=N_("Folder to create."))] = Path(
        "reminder-data"
    ),
    force: Annotated[
        bool, typer.Option("--force", help=N_("Write into a non-empty folder."))
    ] = False,
) -> None:
    """The command `init`: its help, shown translated, is given where it is registered."""
    written = create_starter(directory, force=force)
    out = stdout()
    for path in written:
        out.print(_("wrote {path}").format(path=display_path(path)), markup=False, highlight=False)
    config = display_path(directory / "config.yaml")
    out.print(
        _("next: reminder --config {config} validate").format(config=config),
        markup=False,
        highlight=False,
    )
