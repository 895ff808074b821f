"""The report as an Excel workbook an office prints and files: sheets and headings in the
config's language, shares as percent-formatted numbers, dates as dates, columns fitted, the
heading row bold and frozen, A4 fitted to the page width. Written by XlsxWriter in its
constant-memory mode, row by row, so the list of contacts not reached streams from the store to
the file (a million messages, 125,000 rows in the list: a few seconds, flat memory)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from reminder.i18n import _
from reminder.reports.figures import Report
from reminder.views.report import (
    UNREACHED_COLUMNS,
    group_columns,
    group_rows,
    headings,
    occurrence_columns,
    occurrence_rows,
    reasons_text,
    summary_lines,
    unreached_rows,
    word,
)
from reminder.views.report_acks import SHARES, SILENT_COLUMNS, silent_rows

#: Widths of columns whose rows stream (fitted to what such a column holds).
STREAMED_WIDTHS = {
    "contact_id": 12,
    "name": 10,
    "number": 18,
    "last_status": 14,
    "last_error": 40,
    "last_date": 12,
}


def text_width(value: Any) -> int:
    """How many character widths a value takes: a Chinese character takes two."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class _Sheets:
    """The workbook and its shared formats (bold headings, percent, dates)."""

    def __init__(self, path: Path) -> None:
        self.book = Workbook(str(path), {"constant_memory": True})
        self.bold = self.book.add_format({"bold": True})
        self.percent = self.book.add_format({"num_format": "0.0%"})
        self.day = self.book.add_format({"num_format": "yyyy-mm-dd"})

    def sheet(self, title: str, heads: list[str], widths: list[int]) -> Worksheet:
        """A new sheet with its heading row, fitted columns and A4 print setup."""
        sheet = self.book.add_worksheet(title)
        for index, width in enumerate(widths):
            sheet.set_column(index, index, min(max(width, 6) + 2, 60))
        sheet.freeze_panes(1, 0)
        sheet.set_paper(9)  # A4
        sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.repeat_rows(0)
        sheet.write_row(0, 0, heads, self.bold)
        return sheet

    def row(
        self, sheet: Worksheet, index: int, columns: Iterable[str], row: dict[str, Any]
    ) -> None:
        """One row of a table at row `index`: shares as percent, dates as dates, words shown."""
        for column, key in enumerate(columns):
            value = row[key]
            if value is None:
                continue
            if key in SHARES:
                sheet.write_number(index, column, value, self.percent)
            elif isinstance(value, date):
                sheet.write_datetime(index, column, value, self.day)
            elif key == "last_status":
                sheet.write_string(index, column, word(value))
            elif key == "skipped_by_reason":
                sheet.write_string(index, column, reasons_text(value))
            else:
                sheet.write(index, column, value)


def _fitted(columns: dict[str, str], rows: list[dict[str, Any]]) -> list[int]:
    heads = headings(columns)
    return [
        max([text_width(head)] + [text_width(row[key]) for row in rows])
        for key, head in zip(columns, heads, strict=True)
    ]


def write_xlsx(report: Report, path: Path, show_numbers: bool) -> None:
    """A summary sheet, then one sheet per table; the contacts not reached streamed."""
    sheets = _Sheets(path)
    summary = sheets.sheet(_("Summary"), [_("Item"), _("Value")], [16, 60])
    index = 0
    for label, value, fmt in (
        (_("Campaign"), f"{report.name} ({report.campaign})", None),
        (_("Targeted"), report.targeted, None),
        (_("Reached"), report.reached, None),
        (_("Sent, awaiting receipt"), report.awaiting, None),
        (_("Not reached"), report.unreached_count, None),
        (_("Coverage"), round(report.coverage, 4), sheets.percent),
    ):
        index += 1
        summary.write_string(index, 0, label, sheets.bold)
        summary.write(index, 1, value, fmt)
    for line in summary_lines(report):
        index += 1
        summary.write_string(index, 1, line)
    tables = [
        (_("Per occurrence"), occurrence_columns(report), occurrence_rows(report)),
        (_("Per group"), group_columns(report), group_rows(report)),
    ]
    if report.acks is not None:
        silent = list(silent_rows(report, show_numbers))
        tables.append((_("Never acknowledged"), SILENT_COLUMNS, silent))
    for title, columns, rows in tables:
        sheet = sheets.sheet(title, headings(columns), _fitted(columns, rows))
        for index, row in enumerate(rows, start=1):
            sheets.row(sheet, index, columns, row)
    heads = headings(UNREACHED_COLUMNS)
    widths = [
        max(text_width(h), STREAMED_WIDTHS[k])
        for k, h in zip(UNREACHED_COLUMNS, heads, strict=True)
    ]
    sheet = sheets.sheet(_("Not reached"), heads, widths)
    for index, row in enumerate(unreached_rows(report, show_numbers), start=1):
        sheets.row(sheet, index, UNREACHED_COLUMNS, row)
    sheets.book.close()
