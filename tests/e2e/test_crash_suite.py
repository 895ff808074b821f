"""Crash suite: `reminder send` killed with SIGKILL at random points, then run again.

Twenty runs, each on its own occurrence of the sample Spring Festival campaign, through the
Twilio gateway to a Twilio-like server on 127.0.0.1. After each restart the server must have
accepted every message of the occurrence exactly once: zero duplicates, zero lost.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from tests.e2e.test_cli_subprocess import copy_sample
from tests.support.crash import Resumed, kill_and_resume, statuses
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, TwilioLikeServer

RUNS = 20


def approve_year(root: Path, year: int = 2027) -> None:
    """Approval is on (the gateway reaches phones): a drafter requests the campaign year and an
    approver grants it, as the store of a real office holds them before the festival."""
    from reminder.clock import SystemClock
    from reminder.core.app import App
    from reminder.inputs.config import load_config

    os.environ["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    try:
        with App(load_config(root / "config.yaml"), SystemClock()) as app:
            assert app.approval_required
            app.add_user("li", "drafter", "drafter password", actor="setup")
            app.add_user("wang", "approver", "approver password", actor="setup")
            asked = app.request_approval("spring-festival", year=year, actor="li")
            assert asked.id is not None
            app.decide_approval(asked.id, actor="wang", grant=True)
    finally:
        del os.environ["TWILIO_AUTH_TOKEN"]


def test_sigkill_at_random_points_never_duplicates_or_loses(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    with TwilioLikeServer(delay=0.02) as server:
        (root / "config.yaml").write_text(
            "per_number_cap: null\ngateway: twilio\ngateways:\n  twilio:\n"
            f"    account_sid: {ACCOUNT_SID}\n    auth_token: ${{TWILIO_AUTH_TOKEN}}\n"
            f"    from_number: '+15005550006'\n    base_url: {server.url}\n"
            "    delivery: {concurrency: 4, segments_per_second: null}\n",
            encoding="utf-8",
        )
        approve_year(root)

        def check(done: Resumed) -> None:
            planned = sum(statuses(root, done.day).values())
            received = Counter(
                (f["To"], f["Body"]) for f in server.recorded.accepted[done.before :]
            )
            assert statuses(root, done.day) == Counter({"sent": planned}), done
            assert len(received) == planned, f"run {done.run}: lost messages"
            assert max(received.values()) == 1, f"run {done.run}: duplicates"

        mid_dispatch = kill_and_resume(
            root,
            runs=RUNS,
            seed=2027,
            env={"TWILIO_AUTH_TOKEN": AUTH_TOKEN},
            accepted=lambda: len(server.recorded.accepted),
            check=check,
        )
    assert mid_dispatch >= 10, "most kills happened mid-dispatch"
