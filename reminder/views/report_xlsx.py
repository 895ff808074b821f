"""The report as an Excel workbook an office prints and files: sheets and headings in the
config's language, shares as percent-formatted numbers, dates as dates, columns fitted, the
heading row bold and frozen, A4 fitted to the page width. Written in openpyxl's write-only
mode, so the list of contacts not reached streams from the store to the file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reminder.i18n import _
from reminder.reports.figures import Report
from reminder.views.report import (
    GROUP_COLUMNS,
    OCCURRENCE_COLUMNS,
    UNREACHED_COLUMNS,
    group_rows,
    headings,
    occurrence_rows,
    reasons_text,
    summary_lines,
    unreached_rows,
    word,
)

BOLD = Font(bold=True)
PERCENT = "0.0%"
DAY = "yyyy-mm-dd"
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


def _sheet(book: Workbook, title: str, heads: list[str], widths: list[int]) -> WriteOnlyWorksheet:
    sheet = book.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width, 6) + 2, 60)
    sheet.freeze_panes = "A2"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.append([_cell(sheet, head, bold=True) for head in heads])
    return sheet


def _cell(sheet: Any, value: Any, *, bold: bool = False, fmt: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if bold:
        cell.font = BOLD
    if fmt:
        cell.number_format = fmt
    return cell


def _row(sheet: Any, columns: Iterable[str], row: dict[str, Any]) -> list[Any]:
    cells = []
    for key in columns:
        value = row[key]
        if key == "coverage":
            cells.append(_cell(sheet, value, fmt=PERCENT))
        elif isinstance(value, date):
            cells.append(_cell(sheet, value, fmt=DAY))
        elif key == "last_status":
            cells.append(word(value))
        elif key == "skipped_by_reason":
            cells.append(reasons_text(value))
        else:
            cells.append(value)
    return cells


def _fitted(columns: dict[str, str], rows: list[dict[str, Any]]) -> list[int]:
    heads = headings(columns)
    return [
        max([text_width(head)] + [text_width(row[key]) for row in rows])
        for key, head in zip(columns, heads, strict=True)
    ]


def write_xlsx(report: Report, path: Path, show_numbers: bool) -> None:
    """A summary sheet, then one sheet per table; the contacts not reached streamed."""
    book = Workbook(write_only=True)
    summary = _sheet(book, _("Summary"), [_("Item"), _("Value")], [16, 60])
    for label, value, fmt in (
        (_("Campaign"), f"{report.name} ({report.campaign})", None),
        (_("Targeted"), report.targeted, None),
        (_("Reached"), report.reached, None),
        (_("Sent, awaiting receipt"), report.awaiting, None),
        (_("Not reached"), report.unreached_count, None),
        (_("Coverage"), round(report.coverage, 4), PERCENT),
    ):
        summary.append([_cell(summary, label, bold=True), _cell(summary, value, fmt=fmt)])
    for line in summary_lines(report):
        summary.append([None, line])
    for title, columns, rows in (
        (_("Per occurrence"), OCCURRENCE_COLUMNS, occurrence_rows(report)),
        (_("Per group"), GROUP_COLUMNS, group_rows(report)),
    ):
        sheet = _sheet(book, title, headings(columns), _fitted(columns, rows))
        for row in rows:
            sheet.append(_row(sheet, columns, row))
    heads = headings(UNREACHED_COLUMNS)
    widths = [
        max(text_width(h), STREAMED_WIDTHS[k])
        for k, h in zip(UNREACHED_COLUMNS, heads, strict=True)
    ]
    sheet = _sheet(book, _("Not reached"), heads, widths)
    for row in unreached_rows(report, show_numbers):
        sheet.append(_row(sheet, UNREACHED_COLUMNS, row))
    book.save(path)
