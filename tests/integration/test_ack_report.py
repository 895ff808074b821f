"""`reminder report` of a campaign whose push asks for an answer: acknowledgement rates per
occurrence and per group beside coverage, the median time to acknowledge, and the contacts who
never acknowledged, in every format; a campaign that asks nothing reports as before."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from reminder.delivery.gateways.base import Inbound
from reminder.delivery.inbound import take_inbound
from reminder.store import open_store
from tests.factories import DAYTIME, ProjectFiles, push

ACK = {"keywords": ["收到", "1"], "within": "24h"}


def answered(cli: Any, files: ProjectFiles) -> None:
    """Three contacts asked (two cadres, one spouse); cadre 1 answers after 90 minutes, the
    spouse with a word that is no answer."""
    files.write(
        campaign={
            "id": "test",
            "name": "测试活动",
            "festival": "spring_festival",
            "window": {"start": "2027-01-30", "end": "2027-02-20"},
            "pushes": [push(ack=ACK, days=["2027-02-01"])],
        },
        templates={"daily.j2": "{{ contact.name }}：节日廉洁提醒。{{ ack }}"},
    )
    sent = cli.at(DAYTIME)("--config", files.config_path, "send", "test", "--yes")
    assert sent.exit_code == 0, sent.output
    store = open_store(f"sqlite:///{files.database}")
    try:
        take_inbound(
            store,
            [Inbound("+8613800130001", "收到！", "r1"), Inbound("+8613900130001", "好", "r2")],
            "CN",
            DAYTIME + timedelta(minutes=90),
            "file",
        )
    finally:
        store.close()


def report(cli: Any, files: ProjectFiles, *args: str) -> Any:
    result = cli.at(DAYTIME + timedelta(days=1))(
        "--config", files.config_path, "report", "test", *args
    )
    assert result.exit_code == 0, result.output
    return result


def test_the_json_report_has_acknowledgements(cli: Any, files: ProjectFiles) -> None:
    answered(cli, files)
    data = json.loads(report(cli, files, "--format", "json").stdout)
    acks = data["acknowledgements"]
    assert (acks["asked"], acks["acknowledged"], acks["rate"]) == (3, 1, 0.3333)
    assert acks["median_seconds"] == 90 * 60
    assert [r["contact_id"] for r in acks["never_acknowledged"]] == ["c002", "f001"]
    assert acks["never_acknowledged"][0]["number"] == "+86 138****0002"
    (occurrence,) = data["occurrences"]
    assert (occurrence["asked"], occurrence["acknowledged"], occurrence["ack_rate"]) == (
        3,
        1,
        0.3333,
    )
    groups = {g["group"]: g for g in data["groups"]}
    assert (groups["everyone"]["coverage"], groups["everyone"]["ack_rate"]) == (1.0, 0.3333)


def test_the_table_csv_html_and_xlsx_show_them(
    cli: Any, files: ProjectFiles, tmp_path: Path
) -> None:
    answered(cli, files)
    table = report(cli, files).output
    assert "Acknowledged 33.3%: 1 of 3 contacts asked answered" in table
    assert "median time to acknowledge 1 h 30 min" in table
    assert "Never acknowledged (2)" in table and "138****0002" in table
    rows = list(csv.reader(io.StringIO(report(cli, files, "--format", "csv").stdout)))
    assert ["# Never acknowledged (2)"] in rows
    heads = next(r for r in rows if r and r[0] == "Date")
    assert heads[-3:] == ["Asked to answer", "Acknowledged", "Acknowledgement rate"]
    page = report(cli, files, "--format", "html").stdout
    assert 'id="acks"' in page and 'id="silent"' in page and "33.3%" in page
    book = tmp_path / "report.xlsx"
    report(cli, files, "--format", "xlsx", "--output", str(book))
    sheets = load_workbook(book, read_only=True)
    assert "Never acknowledged" in sheets.sheetnames
    silent = [row for row in sheets["Never acknowledged"].iter_rows(values_only=True)]
    assert [row[0] for row in silent[1:]] == ["c002", "f001"]
    occurrence = list(sheets["Per occurrence"].iter_rows(values_only=True))
    assert occurrence[0][-1] == "Acknowledgement rate" and occurrence[1][-1] == 0.3333


def test_a_campaign_that_asks_nothing_reports_as_before(cli: Any, files: ProjectFiles) -> None:
    files.write()
    assert cli.at(DAYTIME)("--config", files.config_path, "send", "test", "--yes").exit_code == 0
    data = json.loads(report(cli, files, "--format", "json").stdout)
    assert "acknowledgements" not in data
    assert "ack_rate" not in data["occurrences"][0] and "ack_rate" not in data["groups"][0]
    assert "Acknowledged" not in report(cli, files).output
