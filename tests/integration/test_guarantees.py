"""Guarantees that a one-line slip would break silently: each test here failed against such a
slip planted in the code (the segments the limiter is asked for, a Twilio `sent` counted as
reached, the auth token's type, the claim's re-check of `planned`)."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher
from reminder.delivery.gateways.base import (
    Accepted,
    DeliveryPolicy,
    GatewaySettings,
    OutgoingMessage,
)
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.store import NewMessage, Selection, open_store
from tests.factories import planned
from tests.integration.test_reports import report, seed
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN

NOW = datetime(2027, 1, 30, 2, 0, tzinfo=UTC)
DAY = date(2027, 1, 30)


class ClockedGateway(MemoryGateway):
    """Notes the clock's time at each request."""

    def __init__(self, clock: FixedClock, policy: DeliveryPolicy) -> None:
        super().__init__(GatewaySettings(delivery=policy))
        self.clock = clock
        self.times: list[datetime] = []

    async def send(self, message: OutgoingMessage) -> Accepted:
        self.times.append(self.clock.now())
        return await super().send(message)


class SlowGateway(MemoryGateway):
    """Takes a moment to answer, as a provider does, so two dispatchers overlap."""

    async def send(self, message: OutgoingMessage) -> Accepted:
        await asyncio.sleep(0.002)
        return await super().send(message)


def test_the_rate_limiter_counts_each_message_s_segments(tmp_path: Path) -> None:
    """Three 3-segment messages at 1 segment/s leave 3 s apart, not 1 s."""
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        rows = [planned(i, DAY, f"提醒{i}") for i in range(3)]
        for row in rows:
            row.segments = 3
        store.add_planned_batches([rows], NOW)
        clock = FixedClock(NOW)
        gateway = ClockedGateway(clock, DeliveryPolicy(concurrency=1, segments_per_second=1))

        async def sleep(seconds: float) -> None:
            clock.advance(timedelta(seconds=seconds))

        dispatcher = Dispatcher(store, gateway, clock, per_number_cap=None, sleep=sleep)
        asyncio.run(dispatcher.run(Selection("spring")))
    gaps = [(b - a).total_seconds() for a, b in zip(gateway.times, gateway.times[1:], strict=False)]
    assert len(gateway.times) == 3
    assert all(gap >= 3 - 1e-6 for gap in gaps), gaps


def test_a_twilio_message_without_a_receipt_is_not_counted_as_reached(
    cli: Any, sample: Path
) -> None:
    """Twilio reports delivery: until its receipt comes, `sent` is not reaching anyone. A
    gateway that never reports delivery (console) counts acceptance as reaching."""
    seeded = seed(sample)  # day 1: two leading cadres' Twilio messages `sent`, no receipt yet
    day1 = json.loads(report(cli, sample, "--date", "2027-01-30", "--format", "json").stdout)
    awaiting = seeded["leading"][33:35]
    unreached = {row["contact_id"] for row in day1["unreached"]}
    assert not set(awaiting) & unreached, "awaiting a receipt is counted apart from not reached"
    assert day1["awaiting_receipt"] == 2
    assert day1["reached"] == 55  # 30 leading cadres and 25 spouses delivered

    with open_store(f"sqlite:///{sample / 'reminder.db'}") as store, store.engine.begin() as db:
        from sqlalchemy import text

        db.execute(text("UPDATE message SET gateway='console' WHERE status='sent'"))
    after = json.loads(report(cli, sample, "--date", "2027-01-30", "--format", "json").stdout)
    assert after["reached"] == 57


def test_the_twilio_auth_token_never_shows_in_its_settings() -> None:
    settings = TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_number="+15005550006"
    )
    assert isinstance(settings.auth_token, SecretStr)
    assert AUTH_TOKEN not in repr(settings)
    assert AUTH_TOKEN not in str(settings.model_dump())
    assert AUTH_TOKEN not in settings.model_dump_json()
    assert AUTH_TOKEN not in repr(TwilioGateway(settings))


def test_two_dispatchers_on_one_occurrence_send_each_message_once(database_url: str) -> None:
    """Two processes' dispatchers claim from one occurrence at the same time (each its own
    connection pool): every message goes out exactly once between them."""
    count = 400
    with open_store(database_url) as store:
        store.add_planned_batches(
            [
                [
                    NewMessage(
                        "spring",
                        "daily",
                        DAY,
                        f"c{i:04d}",
                        f"+861380013{i:04d}",
                        f"提醒{i}",
                        1,
                        "UCS-2",
                        "daily.j2",
                        {},
                        None,
                    )
                    for i in range(count)
                ]
            ],
            NOW,
        )
    gateways = [SlowGateway(GatewaySettings(delivery=DeliveryPolicy(concurrency=4)))]
    gateways.append(SlowGateway(GatewaySettings(delivery=DeliveryPolicy(concurrency=4))))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(gateway: MemoryGateway) -> None:
        try:
            with open_store(database_url) as own:
                dispatcher = Dispatcher(own, gateway, FixedClock(NOW), per_number_cap=None)
                start.wait()
                asyncio.run(dispatcher.run(Selection("spring", "daily", DAY)))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(g,)) for g in gateways]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    sent = [m.message_id for g in gateways for m in g.sent]
    assert len(sent) == count and len(set(sent)) == count, "each message once"
    assert all(g.sent for g in gateways), (
        "both dispatchers took part (losing a race is not running out)"
    )
    with open_store(database_url) as store:
        assert store.status_counts("spring") == {"sent": count}
