"""`reminder run` SIGKILLed with messages unfinished, then restarted: nothing is left behind.

A daemon that dies while every message of a push is claimed (`sending`, none `planned`), or
after answers were lost (`unknown`), must on restart ask the provider about each of them and
send only what the provider does not have: every message accepted exactly once, and the
occurrence reported done only then.
"""

from __future__ import annotations

import re
import signal
import sqlite3
from collections import Counter
from pathlib import Path

import yaml

from tests.e2e.test_cli_subprocess import copy_sample
from tests.e2e.test_daemon_subprocess import start, wait_for
from tests.support.servers import ACCOUNT_SID, Reply, TwilioLikeServer

FAMILIES = 29  # the sample's families of leading cadres: the 10:00 family-greeting push
DONE = "spring-festival/family-greeting 2027-01-30: sent"


def one_push(root: Path, server: TwilioLikeServer, delivery: str) -> None:
    """Keep only the family greeting of the sample, through the Twilio gateway at `server`."""
    (root / "campaigns" / "mid-autumn.yaml").unlink()
    path = root / "campaigns" / "spring-festival.yaml"
    campaign = yaml.safe_load(path.read_text(encoding="utf-8"))
    campaign["pushes"] = [p for p in campaign["pushes"] if p["id"] == "family-greeting"]
    path.write_text(yaml.safe_dump(campaign, allow_unicode=True), encoding="utf-8")
    (root / "config.yaml").write_text(
        "per_number_cap: null\napproval: {required: false}\ngateway: twilio\ngateways:\n  twilio:\n"
        f"    account_sid: {ACCOUNT_SID}\n    auth_token: ${{TWILIO_AUTH_TOKEN}}\n"
        f"    from_number: '+15005550006'\n    base_url: {server.url}\n"
        f"    delivery: {delivery}\n",
        encoding="utf-8",
    )


def counts(root: Path) -> Counter[str]:
    if not (root / "reminder.db").exists():
        return Counter()
    with sqlite3.connect(root / "reminder.db") as db:
        try:
            rows = db.execute("select status, count(*) from message group by status").fetchall()
        except sqlite3.OperationalError:
            return Counter()
    return Counter(dict(rows))


def kill(daemon: object) -> None:
    daemon.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
    daemon.wait(timeout=30)  # type: ignore[attr-defined]


def restart_until_done(root: Path, server: TwilioLikeServer) -> str:
    """Restart the daemon (within the grace period) and wait for every message to be sent."""
    before = (root / "run.log").read_text()
    daemon = start(root, "--clock-start", "2027-01-30T10:03:00+08:00")
    try:
        wait_for(lambda: counts(root) == Counter({"sent": FAMILIES}), "every message sent")
        wait_for(lambda: DONE in (root / "run.log").read_text()[len(before) :], "done")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    return (root / "run.log").read_text()[len(before) :]


def assert_each_accepted_once(server: TwilioLikeServer) -> None:
    received = Counter((f["To"], f["Body"]) for f in server.recorded.accepted)
    assert len(received) == FAMILIES, "nobody was lost"
    assert max(received.values()) == 1, "nobody got it twice"


def test_killed_with_the_whole_push_claimed_the_restart_sends_the_rest(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    with TwilioLikeServer() as server:
        one_push(
            root, server, "{concurrency: 8, messages_per_second: 10, segments_per_second: null}"
        )
        daemon = start(root, "--clock-start", "2027-01-30T09:59:58+08:00")
        try:
            wait_for(
                lambda: len(server.recorded.accepted) >= 10 and counts(root)["planned"] == 0,
                "every message claimed, ten accepted",
            )
            kill(daemon)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        left = counts(root)
        assert left["sending"] > 0 and left["planned"] == 0, left
        assert len(server.recorded.accepted) < FAMILIES, "the kill came mid-dispatch"

        log = restart_until_done(root, server)
    assert_each_accepted_once(server)
    assert re.search(r"family-greeting 2027-01-30: sent .*reconciled [1-9]", log), log


def test_killed_with_lost_answers_the_restart_resolves_them_with_the_provider(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path)
    with TwilioLikeServer() as server:
        # A slow machine may be slower than the timeout for an ordinary answer too: that only
        # adds unknown messages, which the restart resolves all the same.
        one_push(
            root,
            server,
            "{concurrency: 8, request_timeout_seconds: 1.5, segments_per_second: null}",
        )
        server.script.extend([Reply(), Reply(), Reply(action="lose", hold=4.0)] * 5)
        daemon = start(root, "--clock-start", "2027-01-30T09:59:58+08:00")
        try:
            wait_for(
                lambda: (
                    counts(root)["unknown"] >= 5
                    and counts(root)["unknown"] + counts(root)["sent"] == FAMILIES
                ),
                "five answers lost, the rest sent",
            )
            wait_for(lambda: "not finished" in (root / "run.log").read_text(), "the warning")
            assert DONE not in (root / "run.log").read_text(), "not called done with unknowns"
            kill(daemon)
        finally:
            if daemon.poll() is None:
                daemon.kill()
        assert len(server.recorded.accepted) == FAMILIES

        restart_until_done(root, server)
    assert_each_accepted_once(server)


def test_the_sweep_resolves_lost_answers_without_a_restart(tmp_path: Path) -> None:
    """Between firings the daemon looks again (every `scheduler.sweep_minutes` of engine time):
    messages left `unknown` by lost answers are asked of the provider while it keeps running."""
    root = copy_sample(tmp_path)
    with TwilioLikeServer() as server:
        # A slow machine may be slower than the timeout for an ordinary answer too: that only
        # adds unknown messages, which the restart resolves all the same.
        one_push(
            root,
            server,
            "{concurrency: 8, request_timeout_seconds: 1.5, segments_per_second: null}",
        )
        config = root / "config.yaml"
        config.write_text(
            config.read_text(encoding="utf-8") + "scheduler: {sweep_minutes: 2}\n",
            encoding="utf-8",
        )
        server.script.extend([Reply(), Reply(), Reply(action="lose", hold=4.0)] * 5)
        # One simulated minute per real second: a sweep every two seconds.
        daemon = start(root, "--clock-start", "2027-01-30T09:59:58+08:00", "--clock-speed", "60")
        try:
            wait_for(lambda: counts(root) == Counter({"sent": FAMILIES}), "every message sent")
            wait_for(lambda: DONE in (root / "run.log").read_text(), "done")
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=60) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
        log = (root / "run.log").read_text()
    assert "not finished" in log, "the first firing left five unknown"
    assert log.count("running: 1 jobs") == 1, "resolved by the sweep, not a restart"
    assert_each_accepted_once(server)
