"""The web console's pages over a million messages (`python -m bench --only console`).

A project of 2,000 cadres and one Spring Festival campaign whose window comes back every year
(小年 to 元宵节, about 23 days); the store is seeded, newest occurrence first, with one message
per cadre per day back through the years until it holds `count` messages (a million: about 22
years of the campaign), 3 % failed and 1 % of unknown fate, with some approvals, audit entries
and suppressions. The console runs in a process of its own (`python -m bench.console serve
CONFIG PORT`: uvicorn on 127.0.0.1, its clock pinned to noon of 2027-02-10, inside the 2027
window), a client logs in and GETs each main page `REPEAT` times after one warm-up request; the
figure is the 95th percentile of those times against 200 ms. On SQLite always, on PostgreSQL
when one answers (`bench.receipts.databases`).
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.receipts import databases, free_port
from bench.workload import write_project
from reminder.clock import FixedClock

HERE = Path(__file__).resolve().parent
#: Noon in Shanghai on 2027-02-10, inside the 2027 window, after its seeded days.
MOMENT = datetime(2027, 2, 10, 4, 0, tzinfo=UTC)
TODAY = date(2027, 2, 10)
CONTACTS = 2_000
GOAL_MS = 200.0
PASSWORD = "bench password 1"
COLUMNS = (
    "campaign, push, occurrence, contact_id, recipient, body, segments, encoding, template, "
    "variables, status, attempts, gateway, error_code, error_text, sent_at, created_at, updated_at"
)
PAGES = {
    "index": "/",
    "campaign board": "/campaigns/bench",
    "occurrence": f"/campaigns/bench/{TODAY}",
    "approvals": "/approvals",
    "audit": "/audit",
    "report": "/campaigns/bench/report",
    "suppressions": "/suppressions",
}


def write_console_project(root: Path, url: str) -> Path:
    """The bench project (`bench.workload`) with a yearly window, approval required and the
    store at `url`; the config's path."""
    config = write_project(root, CONTACTS)
    config.write_text(
        f"database_url: '{url}'\nper_number_cap: null\ngateway: console\n"
        "approval: {required: true}\n",
        encoding="utf-8",
    )
    (root / "campaigns" / "bench.yaml").write_text(
        "id: bench\nname: 基准测试\nfestival: spring_festival\n"
        "window: {start: little_new_year, end: lantern}\n"
        "pushes:\n  - {id: daily, audience: [everyone], template: daily.j2, cases: all, "
        "send_at: '08:30'}\n",
        encoding="utf-8",
    )
    return config


def _days(config: Path, count: int) -> list[date]:
    """The campaign's dates up to today, newest first, enough for `count` messages."""
    from reminder.core.app import App
    from reminder.inputs.config import load_config
    from reminder.planning.occurrences import occurrences

    app = App(load_config(config), FixedClock(MOMENT))
    campaign = app.project.campaign("bench")
    push = campaign.pushes[0]
    wanted = -(-count // CONTACTS)
    found: list[date] = []
    year = TODAY.year
    while len(found) < wanted:
        first, last = date(year, 1, 1), min(date(year, 12, 31), TODAY)
        days = [o.day for o in occurrences(campaign, push, "Asia/Shanghai", first, last)]
        found += sorted(days, reverse=True)
        year -= 1
    app.close()
    return found[:wanted]


def _rows(days: list[date], count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        day, i = days[n // CONTACTS], n % CONTACTS
        sent = datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC).isoformat(sep=" ")[:19]
        status, code, text = "delivered", None, None
        if n % 33 == 5:
            status, code, text = "failed", "30003", "Unreachable destination handset"
        elif n % 97 == 7:
            status = "unknown"
        yield (
            "bench", "daily", day.isoformat(), f"c{i:07d}", f"+86138{i:08d}", "【测试】提醒",
            1, "UCS-2", "daily.j2", "{}", status, 1, "console", code, text, sent, sent, sent,
        )  # fmt: skip


def seed(config: Path, url: str, count: int, audit_entries: int) -> None:
    """`count` messages (executemany on SQLite, COPY on PostgreSQL), then through the core:
    users, approvals of the last few dates, audit entries and suppressions."""
    from reminder.core.app import App
    from reminder.inputs.config import load_config
    from reminder.store import open_store

    open_store(url).close()
    rows = _rows(_days(config, count), count)
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        marks = ", ".join("?" * 18)
        with db:
            db.executemany(f"INSERT INTO message ({COLUMNS}) VALUES ({marks})", rows)
        db.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
            with db.cursor().copy(f"COPY message ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            db.execute("ANALYZE message")
    app = App(load_config(config), FixedClock(MOMENT))
    try:
        app.add_user("admin", "admin", PASSWORD, actor="bench")
        app.add_user("drafter", "drafter", PASSWORD, actor="bench")
        for offset in range(1, 4):
            asked = app.request_approval(
                "bench", day=date(2027, 2, 10 + offset), actor="drafter", comment="请审批"
            )
            assert asked.id is not None
            if offset < 3:
                app.decide_approval(asked.id, actor="admin", grant=True, comment="同意")
        for n in range(audit_entries):
            app.audit("bench", "occurrence.sent", f"bench/2027-02-{1 + n % 9:02d}", sent=2000)
        for n in range(200):
            app.suppress(f"+86139{n:08d}", "bench", actor="bench")
    finally:
        app.close()


@contextmanager
def console(config: Path) -> Iterator[str]:
    """The console in its own process; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.console", "serve", str(config), str(port)],
        cwd=HERE.parent,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def time_pages(base: str, repeat: int) -> dict[str, float]:
    """Log in, then each page's p95 in milliseconds over `repeat` GETs after one warm-up."""
    with httpx.Client(base_url=base, timeout=60) as client:
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert found, "no login form"
        login = client.post(
            "/login", data={"name": "admin", "password": PASSWORD, "csrf": found[1]}
        )
        assert login.status_code == 303, login.text
        figures = {}
        for name, path in PAGES.items():
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                answer = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, (path, answer.status_code)
            figures[name] = p95(times)
    return figures


def bench_console(sizes: dict[str, Any], folder: Path, row: Callable[..., Any]) -> list[Any]:
    """Seed, serve and time the pages on every database (see the module docstring)."""
    count, repeat = sizes["console"], sizes["console_repeat"]
    rows = []
    with databases(folder) as kinds:
        for name, fresh in kinds:
            url = fresh("console")
            config = write_console_project(folder / f"console-{name}", url)
            start = time.perf_counter()
            seed(config, url, count, sizes["console_audit"])
            seeded = time.perf_counter() - start
            rows.append(row(f"console {name}: seed {count:,} (s)", seeded, "s", "-", 0, 0, "info"))
            with console(config) as base:
                figures = time_pages(base, repeat)
            rows += [
                row(f"console {name} {page} p95 (ms)", ms, "ms", "goal", GOAL_MS,
                    ms / GOAL_MS, "<= 1")
                for page, ms in figures.items()
            ]  # fmt: skip
    return rows


def serve(config: str, port: int) -> None:
    """The console on `config`, its clock pinned at `MOMENT`, on 127.0.0.1:`port`."""
    import uvicorn

    from reminder.core.app import App
    from reminder.inputs.config import load_config
    from reminder.web.routes import create_app

    app = App(load_config(Path(config)), FixedClock(MOMENT))
    app.load()
    uvicorn.run(
        create_app(app, secure_cookies=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    serve(sys.argv[2], int(sys.argv[3]))
