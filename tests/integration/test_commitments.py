"""`reminder commitments` on the sample data with the family commitment campaign of
docs/examples: spouses of leading cadres are asked to commit, some answer (one family twice, one
with a word that is no answer), and the list — one per family, masked unless asked — is exported
as CSV, JSON, HTML and xlsx."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from reminder.delivery.gateways.base import Inbound
from reminder.delivery.inbound import take_inbound
from reminder.store import open_store

REPO = Path(__file__).resolve().parents[2]
ASKED = datetime(2027, 2, 3, 2, 0, tzinfo=UTC)  # holiday_start-2d, 10:00 in Shanghai


@pytest.fixture
def committed(cli: Any, sample: Path) -> Path:
    examples = REPO / "docs" / "examples"
    shutil.copy(examples / "family-commitment.yaml", sample / "campaigns")
    shutil.copy(examples / "family_commitment.j2", sample / "templates")
    config = sample / "config.yaml"
    sent = cli.at(ASKED)(
        "--config", config, "send", "family-commitment", "--push", "commitment", "--yes"
    )
    assert sent.exit_code == 0, sent.output
    outbox = [
        json.loads(line) for line in (sample / "outbox.jsonl").read_text("utf-8").splitlines()
    ]
    to = {m["contact_id"]: m["to"] for m in outbox}
    assert {"f001", "f002", "f003"} <= to.keys() and all("承诺" in m["body"] for m in outbox)
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    try:
        for minutes, replies in (
            (30, [Inbound(to["f001"], "承诺", "r1"), Inbound(to["f003"], "hello", "r3")]),
            (45, [Inbound(to["f002"], " 同意。", "r2")]),
            (60, [Inbound(to["f001"], "承诺！", "r4")]),  # the same family again: not listed
        ):
            take_inbound(store, replies, "CN", ASKED + timedelta(minutes=minutes), "file")
    finally:
        store.close()
    return config


def export(cli: Any, config: Path, *args: str) -> Any:
    result = cli("--config", config, "commitments", "family-commitment", *args)
    assert result.exit_code == 0, result.output
    return result


def test_json_lists_one_commitment_per_family_masked(cli: Any, committed: Path) -> None:
    data = json.loads(export(cli, committed, "--format", "json").stdout)
    assert data["pushes"] == ["commitment"] and data["repeated"] == 1
    rows = data["commitments"]
    assert [(r["family"], r["contact_id"], r["relation"]) for r in rows] == [
        ("c001", "f001", "spouse"),
        ("c002", "f002", "spouse"),
    ]
    assert rows[0]["committed_at"] == "2027-02-03 10:30" and rows[0]["words"] == "承*"
    assert "****" in rows[0]["number"]
    full = json.loads(export(cli, committed, "--format", "json", "--show-numbers").stdout)
    assert [r["words"] for r in full["commitments"]] == ["承诺", "同意。"]
    assert full["commitments"][0]["number"].startswith("+86")


def test_csv_html_and_xlsx(cli: Any, committed: Path, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(export(cli, committed).stdout)))
    assert rows[0] == ["# Commitments of 春节廉洁家风承诺 (family-commitment): 2"]
    assert rows[2][:3] == ["Family of (cadre id)", "Cadre", "Contact id"]
    assert [r[2] for r in rows[3:]] == ["f001", "f002"]
    page = export(cli, committed, "--format", "html").stdout
    assert page.startswith("<!DOCTYPE html>") and page.count("<tr>") == 3
    book = tmp_path / "承诺.xlsx"
    export(cli, committed, "--format", "xlsx", "--output", str(book))
    sheet = load_workbook(book, read_only=True).active
    assert sheet is not None
    cells = list(sheet.iter_rows(values_only=True))
    assert [c[2] for c in cells[1:]] == ["f001", "f002"]
    written = tmp_path / "commitments.csv"
    export(cli, committed, "--output", str(written))
    assert written.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"


def test_xlsx_needs_an_output_file(cli: Any, committed: Path) -> None:
    result = cli("--config", committed, "commitments", "family-commitment", "--format", "xlsx")
    assert result.exit_code != 0 and "--output" in result.output
