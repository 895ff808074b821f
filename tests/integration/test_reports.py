"""`reminder report` on a store seeded with a known mix of outcomes: exact figures in every
format; the workbook opens with openpyxl; the HTML page renders in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from reminder.inputs.config import load_config
from reminder.inputs.project import load_project
from reminder.store import NewMessage, open_store
from tests.support.stores import add_planned

NOW = datetime(2027, 1, 31, 8, 0, tzinfo=UTC)
DAY1, DAY2 = date(2027, 1, 30), date(2027, 1, 31)


def seed(sample: Path) -> dict[str, Any]:
    """Day 1: leading cadres 30 delivered, 3 failed, 2 sent (no receipt yet), 1 planned; spouses
    25 delivered, 2 undelivered, 2 suppressed. Day 2: leading cadres all delivered but one of
    day 1's failed ones, whose message expired. So 60 of 65 contacts are reached."""
    project = load_project(load_config(sample / "config.yaml"))
    leading = [c.id for c in project.audience("spring-festival", "daily-leading")]
    spouses = [c.id for c in project.audience("spring-festival", "family-greeting")]
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    plan: list[tuple[date, str, str, str, str | None, str | None]] = []
    for i, cid in enumerate(leading):
        status, code, error = "delivered", None, None
        if 30 <= i < 33:
            status, code, error = "failed", "30006", "Landline or unreachable carrier"
        elif i in (33, 34):
            status = "sent"
        elif i == 35:
            status = "planned"
        plan.append((DAY1, "daily-leading", cid, status, code, error))
        day2 = (
            ("expired", None, "missed by 3h00m (grace 120 min)")
            if i == 30
            else ("delivered", None, None)
        )
        plan.append((DAY2, "daily-leading", cid, *day2))
    for i, cid in enumerate(spouses):
        status, code, error = "delivered", None, None
        if i in (25, 26):
            status, code, error = "undelivered", "30003", "Unreachable destination handset"
        elif i in (27, 28):
            status, error = "skipped", "suppressed: opted out by reply 'STOP'"
        plan.append((DAY1, "family-greeting", cid, status, code, error))
    ids = add_planned(
        store,
        [
            NewMessage(
                "spring-festival",
                push,
                day,
                cid,
                project.book.contacts[cid].phone,
                "【测】",
                1,
                "UCS-2",
                "t.j2",
                {},
                None,
            )
            for day, push, cid, *_ in plan
        ],
        NOW,
    )
    with store.engine.begin() as connection:
        for message_id, (_, _, _, status, code, error) in zip(ids, plan, strict=True):
            connection.execute(
                text(
                    "UPDATE message SET status=:s, error_code=:c, error_text=:e, "
                    "skip_reason=:r, gateway='twilio' WHERE id=:i"
                ),
                {
                    "s": status,
                    "c": code,
                    "e": error,
                    "r": "suppressed" if status == "skipped" else None,
                    "i": message_id,
                },
            )
    store.close()
    never = [leading[30], *spouses[25:29]]
    return {"leading": leading, "spouses": spouses, "never": never}


def report(cli: Any, sample: Path, *args: str) -> Any:
    """The report as made on day 2 (NOW), while the window runs."""
    result = cli.at(NOW)("--config", sample / "config.yaml", "report", "spring-festival", *args)
    assert result.exit_code == 0, result.output
    return result


def test_json_figures(cli: Any, sample: Path) -> None:
    seeded = seed(sample)
    data = json.loads(report(cli, sample, "--format", "json").stdout)
    assert (data["targeted"], data["reached"], data["coverage"]) == (65, 60, round(60 / 65, 4))
    assert (data["awaiting_receipt"], data["not_reached"]) == (0, 5)
    assert data["period"]["first"] == "2027-01-30" and data["period"]["as_of"].startswith(
        "2027-01-31T16:00"
    ), "the window (小年 to 元宵) is still running: as of the report's moment, in Beijing time"
    assert data["timezone"] == "Asia/Shanghai" and data["generated_at"].endswith("+08:00")
    occurrences = {(o["date"], o["push"]): o for o in data["occurrences"]}
    assert occurrences[("2027-01-30", "daily-leading")] == {
        "date": "2027-01-30",
        "push": "daily-leading",
        "targeted": 36,
        "delivered": 30,
        "sent": 2,
        "failed": 3,
        "pending": 1,
        "unknown": 0,
        "skipped": 0,
        "skipped_by_reason": {},
    }
    family = occurrences[("2027-01-30", "family-greeting")]
    assert (family["delivered"], family["failed"], family["skipped"]) == (25, 2, 2)
    assert family["skipped_by_reason"] == {"suppressed": 2}
    second = occurrences[("2027-01-31", "daily-leading")]
    assert (second["delivered"], second["skipped"], second["skipped_by_reason"]) == (
        35,
        1,
        {"expired": 1},
    )
    groups = {g["group"]: g for g in data["groups"]}
    assert (groups["leading_cadres"]["targeted"], groups["leading_cadres"]["reached"]) == (36, 35)
    assert (
        groups["families_of_leading"]["targeted"],
        groups["families_of_leading"]["reached"],
    ) == (29, 25)
    unreached = {u["contact_id"]: u for u in data["unreached"]}
    assert sorted(unreached) == sorted(seeded["never"])
    first = unreached[seeded["never"][0]]
    assert first["last_status"] == "expired" and first["last_date"] == "2027-01-31"
    assert "****" in first["number"]
    spouse = unreached[seeded["spouses"][25]]
    assert spouse["last_error"] == "30003 Unreachable destination handset"


def test_one_date_and_show_numbers(cli: Any, sample: Path) -> None:
    seed(sample)
    data = json.loads(
        report(cli, sample, "--format", "json", "--date", "2027-01-31", "--show-numbers").stdout
    )
    assert (data["targeted"], data["reached"]) == (36, 35)
    assert all(u["number"].startswith("+86") and "*" not in u["number"] for u in data["unreached"])
    config = sample / "config.yaml"
    report(cli, sample, "--format", "json")  # masked: not in the audit trail
    cli("--config", config, "log", "--json", "--show-numbers")
    cli("--config", config, "preview", "spring-festival", "--date", "2027-01-31", "--show-numbers")
    trail = json.loads(cli("--config", config, "audit", "show", "--json").stdout)
    shown = [(e["actor"], e["subject"], e["details"]["what"]) for e in trail
             if e["action"] == "numbers.shown"]  # fmt: skip
    assert [subject for _actor, subject, _what in shown] == [
        "spring-festival/2027-01-31",
        "*",
        "spring-festival/2027-01-31",
    ]
    assert [what for _actor, _subject, what in shown] == ["report", "log", "preview"]
    assert all(actor.startswith("cli") for actor, _subject, _what in shown)


def test_csv_table_and_xlsx_hold_the_same_numbers(cli: Any, sample: Path, tmp_path: Path) -> None:
    seed(sample)
    text = report(cli, sample, "--format", "csv").stdout
    assert text.startswith("\ufeff"), "UTF-8 with a byte-order mark: Excel on Windows reads it"
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][0] == "# 某某市纪委监委 · 春节期间廉洁提醒 (spring-festival)"
    assert any(r and r[0].startswith("# Coverage 92.3%: 60 of 65 contacts reached") for r in rows)
    header = rows.index(["# Per occurrence"]) + 1
    assert rows[header][:3] == ["Date", "Push", "Targeted"]
    assert rows[header + 1][:9] == [
        "2027-01-30",
        "daily-leading",
        *("36", "30", "2", "3", "1", "0", "0"),
    ]
    table = report(cli, sample).stdout
    assert "Coverage 92.3%: 60 of 65 contacts reached" in table
    assert "Not reached (5)" in table
    target = tmp_path / "report.xlsx"
    report(cli, sample, "--format", "xlsx", "--output", str(target))
    book = load_workbook(target)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    assert (summary["Targeted"], summary["Reached"]) == (65, 60)
    occurrences = list(book["Per occurrence"].iter_rows(values_only=True))
    assert occurrences[1][:9] == (
        datetime(2027, 1, 30),
        "daily-leading",
        *(36, 30, 2, 3, 1, 0, 0),
    ), "dates as dates"
    assert len(list(book["Not reached"].iter_rows(values_only=True))) == 1 + 5
    missing = cli(
        "--config", sample / "config.yaml", "report", "spring-festival", "--format", "xlsx"
    )
    assert missing.exit_code == 2 and "--output" in missing.output


def test_html_is_self_contained(cli: Any, sample: Path, tmp_path: Path) -> None:
    seed(sample)
    target = tmp_path / "report.html"
    report(cli, sample, "--format", "html", "--output", str(target))
    page = target.read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    assert page.count('class="reached"') == 2 and page.count('class="failed"') == 1
    assert "@page { size: A4" in page
    assert 'id="coverage">92.3%' in page


CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


#: The families the page names for Chinese text (`reminder.views.report_html.FONTS`).
CJK_FAMILIES = {
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimSun",
    "PingFang SC",
}
SCREENSHOT = Path(__file__).parents[2] / "docs" / "report-zh-CN.png"


def chromium(tmp_path: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,1400",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chrome'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(
        service=Service(CHROMEDRIVER or "/usr/bin/chromedriver"), options=options
    )


def fonts_of_chinese_text(driver: Any) -> dict[str, set[str]]:
    """For every element whose own text holds Chinese, the fonts Chromium drew it with (the
    DevTools protocol's `CSS.getPlatformFontsForNode`): a character no named font covers is
    drawn with some other font, or as a box."""
    driver.execute_cdp_cmd("DOM.enable", {})
    driver.execute_cdp_cmd("CSS.enable", {})
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": -1})["root"]
    found: dict[str, set[str]] = {}

    def walk(node: dict[str, Any]) -> None:
        value = node.get("nodeValue", "")
        if node.get("nodeType") == 3 and any("\u4e00" <= ch <= "\u9fff" for ch in value):
            fonts = driver.execute_cdp_cmd(
                "CSS.getPlatformFontsForNode", {"nodeId": node["parentId"]}
            )["fonts"]
            found[value.strip()[:40]] = {f["familyName"] for f in fonts}
        for child in node.get("children", []):
            child.setdefault("parentId", node["nodeId"])
            walk(child)

    walk(root)
    return found


@pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER) and not __import__("os").environ.get("CI"),
    reason="Debian's chromium and chromium-driver are not installed",
)
def test_html_renders_in_headless_chromium_with_every_chinese_glyph(
    cli: Any, sample: Path, tmp_path: Path
) -> None:
    """The zh-CN report in Debian's Chromium (with fonts-noto-cjk): bars, rows, no errors, and
    every Chinese character drawn by a font the page names — none falls back to a box. The
    screenshot is the one in the README."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    seed(sample)
    config = sample / "config.yaml"
    config.write_text("language: zh-CN\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / "report.html"
    report(cli, sample, "--format", "html", "--output", str(target))
    driver = chromium(tmp_path)
    try:
        driver.get(target.as_uri())
        bars = driver.find_elements(By.CSS_SELECTOR, "#chart svg rect")
        assert len(bars) == 4 and all(bar.size["height"] > 0 for bar in bars)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#chart svg line.grid")) >= 3
        rows = driver.find_elements(By.CSS_SELECTOR, "#unreached tbody tr")
        assert len(rows) == 5
        drawn = fonts_of_chinese_text(driver)
        shot = tmp_path / "report.png"
        assert driver.save_screenshot(str(shot))
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert errors == []
    assert len(drawn) > 10, drawn
    boxes = {text: fonts for text, fonts in drawn.items() if not fonts <= CJK_FAMILIES}
    assert not boxes, f"Chinese text drawn with fonts the page does not name: {boxes}"
    image = Image.open(shot).convert("L")
    low, high = image.getextrema()
    assert image.size[0] >= 800 and high - low > 100, "the screenshot is not blank"
    if __import__("os").environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        Image.open(shot).save(SCREENSHOT, optimize=True)


def test_a_page_without_the_cjk_fonts_is_caught(tmp_path: Path) -> None:
    """The check above fails on a page that names only a font without Chinese."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    page = tmp_path / "latin.html"
    page.write_text(
        "<html><body style=\"font-family: 'DejaVu Sans'\"><p>统计区间</p></body></html>",
        encoding="utf-8",
    )
    driver = chromium(tmp_path)
    try:
        driver.get(page.as_uri())
        drawn = fonts_of_chinese_text(driver)
    finally:
        driver.quit()
    assert not drawn["统计区间"] <= CJK_FAMILIES, f"drawn by a font the page never named: {drawn}"


def test_unknown_is_counted_apart_from_pending_in_every_format(
    cli: Any, sample: Path, tmp_path: Path
) -> None:
    """Day 1 of the leading cadres as seeded, but one of the two `sent` ones lost its answer
    (`unknown`) and the `planned` one is being sent: pending 1 (sending), unknown 1."""
    seeded = seed(sample)
    store = open_store(f"sqlite:///{sample / 'reminder.db'}")
    with store.engine.begin() as connection:
        for contact, status in (
            (seeded["leading"][34], "unknown"),
            (seeded["leading"][35], "sending"),
        ):
            connection.execute(
                text("UPDATE message SET status=:s WHERE contact_id=:c AND occurrence=:d"),
                {"s": status, "c": contact, "d": DAY1.isoformat()},
            )
    store.close()
    expected = {"sent": 1, "failed": 3, "pending": 1, "unknown": 1, "skipped": 0}

    data = json.loads(report(cli, sample, "--format", "json").stdout)
    first = next(
        o for o in data["occurrences"] if (o["date"], o["push"]) == ("2027-01-30", "daily-leading")
    )
    assert {key: first[key] for key in expected} == expected

    rows = list(csv.reader(io.StringIO(report(cli, sample, "--format", "csv").stdout[1:])))
    header = [h.lower() for h in rows[rows.index(["# Per occurrence"]) + 1]]
    row = dict(zip(header, rows[rows.index(["# Per occurrence"]) + 2], strict=True))
    assert {key: int(row[key if key != "sent" else "sent, no receipt"]) for key in expected} == (
        expected
    )

    target = tmp_path / "report.xlsx"
    report(cli, sample, "--format", "xlsx", "--output", str(target))
    sheet = list(load_workbook(target)["Per occurrence"].iter_rows(values_only=True))
    row = dict(zip([h.lower() for h in sheet[0]], sheet[1], strict=True))
    assert {key: row[key if key != "sent" else "sent, no receipt"] for key in expected} == (
        expected
    )

    table = report(cli, sample).stdout
    line = next(x for x in table.splitlines() if "2027-01-30" in x and "daily-leading" in x)
    head = next(x for x in table.splitlines() if "Targeted" in x)
    cells = [c.strip() for c in line.split("│")[1:-1]]
    names = [c.strip().lower() for c in head.split("┃")[1:-1]]
    names = ["sent" if n.startswith("sent") else n for n in names]
    assert {key: int(dict(zip(names, cells, strict=True))[key]) for key in expected} == expected

    page = tmp_path / "report.html"
    report(cli, sample, "--format", "html", "--output", str(page))
    html = page.read_text(encoding="utf-8")
    assert "<th>Pending</th><th>Unknown</th>" in html
    cells = '<td class="n">3</td><td class="n">1</td><td class="n">1</td><td class="n">0</td>'
    assert cells in html  # failed, pending, unknown, skipped
    assert html.count('class="unknown"') == 1 and "2027-01-30 unknown: 1" in html
