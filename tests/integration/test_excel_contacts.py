"""Contacts from Excel, `reminder contacts check` and `reminder contacts template`."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook, load_workbook

from reminder.inputs.spreadsheets import COLUMNS
from tests.factories import ProjectFiles, cadre


def workbook(path, sheets: dict[str, list[list[Any]]]) -> None:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


HEADER = ["id", "name", "phone", "rank", "unit", "post", "tags", "family_of", "relation"]


def test_contacts_from_a_workbook_are_used(cli: Any, files: ProjectFiles) -> None:
    files.write(contacts=[cadre(1)])
    workbook(
        files.root / "contacts/more.xlsx",
        {
            "处级": [
                HEADER,
                ["# comment row", "", "", "", "", "", "", "", ""],
                ["x1", "张三", 13800138001, "正处级", "市财政局", "处长", "key_post", None, None],
            ],
            "家属": [
                HEADER,
                ["x2", "李四", "139 0013 8002", None, None, None, None, "x1", "spouse"],
            ],
        },
    )
    result = cli("--config", files.config_path, "contacts", "check")
    assert result.exit_code == 0, result.output
    assert "3 contact files" in result.output and "2 cadres, 1 family members" in result.output
    sent = cli("--config", files.config_path, "send", "test", "--date", "2027-02-01", "--json")
    assert sent.exit_code == 0, sent.output
    assert '"sent": 3' in sent.stdout


def test_contacts_check_prints_every_bad_row_with_sheet_and_column(
    cli: Any, files: ProjectFiles
) -> None:
    files.write(contacts=[cadre(1)])
    workbook(
        files.root / "contacts/bad.xlsx",
        {
            "名单": [
                HEADER,
                ["x1", "张三", "1234", "正处级"],
                ["x2", "李四", "13800138002", "将军"],
                ["x3", "", "13800138003", "科员"],
                ["x4", "王五", "13800138004", None, None, None, None, "nobody", "spouse"],
            ],
            "旧表": [["编号", "姓名"], ["1", "赵六"]],
        },
    )
    result = cli("--config", files.config_path, "contacts", "check")
    assert result.exit_code == 2
    out = result.output
    assert "contacts/bad.xlsx:2: sheet 名单, column C (phone): '1234' is not a valid phone" in out
    assert "contacts/bad.xlsx:3: sheet 名单, column D (rank): unknown rank '将军'" in out
    assert "contacts/bad.xlsx:4: sheet 名单, column B (name): Field required" in out
    assert "contacts/bad.xlsx:5: family_of: no contact has id 'nobody'" in out
    assert "contacts/bad.xlsx:1: sheet 旧表: missing column(s) id, name, phone" in out
    assert "5 problems found" in out


def test_the_template_has_the_columns_and_a_comment_row(cli: Any, files: ProjectFiles) -> None:
    files.write(contacts=[cadre(1)])
    target = files.root / "contacts" / "new.xlsx"
    result = cli("--config", files.config_path, "contacts", "template", str(target))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert str(rows[1][0]).startswith("#")
    again = cli("--config", files.config_path, "contacts", "template", str(target))
    assert again.exit_code == 2 and "--force" in again.output
    # The empty template is a valid (empty) contact file.
    assert cli("--config", files.config_path, "contacts", "check").exit_code == 0
