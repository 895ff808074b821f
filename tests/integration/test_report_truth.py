"""What the report says is true: coverage over the occurrences due with the period named, a
group counted only through its own pushes, sent-awaiting-receipt apart from not reached with
the receipts outstanding, a gateway that never reports delivery said so; in Chinese when the
config says so; a workbook ready to print; CSV for Excel on Windows."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import text

from reminder.inputs.config import load_config
from reminder.inputs.project import load_project
from reminder.store import NewMessage, open_store
from tests.integration.test_reports import DAY1, NOW, report, seed
from tests.support.stores import add_planned


def plan_ahead(sample: Path, day: date) -> None:
    """The leading cadres' messages of a later day, planned ahead (not due yet)."""
    project = load_project(load_config(sample / "config.yaml"))
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    add_planned(
        store,
        [
            NewMessage(
                "spring-festival",
                "daily-leading",
                day,
                c.id,
                c.phone,
                "【测】",
                1,
                "UCS-2",
                "t.j2",
                {},
                None,
            )
            for c in project.audience("spring-festival", "daily-leading")
        ],
        NOW,
    )
    store.close()


def sql(sample: Path, statement: str, **values: Any) -> None:
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    with store.engine.begin() as connection:
        connection.execute(text(statement), values)
    store.close()


def test_coverage_counts_only_the_occurrences_due_and_names_the_period(
    cli: Any, sample: Path
) -> None:
    seed(sample)
    plan_ahead(sample, date(2027, 2, 5))
    data = json.loads(report(cli, sample, "--format", "json").stdout)
    assert (data["targeted"], data["reached"]) == (65, 60), "2027-02-05 is not due on 01-31"
    assert "2027-02-05" not in {o["date"] for o in data["occurrences"]}
    table = report(cli, sample).stdout
    assert "Report period: 2027-01-30 to 2027-02-20 (as of 2027-01-31 16:00 (Asia/Shanghai))" in (
        table
    )


def test_a_group_counts_only_members_its_own_pushes_targeted(cli: Any, sample: Path) -> None:
    """Every leading cadre is also in all_cadres, whose push (back-to-work) has not run."""
    seed(sample)
    groups = {
        g["group"]: g for g in json.loads(report(cli, sample, "--format", "json").stdout)["groups"]
    }
    assert (groups["all_cadres"]["targeted"], groups["all_cadres"]["reached"]) == (0, 0)
    assert groups["all_cadres"]["members"] > 36
    assert (groups["leading_cadres"]["targeted"], groups["leading_cadres"]["reached"]) == (36, 35)


def test_awaiting_receipt_is_apart_from_not_reached(cli: Any, sample: Path) -> None:
    """Two of the spouses' messages were accepted by twilio and await their receipt; one
    receipt (a delivery) came by callback at 09:15 Beijing time."""
    seeded = seed(sample)
    for contact in seeded["spouses"][25:27]:
        sql(
            sample,
            "UPDATE message SET status='sent', error_code=NULL WHERE contact_id=:c",
            c=contact,
        )
    sql(
        sample,
        "INSERT INTO delivery_event (message_id, at, status, previous, source, detail) "
        "VALUES (1, '2027-01-31 01:15:00', 'delivered', 'sent', 'callback', 'callback: delivered')",
    )
    data = json.loads(report(cli, sample, "--format", "json").stdout)
    assert (data["reached"], data["awaiting_receipt"], data["not_reached"]) == (60, 2, 3)
    assert {u["contact_id"] for u in data["unreached"]}.isdisjoint(seeded["spouses"][25:27])
    (twilio,) = data["gateways"]
    assert (twilio["gateway"], twilio["awaiting_receipt"]) == ("twilio", 4), (
        "messages: these two and day 1's of two cadres delivered on day 2"
    )
    table = report(cli, sample).stdout
    assert "2 sent, awaiting receipt; 3 not reached" in table
    assert (
        "Gateway twilio: 4 receipts outstanding; last receipt 2027-01-31 09:15 (Asia/Shanghai)"
        in table
    )


def test_a_gateway_that_never_reports_delivery_is_named(cli: Any, sample: Path) -> None:
    seed(sample)
    sql(sample, "UPDATE message SET gateway='console' WHERE push='family-greeting'")
    table = report(cli, sample).stdout
    assert "Gateway console does not report delivery" in table


def test_the_report_in_chinese(cli: Any, sample: Path, tmp_path: Path) -> None:
    seed(sample)
    config = sample / "config.yaml"
    config.write_text("language: zh-CN\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    table = report(cli, sample).stdout
    for words in (
        "覆盖率 92.3%",
        "统计区间：2027-01-30 至 2027-02-20",
        "截至 2027-01-31 16:00",
        "按推送日统计",
        "未送达名单（5 人）",
        "已过期",
    ):
        assert words in table, words
    target = tmp_path / "report.xlsx"
    report(cli, sample, "--format", "xlsx", "--output", str(target))
    book = load_workbook(target)
    assert book.sheetnames == ["汇总", "按推送日统计", "按分组统计", "未送达"]
    assert [c.value for c in book["按推送日统计"][1]][:3] == ["日期", "推送", "应发人数"]
    page = tmp_path / "report.html"
    report(cli, sample, "--format", "html", "--output", str(page))
    html = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "某某市纪委监委" in html
    assert "春节期间廉洁提醒情况报告" in html and "统计区间" in html and "截至" in html


def test_the_workbook_is_ready_to_print(cli: Any, sample: Path, tmp_path: Path) -> None:
    seed(sample)
    target = tmp_path / "report.xlsx"
    report(cli, sample, "--format", "xlsx", "--output", str(target))
    book = load_workbook(target)
    groups = book["Per group"]
    header = [c.value for c in groups[1]]
    rows = {row[0].value: row for row in groups.iter_rows(min_row=2)}
    coverage = rows["leading_cadres"][header.index("Coverage")]
    assert coverage.value == round(35 / 36, 4) and coverage.number_format == "0.0%"
    occurrences = book["Per occurrence"]
    assert occurrences["A2"].is_date and occurrences["A2"].number_format == "yyyy-mm-dd"
    for sheet in (groups, occurrences, book["Not reached"]):
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.page_setup.paperSize == 9 and sheet.page_setup.orientation == "landscape"
        # One page wide (1 is the attribute's default in the file format, so it may be left
        # out), as many pages tall as it takes.
        assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert all(sheet.column_dimensions[c].width >= 8 for c in "ABC")
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert summary["Coverage"] == round(60 / 65, 4)


def test_csv_for_excel_on_windows(cli: Any, sample: Path, tmp_path: Path) -> None:
    seed(sample)
    config = sample / "config.yaml"
    config.write_text("language: zh-CN\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / "report.csv"
    report(cli, sample, "--format", "csv", "--output", str(target))
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    report(cli, sample, "--format", "csv", "--encoding", "gb18030", "--output", str(target))
    rows = list(csv.reader(io.StringIO(target.read_bytes().decode("gb18030"))))
    assert rows[0][0].startswith("# 某某市纪委监委 · 春节期间廉洁提醒")
    assert rows[rows.index(["# 按推送日统计"]) + 1][:3] == ["日期", "推送", "应发人数"]


def test_the_terminal_shows_the_first_rows_and_where_the_rest_is(cli: Any, sample: Path) -> None:
    seeded = seed(sample)
    for contact in seeded["leading"][:25]:
        sql(sample, "UPDATE message SET status='failed' WHERE contact_id=:c", c=contact)
    table = report(cli, sample).stdout
    assert "Not reached (30)" in table
    assert "The first 20 of 30 shown; the whole list: reminder report spring-festival" in table
    shown = [line for line in table.splitlines() if "****" in line]
    assert len(shown) == 20
    data = json.loads(report(cli, sample, "--format", "json").stdout)
    assert len(data["unreached"]) == 30 and DAY1.isoformat() <= data["unreached"][0]["last_date"]
