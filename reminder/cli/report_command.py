"""`reminder report`: coverage and outcomes of a campaign, in the format the reader needs.

The store stays open while the report is written: the list of contacts not reached streams
from it to the terminal, the file or standard output.
"""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from reminder.cli.app import command, parse_day, state, stderr, stdout
from reminder.errors import UsageError, display_path
from reminder.i18n import N_, _
from reminder.reports.figures import Report
from reminder.views.report import as_table, write_csv, write_json
from reminder.views.report_html import as_html
from reminder.views.report_xlsx import write_xlsx


class Format(StrEnum):
    """Output formats of `reminder report`."""

    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    html = "html"


class Encoding(StrEnum):
    """Encodings of a CSV report: UTF-8 with a byte-order mark (Excel on Windows reads it as
    UTF-8), plain UTF-8, or GB18030 (what older Excel and WPS expect)."""

    utf8_bom = "utf-8-bom"
    utf8 = "utf-8"
    gb18030 = "gb18030"


CODECS = {Encoding.utf8_bom: "utf-8-sig", Encoding.utf8: "utf-8", Encoding.gb18030: "gb18030"}


@command(
    "report",
    help=N_(
        "Per occurrence and group: targeted, delivered, sent, failed, pending, "
        "unknown, skipped; coverage; and the contacts never reached, with their "
        "last error.\n\nThe figures cover the occurrences due (up to today in the "
        "campaign's zone, or --date), and the report names that period."
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
    encoding: Annotated[
        Encoding, typer.Option(help=N_("Encoding of a CSV report (Excel on Windows: the default)."))
    ] = Encoding.utf8_bom,
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
        day = parse_day(date)
        built = app.report(campaign, day)
        if show_numbers:
            app.show_numbers("report", campaign, day, format=format_.value, via="cli")
        if format_ is Format.table and output is None:
            stdout().print(as_table(built, show_numbers))
            return
        _write(built, format_, output, CODECS[encoding], show_numbers)
    if output is not None:
        stderr().print(
            _("wrote {path}").format(path=display_path(output)), markup=False, highlight=False
        )


def _write(built: Report, format_: Format, output: Path | None, codec: str, numbers: bool) -> None:
    if format_ is Format.xlsx:
        assert output is not None
        write_xlsx(built, output, numbers)
        return
    if format_ is not Format.csv:
        codec = "utf-8"
    if output is not None:
        with output.open("w", encoding=codec, newline="") as handle:
            _render(built, format_, numbers, handle)
        return
    sys.stdout.flush()
    out = io.TextIOWrapper(sys.stdout.buffer, encoding=codec, newline="", write_through=False)
    try:
        _render(built, format_, numbers, out)
    finally:
        out.flush()
        out.detach()


def _render(built: Report, format_: Format, numbers: bool, out: TextIO) -> None:
    if format_ is Format.csv:
        write_csv(built, numbers, out)
    elif format_ is Format.json:
        write_json(built, numbers, out)
    elif format_ is Format.html:
        out.write(as_html(built, numbers))
    else:
        console = Console(file=out, width=160, no_color=True, force_terminal=False)
        console.print(as_table(built, numbers))
