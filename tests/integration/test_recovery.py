"""Recovering what a dead process left behind: owner identity, and lookups on the right clock."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from reminder.clock import ScaledClock
from reminder.delivery import owner
from reminder.delivery.dispatch import Dispatcher
from reminder.delivery.gateways.base import DeliveryPolicy
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.store import Selection, open_store
from tests.factories import DAYTIME, ProjectFiles, cadre, planned, twilio_config
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, Reply, TwilioLikeServer


@pytest.fixture
def stranger() -> Iterator[int]:
    """A live process of this host that has nothing to do with the engine."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def test_the_owner_is_host_pid_start_time_and_boot() -> None:
    me = owner.current()
    assert me.pid == os.getpid() and me.host == socket.gethostname()
    assert owner.Owner.parse(str(me)) == me
    assert owner.alive(str(me)) is True


def test_a_live_but_unrelated_pid_does_not_keep_a_claim_alive(stranger: int) -> None:
    me = owner.current()
    started = owner.start_ticks(stranger)
    assert started is not None, "this test needs /proc"
    # The claiming process had this pid once; the process that has it now started later.
    reused = owner.Owner(me.host, stranger, str(int(started) - 1), me.boot)
    assert owner.alive(str(reused)) is False
    assert owner.alive(str(owner.Owner(me.host, stranger, started, me.boot))) is True


@pytest.mark.parametrize(
    ("claimed_by", "expected"),
    [
        (None, False),
        ("", False),
        ("elsewhere:1:12345:abcdef012345", None),  # another host: the lease decides
        ("{host}:{pid}:{started}:000000000000", False),  # an earlier boot of this machine
        ("{host}:999999999:12345:{boot}", False),  # no such process
        ("{host}:999999999:x", False),  # an older version's claim, its process gone
        ("{host}:{pid}:x", None),  # an older version's claim, its pid in use: lease
        ("not an owner", None),
    ],
)
def test_claims_whose_owner_cannot_be_alive(claimed_by: str | None, expected: bool | None) -> None:
    me = owner.current()
    text_ = claimed_by and claimed_by.format(
        host=me.host, pid=me.pid, started=me.started, boot=me.boot
    )
    assert owner.alive(text_) is expected


def _claim_for(database: Path, claimed_by: str) -> None:
    store = open_store(f"sqlite:///{database}")
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE message SET status='sending', claimed_by=:owner"), {"owner": claimed_by}
        )
    store.close()


def test_a_claim_of_a_reused_pid_is_recovered_by_send(
    cli: Any, files: ProjectFiles, twilio_like: TwilioLikeServer, stranger: int, monkeypatch: Any
) -> None:
    """A message left `sending` by a process whose pid an unrelated process has now (a container
    restart) is asked of the provider and sent once, not left stuck for good."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    files.write(
        contacts=[cadre(1), cadre(2)],
        groups={"everyone": {"rank": ">= clerk"}},
        config=twilio_config(twilio_like.url, account_sid=ACCOUNT_SID),
    )
    config = files.config_path
    assert cli("--config", config, "pause", "test").exit_code == 0
    args = ("--config", config, "send", "test", "--json", "--yes", "--date", "2027-02-01")
    assert cli.at(DAYTIME)(*args).exit_code == 0
    me = owner.current()
    started = owner.start_ticks(stranger)
    assert started is not None
    _claim_for(files.database, str(owner.Owner(me.host, stranger, str(int(started) - 7), me.boot)))
    assert cli("--config", config, "resume", "test").exit_code == 0
    rows = json.loads(cli("--config", config, "log", "--json").stdout)
    assert sorted(r["status"] for r in rows) == ["sent", "sent"]
    assert sorted(f["To"] for f in twilio_like.recorded.accepted) == [
        "+8613800130001",
        "+8613800130002",
    ]


def test_reconciliation_on_a_rehearsal_clock_finds_what_the_provider_accepted(
    database_url: str,
) -> None:
    """The engine rehearses 2027 while the provider stamps its records with today's time:
    messages whose answers were lost are found by the lookup, none is sent twice."""
    rehearsal = ScaledClock(datetime(2027, 1, 30, 2, 0, tzinfo=UTC))
    with TwilioLikeServer() as server, open_store(database_url) as store:
        settings = TwilioSettings(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            from_number="+15005550006",
            base_url=server.url,
            delivery=DeliveryPolicy(request_timeout_seconds=1.5, segments_per_second=None),
        )
        gateway = TwilioGateway(settings)
        day = date(2027, 1, 30)
        store.add_planned_batches(
            [[planned(i, day, body=f"【测试】提醒{i}") for i in range(1, 5)]], rehearsal.now()
        )
        server.script.extend([Reply(), Reply(action="lose", hold=4.0)] * 2)

        async def dispatch() -> None:
            try:
                await Dispatcher(store, gateway, rehearsal, per_number_cap=None).run(
                    Selection("spring", "daily", day)
                )
            finally:
                await gateway.aclose()

        asyncio.run(dispatch())
        assert sorted(m.status for m in store.messages()) == ["sent", "sent", "unknown", "unknown"]
        asyncio.run(dispatch())  # the next run asks Twilio about the unknown ones
        assert [m.status for m in store.messages()] == ["sent"] * 4
        assert len(server.recorded.accepted) == 4, "nothing was sent twice"


def test_send_says_so_when_another_live_process_is_sending(
    cli: Any, files: ProjectFiles, twilio_like: TwilioLikeServer, monkeypatch: Any
) -> None:
    """A claim whose owner still runs is left alone, and `send` does not call the occurrence
    dispatched ("nothing new to send") while it is in flight."""
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    files.write(
        contacts=[cadre(1), cadre(2)],
        groups={"everyone": {"rank": ">= clerk"}},
        config=twilio_config(twilio_like.url, account_sid=ACCOUNT_SID),
    )
    config = files.config_path
    assert cli("--config", config, "pause", "test").exit_code == 0
    args = ("--config", config, "send", "test", "--yes", "--date", "2027-02-01")
    assert cli.at(DAYTIME)(*args).exit_code == 0
    _claim_for(files.database, str(owner.current()))  # alive: this very process
    assert cli("--config", config, "resume", "test").exit_code == 0
    again = cli(*args)
    assert "2 messages of this occurrence are being sent by another process" in again.stdout
    assert "nothing new to send" not in again.stdout
    assert twilio_like.recorded.accepted == []
