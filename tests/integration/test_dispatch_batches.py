"""Batch requests, failover and deferral on a real store (SQLite always, PostgreSQL when
REMINDER_TEST_DATABASE_URL is set): every message of a batch is `sending` before the request,
one outcome each is written, and a run after a crash in the middle of a batch request
reconciles each message with the gateway that carried it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.failover import dispatch_through
from reminder.delivery.gateways.base import (
    Accepted,
    DeliveryPolicy,
    GatewaySettings,
    OutgoingMessage,
)
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.errors import DeferredGatewayError, GatewayError, GatewayStoppedError
from reminder.store import Selection, Store, open_store
from tests.factories import planned
from tests.support.databases import database_kinds, fresh_database

pytestmark = pytest.mark.postgres

NOW = datetime(2027, 1, 30, 0, 30, tzinfo=UTC)
DAY = date(2027, 1, 30)
SPRING = Selection("spring")


@pytest.fixture(params=database_kinds())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_database(request.param, tmp_path) as url:
        opened = open_store(url)
        try:
            yield opened
        finally:
            opened.close()


class Watching(MemoryGateway):
    """A batching memory gateway that notes the store's status of each message it is handed,
    and can die in the middle of a request (as a process killed there would)."""

    def __init__(self, store: Store, name: str = "memory", **options: object) -> None:
        settings = GatewaySettings(delivery=DeliveryPolicy(concurrency=2))
        super().__init__(settings, name=name, max_batch=5, **options)  # type: ignore[arg-type]
        self.store = store
        self.seen: list[str] = []
        self.die_after: int | None = None

    async def send_batch(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[Accepted | GatewayError]:
        statuses = self.store.status_counts("spring")
        self.seen.append(",".join(sorted(statuses)))
        outcomes = await super().send_batch(messages)
        if self.die_after is not None and len(self.batches) > self.die_after:
            raise SystemExit("killed in the middle of a request")
        return outcomes


def dispatcher(store: Store, gateway: MemoryGateway, **options: object) -> Dispatcher:
    return Dispatcher(
        store,
        gateway,
        FixedClock(NOW),
        per_number_cap=None,
        jitter=random.Random(3),
        **options,  # type: ignore[arg-type]
    )


def run(store: Store, gateway: MemoryGateway, **options: object) -> DispatchResult:
    return asyncio.run(dispatcher(store, gateway, **options).run(SPRING))


def test_batches_on_a_real_store_write_one_outcome_per_message(store: Store) -> None:
    store.add_planned_batches([[planned(i, DAY) for i in range(12)]], NOW)
    gateway = Watching(store)
    result = run(store, gateway)
    assert result.sent == 12 and [len(r) for r in gateway.batches] == [5, 5, 2]
    assert store.status_counts("spring") == {"sent": 12}
    assert all("sending" in seen for seen in gateway.seen), "claimed before each request"
    assert len({m.provider_id for m in store.messages(campaign="spring")}) == 12


def test_a_crash_in_the_middle_of_a_batch_is_reconciled_message_by_message(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_planned_batches([[planned(i, DAY) for i in range(10)]], NOW)
    gateway = Watching(store)
    gateway.die_after = 1  # the second request reaches the provider, then the process dies
    with pytest.raises(SystemExit):
        run(store, gateway)
    assert len(gateway.sent) == 10
    left = store.status_counts("spring")
    assert left["sending"] >= 5, "no outcome of the dying request was written"
    monkeypatch.setattr("reminder.delivery.reconcile.owner_alive", lambda _claimed_by: False)
    gateway.die_after = None
    result = run(store, gateway)
    assert store.status_counts("spring") == {"sent": 10}
    assert len(gateway.sent) == 10, "nothing sent twice: the provider was asked"
    assert result.reconciled == left["sending"]


def test_failover_and_deferral_on_a_real_store(store: Store) -> None:
    store.add_planned_batches([[planned(i, DAY) for i in range(8)]], NOW)
    first, second = Watching(store, "aliyun"), Watching(store, "tencent")
    # aliyun refuses the first request (c000-c004) as a whole; tencent defers c000's number.
    first.fail_next(GatewayStoppedError("month limit", code="isv.MONTH_LIMIT_CONTROL"))
    second.fail_number(planned(0, DAY).recipient, DeferredGatewayError("limit", retry_after=60))
    by_name = {"aliyun": first, "tencent": second}

    def make(gateway: MemoryGateway, *, failover: bool) -> Dispatcher:
        return dispatcher(store, gateway, failover=failover, gateways=by_name.get)

    result = asyncio.run(dispatch_through([first, second], make, SPRING))
    assert result.gateways_down == {"aliyun": "[isv.MONTH_LIMIT_CONTROL] month limit"}
    carried = {m.contact_id: (m.status, m.gateway) for m in store.messages(campaign="spring")}
    assert set(carried.values()) <= {("sent", "tencent"), ("planned", "tencent")}
    deferred = [m for m in store.messages(campaign="spring") if m.status == "planned"]
    assert [m.contact_id for m in deferred] == ["c000"] and result.deferred == 1
    assert deferred[0].not_before == NOW + timedelta(seconds=60)
    assert result.by_gateway == {"tencent": 7}
