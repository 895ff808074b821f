"""`reminder report`: coverage and outcomes of a campaign, in the format the reader needs."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from reminder.cli.app import command, parse_day, state, stderr, stdout
from reminder.errors import UsageError, display_path
from reminder.i18n import N_, _
from reminder.reports.figures import Report
from reminder.views.report import as_csv, as_html, as_json, as_table, write_xlsx


class Format(StrEnum):
    """Output formats of `reminder report`."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    html = "html"


@command(
    "report",
    help=N_(
        "Per occurrence and group: targeted, delivered, sent, failed, pending, "
        "unknown, skipped; coverage; and the contacts never reached, with their "
        "last error."
    ),
)
def report(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))],
    date: Annotated[str | None, typer.Option(help=N_("Only this occurrence date."))] = None,
    format_: Annotated[Format, typer.Option("--format", help=N_("Output format."))] = Format.table,
    output: Annotated[
        Path | None, typer.Option(help=N_("Write to this file (needed for xlsx)."), dir_okay=False)
    ] = None,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help=N_("Show phone numbers in full (for follow-up)."))
    ] = False,
) -> None:
    """The command `report`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        app.load()
        app.project.campaign(campaign)
        if format_ is Format.xlsx and output is None:
            raise UsageError(_("--format xlsx needs --output FILE.xlsx"))
        built = app.report(campaign, parse_day(date))
    if format_ is Format.xlsx:
        assert output is not None
        write_xlsx(built, output, show_numbers)
    elif format_ is Format.table and output is None:
        stdout().print(as_table(built, show_numbers))
        return
    else:
        render = {
            Format.csv: as_csv,
            Format.json: as_json,
            Format.html: as_html,
            Format.table: _plain_table,
        }[format_]
        text = render(built, show_numbers)
        if output is None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            return
        output.write_text(text, encoding="utf-8")
    stderr().print(
        _("wrote {output}").format(output=display_path(output)), markup=False, highlight=False
    )


def _plain_table(built: Report, show_numbers: bool) -> str:
    console = Console(file=None, record=True, width=160)
    with console.capture():
        console.print(as_table(built, show_numbers))
    return console.export_text()
