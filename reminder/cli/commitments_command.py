"""`reminder commitments`: the list of who committed (节日廉洁承诺), when, with their words, as
the record an office keeps: CSV, JSON, an HTML page or an Excel workbook."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer

from reminder.cli.app import command, state, stderr
from reminder.errors import UsageError, display_path
from reminder.i18n import N_, _
from reminder.reports.commitments import Commitments
from reminder.views.commitments import as_html, write_csv, write_json, write_xlsx


class Format(StrEnum):
    """Output formats of `reminder commitments`."""

    csv = "csv"
    json = "json"
    html = "html"
    xlsx = "xlsx"


@command(
    "commitments",
    help=N_(
        "Export the commitments a campaign collected: who, when, with which words.\n\n"
        "One per family or per person, as the push's ack says; numbers and words masked "
        "unless --show-numbers."
    ),
)
def export_commitments(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))],
    format_: Annotated[Format, typer.Option("--format", help=N_("Output format."))] = Format.csv,
    output: Annotated[
        Path | None, typer.Option(help=N_("Write to this file (needed for xlsx)."), dir_okay=False)
    ] = None,
    show_numbers: Annotated[
        bool,
        typer.Option("--show-numbers", help=N_("Show phone numbers and words in full.")),
    ] = False,
) -> None:
    """The command `commitments`: its help, shown translated, is given where it is registered."""
    if format_ is Format.xlsx and output is None:
        raise UsageError(_("--format xlsx needs --output FILE.xlsx"))
    with state(ctx).app() as app:
        app.load()
        found = app.commitments(campaign)
    if format_ is Format.xlsx:
        assert output is not None
        write_xlsx(found, output, show_numbers)
    elif output is not None:
        codec = "utf-8-sig" if format_ is Format.csv else "utf-8"
        with output.open("w", encoding=codec, newline="") as handle:
            _render(found, format_, show_numbers, handle)
    else:
        _render(found, format_, show_numbers, sys.stdout)
    if output is not None:
        stderr().print(
            _("wrote {path}").format(path=display_path(output)), markup=False, highlight=False
        )


def _render(found: Commitments, format_: Format, numbers: bool, out: TextIO) -> None:
    if format_ is Format.csv:
        write_csv(found, numbers, out)
    elif format_ is Format.json:
        write_json(found, numbers, out)
    else:
        out.write(as_html(found, numbers))
