"""`reminder contacts check` and `reminder contacts template`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reminder.cli.app import app as main_app
from reminder.cli.app import boundary, state, stdout
from reminder.cli.helptext import TranslatedCommand, TranslatedGroup
from reminder.errors import InputError, Problem, UsageError, display_path
from reminder.i18n import N_, _, ngettext
from reminder.inputs.contacts import contact_files, load_contacts
from reminder.inputs.groups import load_groups
from reminder.inputs.spreadsheets import write_template

contacts_app = typer.Typer(
    cls=TranslatedGroup,
    help=N_("Contact files: check them, or start a spreadsheet."),
    no_args_is_help=True,
)
main_app.add_typer(contacts_app, name="contacts")


@contacts_app.command(
    "check",
    help=N_(
        "Validate every contact file (YAML, CSV, Excel) and print every bad "
        "row, not just the first.\n\n"
        "Exit 0 when all are valid; exit 2 with one line per problem: file, "
        "row, sheet and column."
    ),
    cls=TranslatedCommand,
)
@boundary
def check(ctx: typer.Context) -> None:
    """The command `check`: its help, shown translated, is given where it is registered."""
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
        ngettext(
            "{count} contact file in {folder}: {cadres} cadres, {family} family members, "
            "{groups} groups; all valid",
            "{count} contact files in {folder}: {cadres} cadres, {family} family members, "
            "{groups} groups; all valid",
            len(files),
        ).format(
            count=len(files),
            folder=display_path(folder),
            cadres=cadres,
            family=family,
            groups=len(groups),
        ),
        markup=False,
        highlight=False,
    )


@contacts_app.command(
    "template",
    help=N_("Write an empty contact spreadsheet with the right columns and an explanation row."),
    cls=TranslatedCommand,
)
@boundary
def template(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help=N_("Where to write the workbook (.xlsx)."))] = Path(
        "contacts/template.xlsx"
    ),
    force: Annotated[bool, typer.Option("--force", help=N_("Overwrite an existing file."))] = False,
) -> None:
    """The command `template`: its help, shown translated, is given where it is registered."""
    if path.suffix.lower() != ".xlsx":
        raise UsageError(
            _("{path}: the template is an Excel workbook; name it *.xlsx").format(path=path)
        )
    if path.exists() and not force:
        raise UsageError(
            _("{path} exists; pass --force to overwrite it").format(path=display_path(path))
        )
    write_template(path)
    stdout().print(
        _("wrote {path}: fill in one person per row from row 3").format(path=display_path(path)),
        markup=False,
        highlight=False,
    )
