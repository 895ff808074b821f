"""`reminder contacts check` and `reminder contacts template`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reminder.cli.app import app as main_app
from reminder.cli.app import boundary, state, stdout
from reminder.errors import InputError, Problem, UsageError, display_path
from reminder.inputs.contacts import contact_files, load_contacts
from reminder.inputs.groups import load_groups
from reminder.inputs.spreadsheets import write_template

contacts_app = typer.Typer(
    help="Contact files: check them, or start a spreadsheet.", no_args_is_help=True
)
main_app.add_typer(contacts_app, name="contacts")


@contacts_app.command("check")
@boundary
def check(ctx: typer.Context) -> None:
    """Validate every contact file (YAML, CSV, Excel) and print every bad row, not just the first.

    Exit 0 when all are valid; exit 2 with one line per problem: file, row, sheet and column.
    """
    config = state(ctx).config()
    folder = config.folder("contacts")
    problems: list[Problem] = []
    book = load_contacts(folder, config.settings.default_region, problems)
    groups = load_groups(book, problems)
    if problems:
        raise InputError(problems)
    files = contact_files(folder)
    cadres, family = book.counts()
    stdout().print(
        f"{len(files)} contact file{'s' if len(files) != 1 else ''} in {display_path(folder)}: "
        f"{cadres} cadres, {family} family members, {len(groups)} groups; "
        "all valid",
        markup=False,
        highlight=False,
    )


@contacts_app.command("template")
@boundary
def template(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Where to write the workbook (.xlsx).")] = Path(
        "contacts/template.xlsx"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an empty contact spreadsheet with the right columns and an explanation row."""
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: the template is an Excel workbook; name it *.xlsx")
    if path.exists() and not force:
        raise UsageError(f"{display_path(path)} exists; pass --force to overwrite it")
    write_template(path)
    stdout().print(
        f"wrote {display_path(path)}: fill in one person per row from row 3",
        markup=False,
        highlight=False,
    )
