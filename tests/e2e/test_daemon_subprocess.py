"""`reminder run` as a real subprocess: SIGTERM in the middle of a dispatch, then a restart.

The daemon runs on a simulated clock that starts two seconds before the 08:30 occurrence and
runs at real speed; the Twilio-like server on 127.0.0.1 answers slowly, so the dispatch is still
going when the signal arrives.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.e2e.test_cli_subprocess import copy_sample
from tests.support.crash import wait_for
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, TwilioLikeServer


def start(root: Path, *run_args: str) -> subprocess.Popen[str]:
    """`reminder run RUN_ARGS` in `root`, its output appended to run.log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    env["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    with (root / "run.log").open("a") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [sys.executable, "-m", "reminder", "run", *run_args],
            cwd=root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )


def counts(root: Path) -> Counter[str]:
    if not (root / "reminder.db").exists():
        return Counter()
    with sqlite3.connect(root / "reminder.db") as db:
        try:
            rows = db.execute(
                "select status, count(*) from message where push='daily-leading' group by status"
            ).fetchall()
        except sqlite3.OperationalError:
            return Counter()
    return Counter(dict(rows))


def test_sigterm_mid_dispatch_then_restart_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    with TwilioLikeServer(delay=0.15) as server:
        (root / "config.yaml").write_text(
            "approval: {required: false}\ngateway: twilio\ngateways:\n  twilio:\n"
            f"    account_sid: {ACCOUNT_SID}\n    auth_token: ${{TWILIO_AUTH_TOKEN}}\n"
            f"    from_number: '+15005550006'\n    base_url: {server.url}\n"
            "    delivery: {segments_per_second: null}\n",
            encoding="utf-8",
        )
        daemon = start(root, "--clock-start", "2027-01-30T08:29:58+08:00")
        try:
            wait_for(lambda: len(server.recorded.accepted) >= 5, "the dispatch to start")
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
        first = counts(root)
        accepted_first = len(server.recorded.accepted)
        assert first["sent"] == accepted_first, "every accepted message was recorded as sent"
        assert 5 <= accepted_first < 36, "the signal came mid-dispatch"
        assert first["planned"] == 36 - accepted_first
        assert "finishing the message in flight" in (root / "run.log").read_text()

        daemon = start(
            root, "--clock-start", "2027-01-30T08:31:00+08:00"
        )  # within the 2 h grace period
        try:
            wait_for(lambda: counts(root)["sent"] == 36, "the rest to be sent")
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()

    recipients = Counter(request["To"] for request in server.recorded.accepted)
    assert len(recipients) == 36, "nobody was lost"
    assert max(recipients.values()) == 1, "nobody got it twice"
    assert counts(root) == Counter({"sent": 36})
    log = (root / "run.log").read_text()
    assert "spring-festival/daily-leading 2027-01-30: sent" in log
    assert "+86138" not in log and "+86 138" not in log.replace("****", "")


def test_sighup_reloads_the_campaign_files(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    (root / "config.yaml").write_text("gateway: file\n", encoding="utf-8")
    # One simulated minute per real second, from 08:00 on Little New Year.
    daemon = start(root, "--clock-start", "2027-01-30T08:00:00+08:00", "--clock-speed", "60")
    try:
        wait_for(lambda: "running: 5 jobs" in (root / "run.log").read_text(), "the start")
        started = next(
            line for line in (root / "run.log").read_text().splitlines() if "running: 5" in line
        )
        # The rehearsal's time, in the campaign's zone with the zone shown, not the machine's.
        assert started.startswith("2027-01-30 08:0"), started
        assert " (Asia/Shanghai) INFO " in started, started
        campaign = root / "campaigns" / "spring-festival.yaml"
        campaign.write_text(
            campaign.read_text(encoding="utf-8").replace('"08:30"', '"08:05"'), encoding="utf-8"
        )
        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: "campaign files reloaded" in (root / "run.log").read_text(), "reload")
        wait_for(lambda: counts(root)["sent"] == 36, "the 08:05 occurrence")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    with sqlite3.connect(root / "reminder.db") as db:
        (sent_at,) = db.execute("select min(sent_at) from message").fetchone()
    # Stored in UTC: 08:05 in Shanghai is 00:05 UTC; sent before the old 08:30 time.
    assert sent_at.startswith("2027-01-30 00:0"), sent_at


def test_run_serves_callbacks_in_process(tmp_path: Path) -> None:
    import httpx
    from twilio.request_validator import RequestValidator

    from tests.support.servers import free_port

    root = copy_sample(tmp_path)
    port = free_port()
    with TwilioLikeServer() as server:
        (root / "config.yaml").write_text(
            f"receipts: {{host: 127.0.0.1, port: {port}, public_url: 'https://sms.example.org'}}\n"
            "approval: {required: false}\ngateway: twilio\ngateways:\n  twilio:\n"
            f"    account_sid: {ACCOUNT_SID}\n    auth_token: ${{TWILIO_AUTH_TOKEN}}\n"
            f"    from_number: '+15005550006'\n    base_url: {server.url}\n"
            "    delivery: {segments_per_second: null}\n",
            encoding="utf-8",
        )
        daemon = start(root, "--serve", "--clock-start", "2027-01-30T08:29:58+08:00")
        try:
            wait_for(lambda: counts(root)["sent"] == 36, "the 08:30 occurrence")
            sid = server.recorded.messages and next(iter(server.recorded.messages))
            params = {"MessageSid": sid, "MessageStatus": "delivered"}
            signature = RequestValidator(AUTH_TOKEN).compute_signature(
                "https://sms.example.org/twilio/status", params
            )
            response = httpx.post(
                f"http://127.0.0.1:{port}/twilio/status",
                data=params,
                headers={"X-Twilio-Signature": signature},
                timeout=10,
            )
            assert response.status_code == 204
            wait_for(lambda: counts(root)["delivered"] == 1, "the receipt")
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
