"""Crash suite: `reminder send` killed with SIGKILL at random points, then run again.

Twenty runs, each on its own occurrence of the sample Spring Festival campaign, through the
Twilio gateway to a Twilio-like server on 127.0.0.1. After each restart the server must have
accepted every message of the occurrence exactly once: zero duplicates, zero lost.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from tests.e2e.test_cli_subprocess import copy_sample
from tests.e2e.test_daemon_subprocess import wait_for
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, TwilioLikeServer

RUNS = 20


def send(root: Path, day: date, capture: bool = False) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    env["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reminder",
            "send",
            "spring-festival",
            "--date",
            day.isoformat(),
            "--yes",
            "--ignore-quiet-hours",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )


def statuses(root: Path, day: date) -> Counter[str]:
    with sqlite3.connect(root / "reminder.db") as db:
        rows = db.execute(
            "select status, count(*) from message where occurrence = ? group by status",
            (day.isoformat(),),
        ).fetchall()
    return Counter(dict(rows))


def approve_year(root: Path, year: int = 2027) -> None:
    """Approval is on (the gateway reaches phones): a drafter requests the campaign year and an
    approver grants it, as the store of a real office holds them before the festival."""
    from reminder.clock import SystemClock
    from reminder.core.app import App
    from reminder.inputs.config import load_config

    os.environ["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    try:
        with App(load_config(root / "config.yaml"), SystemClock()) as app:
            assert app.approval_required()
            app.add_user("li", "drafter", "drafter password", actor="setup")
            app.add_user("wang", "approver", "approver password", actor="setup")
            asked = app.request_approval("spring-festival", year=year, actor="li")
            assert asked.id is not None
            app.decide_approval(asked.id, actor="wang", grant=True)
    finally:
        del os.environ["TWILIO_AUTH_TOKEN"]


def test_sigkill_at_random_points_never_duplicates_or_loses(tmp_path: Path) -> None:
    rng = random.Random(2027)
    root = copy_sample(tmp_path)
    kills_mid_dispatch = 0
    with TwilioLikeServer(delay=0.02) as server:
        (root / "config.yaml").write_text(
            "per_number_cap: null\ngateway: twilio\ngateways:\n  twilio:\n"
            f"    account_sid: {ACCOUNT_SID}\n    auth_token: ${{TWILIO_AUTH_TOKEN}}\n"
            f"    from_number: '+15005550006'\n    base_url: {server.url}\n"
            "    delivery: {concurrency: 4, segments_per_second: null}\n",
            encoding="utf-8",
        )
        approve_year(root)
        for run in range(RUNS):
            day = date(2027, 1, 30) + timedelta(days=run)
            before = len(server.recorded.accepted)
            victim = send(root, day)
            if run % 2 == 0:  # somewhere in the dispatch: after k messages were accepted
                k = rng.randint(1, 30)

                def reached(b: int = before, k: int = k, v: subprocess.Popen[str] = victim) -> bool:
                    return len(server.recorded.accepted) - b >= k or v.poll() is not None

                wait_for(reached, "the dispatch to reach the kill point")
            else:  # anywhere from start-up through planning to dispatch
                time.sleep(rng.uniform(0.0, 1.5))
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
            if len(server.recorded.accepted) > before:
                kills_mid_dispatch += 1

            again = send(root, day, capture=True)
            _, err = again.communicate(timeout=120)
            assert again.returncode == 0, err

            planned = sum(statuses(root, day).values())
            received = Counter((f["To"], f["Body"]) for f in server.recorded.accepted[before:])
            assert statuses(root, day) == Counter({"sent": planned}), (run, statuses(root, day))
            assert len(received) == planned, f"run {run}: lost messages"
            assert max(received.values()) == 1, f"run {run}: duplicates"
    assert kills_mid_dispatch >= 10, "most kills happened mid-dispatch"
