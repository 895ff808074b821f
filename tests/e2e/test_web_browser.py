"""The whole approval story in real headless Chromium, on the sample Spring Festival campaign:
a drafter previews and requests approval, an approver approves, the daemon's run (fake clock)
sends it, the drafter sees it done and the coverage page, and a template edited after approval
holds the next date until it is approved again. Screenshots of the main pages are saved (into
$SCREENSHOTS_DIR when set: how docs/screenshots/ is made)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn

from reminder.clock import FixedClock
from reminder.core.app import App
from reminder.inputs.config import load_config
from reminder.web.routes import create_app

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CAMPAIGN = "spring-festival"
DAY, NEXT = date(2027, 2, 1), date(2027, 2, 2)
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"),
    reason="Debian's chromium and chromium-driver are not installed",
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


@pytest.fixture
def core(sample: Path) -> Iterator[App]:
    config = sample / "config.yaml"
    config.write_text(
        config.read_text("utf-8") + "language: zh-CN\napproval:\n  required: true\n", "utf-8"
    )
    app = App(load_config(config), FixedClock(at(DAY, 7)))
    for name, role in (("li", "drafter"), ("wang", "approver")):
        app.add_user(name, role, PASSWORD, actor="setup")
    yield app
    app.close()


@pytest.fixture
def base_url(core: App) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(core, secure_cookies=False), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
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
        "--window-size=1200,1000",
        "--lang=zh-CN",
        f"--user-data-dir={tmp_path / 'chrome'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(
        service=Service(CHROMEDRIVER or "/usr/bin/chromedriver"), options=options
    )
    yield chrome
    chrome.quit()


class Browser:
    """The steps of the story, in one browser."""

    def __init__(self, driver: Any, base: str, shots: Path) -> None:
        from selenium.webdriver.common.by import By

        self.driver, self.base, self.shots, self.by = driver, base, shots, By

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def text(self, css: str) -> str:
        return str(self.driver.find_element(self.by.CSS_SELECTOR, css).text)

    def click(self, css: str) -> None:
        """Click a button that submits a form, and wait for the next page.

        Chromium may still swap in the document of the navigation before (its node ids change
        under a lookup: "Node with given id does not belong to the document"); that click never
        happened, so it is tried again on the page as it now is.
        """
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        for attempt in range(3):
            WebDriverWait(self.driver, 20).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )
            page = self.driver.find_element(self.by.TAG_NAME, "html")
            try:
                self.driver.find_element(self.by.CSS_SELECTOR, css).click()
                break
            except (StaleElementReferenceException, WebDriverException) as exc:
                gone = isinstance(exc, StaleElementReferenceException) or (
                    "does not belong to the document" in str(exc)
                )
                if not gone or attempt == 2:
                    raise
        WebDriverWait(self.driver, 20).until(expected_conditions.staleness_of(page))

    def log_in(self, name: str) -> None:
        self.open("/login")
        self.driver.find_element(self.by.ID, "name").send_keys(name)
        self.driver.find_element(self.by.ID, "password").send_keys(PASSWORD)
        self.click("#login")
        assert self.text("#who").startswith(name)

    def log_out(self) -> None:
        self.click("header form button")

    def shot(self, name: str) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
        assert self.driver.save_screenshot(str(self.shots / f"{name}.png"))

    def severe(self) -> list[Any]:
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]


def send_due(core: App, moment: datetime) -> list[str]:
    """What the daemon does at `moment`: run every push of the campaign that is due."""
    assert isinstance(core.clock, FixedClock)
    core.clock.set(moment)
    actions = []
    for push in core.project.campaign(CAMPAIGN).pushes:
        actions += [
            o.action for o in core.run_due(CAMPAIGN, push.id) if o.occurrence.day == moment.date()
        ]
    return actions


def test_the_approval_story_in_chromium(
    core: App, base_url: str, driver: Any, sample: Path, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path / "shots")
    browser = Browser(driver, base_url, shots)
    occurrence = f"/campaigns/{CAMPAIGN}/{DAY}"

    browser.log_in("li")
    browser.open(occurrence)
    numbers = [e.text for e in driver.find_elements(browser.by.CSS_SELECTOR, "td.number")]
    assert numbers and all("****" in n for n in numbers)
    browser.driver.find_element(browser.by.CSS_SELECTOR, "#request input[name=comment]").send_keys(
        "请审批春节提醒"
    )
    browser.click("#request button")
    assert "awaiting_approval" in driver.find_element(
        browser.by.CSS_SELECTOR, "#state .state"
    ).get_attribute("class")
    browser.log_out()

    browser.log_in("wang")
    browser.open(occurrence)
    browser.shot("occurrence")
    browser.click("#approvals button.approve")
    assert core.approval_verdict(CAMPAIGN, DAY).may_send
    browser.open(f"/campaigns/{CAMPAIGN}")
    browser.shot("campaign")
    browser.log_out()

    assert "sent" in send_due(core, at(DAY, 8, 31))
    outbox = (sample / "outbox.jsonl").read_text("utf-8").splitlines()
    assert outbox and len(outbox) == core.status_counts(CAMPAIGN)["sent"]

    browser.log_in("li")
    browser.open(occurrence)
    assert "state-done" in driver.find_element(
        browser.by.CSS_SELECTOR, "#state .state"
    ).get_attribute("class")
    browser.open(f"/campaigns/{CAMPAIGN}/report")
    assert browser.text("#coverage").endswith("%")
    browser.shot("report")

    # The next date is approved, then its template changes: held until approved again.
    asked = core.request_approval(CAMPAIGN, day=NEXT, actor="li")
    assert asked.id is not None
    core.decide_approval(asked.id, actor="wang", grant=True)
    template = sample / "templates" / "spring_daily.j2"
    template.write_text(template.read_text("utf-8").replace("廉洁提醒", "廉洁提示"), "utf-8")
    core.reload()
    browser.open(f"/campaigns/{CAMPAIGN}/{NEXT}")
    assert browser.driver.find_elements(browser.by.CSS_SELECTOR, "#request")
    assert browser.driver.find_elements(browser.by.CSS_SELECTOR, "#verdict.warning")
    browser.shot("changed")
    assert send_due(core, at(NEXT, 8, 31)) == ["awaiting_approval"]
    assert len((sample / "outbox.jsonl").read_text("utf-8").splitlines()) == len(outbox)
    browser.log_in("li")  # a day later: the session has expired
    browser.open(f"/campaigns/{CAMPAIGN}/{NEXT}")
    browser.click("#request button")
    browser.log_out()
    browser.log_in("wang")
    browser.open(f"/campaigns/{CAMPAIGN}/{NEXT}")
    browser.click("#approvals button.approve")
    browser.open("/audit")
    assert "approval.granted" in browser.text("main")
    browser.shot("audit")
    assert "sent" in send_due(core, at(NEXT, 8, 40))
    assert browser.severe() == []
    assert core.verify_audit().broken is None
