"""Contacts in Excel workbooks (`.xlsx`, via openpyxl): reading rows, writing a blank template.

Every sheet is read. Row 1 holds the column names (those of the CSV format); rows whose first
cell starts with `#` are comments (the template's row 2 explains each column) and empty rows
are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reminder.i18n import _

#: The columns of a contact sheet, with the explanation the template puts in its comment row.
COLUMNS: dict[str, str] = {
    "id": "# 编号：唯一且长期不变，如 c001",
    "name": "姓名",
    "phone": "手机号码，如 13812345678",
    "rank": "职级：办事员/科员/副科级/正科级/副处级/正处级/副厅级/正厅级（家属留空）",
    "unit": "单位",
    "post": "职务",
    "tags": "标签，用分号分隔，如 key_post",
    "family_of": "家属填写其干部的编号",
    "relation": "与干部关系，如 spouse",
}


def header_problem(names: Iterable[str]) -> str | None:
    """What is wrong with a header row of contact columns, if anything."""
    present = [n for n in names if n]
    missing = [c for c in ("id", "name", "phone") if c not in present]
    unknown = [n for n in present if n not in COLUMNS]
    parts = []
    if missing:
        parts.append(_("missing column(s) {columns}").format(columns=", ".join(missing)))
    if unknown:
        parts.append(_("unknown column(s) {columns}").format(columns=", ".join(unknown)))
    return _("; ").join(parts) or None


def read_rows(path: Path) -> Iterator[tuple[str, int, dict[str, Any], dict[str, str]]]:
    """Yield (sheet, row number, values by column name, column letters by name) for each row.

    A sheet whose header lacks id, name or phone yields one row numbered 1 with no values and a
    `"__error__"` key saying so.
    """
    from openpyxl import load_workbook  # only when a workbook is read: a large import
    from openpyxl.utils import get_column_letter

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                continue
            names = [str(h).strip() if h is not None else "" for h in header]
            letters = {n: get_column_letter(i + 1) for i, n in enumerate(names) if n}
            problem = header_problem(names)
            if problem:
                yield sheet.title, 1, {"__error__": problem}, letters
                continue
            for number, row in enumerate(rows, start=2):
                first = row[0] if row else None
                if isinstance(first, str) and first.strip().startswith("#"):
                    continue
                values = {
                    name: _cell(value)
                    for name, value in zip(names, row, strict=False)
                    if name and value is not None and str(value).strip() != ""
                }
                if values:
                    yield sheet.title, number, values, letters
    finally:
        workbook.close()


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed as a number
    if isinstance(value, int):
        return str(value)
    return value


def write_template(path: Path, sheet: str = "干部名单") -> None:
    """Write an empty contact workbook: the header row, then a comment row explaining columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    worksheet.append(list(COLUMNS))
    worksheet.append(list(COLUMNS.values()))
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for cell in worksheet[2]:
        cell.font = Font(italic=True, color="666666")
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
    for index in range(1, len(COLUMNS) + 1):
        worksheet.column_dimensions[get_column_letter(index)].width = 18
    worksheet.freeze_panes = "A3"
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
