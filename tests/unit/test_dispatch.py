"""The dispatcher on the in-memory store and the memory gateway: what it sends, skips, retries
and reconciles, read back from the store and from what the gateway received. No database, no
network; time is a fixed clock that the injected sleep moves."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.gateways.base import DeliveryPolicy, GatewaySettings
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.errors import AmbiguousGatewayError, PermanentGatewayError, TransientGatewayError
from reminder.store import NewMessage, Selection, SkipReason
from reminder.testing import InMemoryStore
from tests.factories import planned

NOW = datetime(2027, 1, 30, 0, 30, tzinfo=UTC)
DAY = date(2027, 1, 30)
ONE_NUMBER = "+8613800138000"
SPRING = Selection("spring")


class Harness:
    """An in-memory store, a memory gateway, a fixed clock, and the sleeps the dispatcher asked
    for (each moves the clock)."""

    def __init__(self, **policy: Any) -> None:
        self.store = InMemoryStore()
        self.gateway = MemoryGateway(GatewaySettings(delivery=DeliveryPolicy(**policy)))
        self.clock = FixedClock(NOW)
        self.slept: list[float] = []

    def plan(self, *messages: NewMessage) -> None:
        self.store.add_planned_batches([messages], self.clock.now())

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))

    def run(
        self,
        *,
        cap: int | None = None,
        despite: Callable[[str], bool] = lambda _contact_id: False,
        selection: Selection = SPRING,
    ) -> DispatchResult:
        dispatcher = Dispatcher(
            self.store,
            self.gateway,
            self.clock,
            per_number_cap=cap,
            sleep=self.sleep,
            jitter=random.Random(7),
            sends_despite_suppression=despite,
        )
        return asyncio.run(dispatcher.run(selection))

    def statuses(self) -> dict[str, str]:
        return {m.contact_id: m.status for m in self.store.messages()}


def test_every_planned_message_is_sent_once_oldest_first() -> None:
    h = Harness(concurrency=1)
    h.plan(*(planned(i, DAY) for i in range(3)))
    result = h.run()
    assert (result.sent, result.failed, result.skipped) == (3, 0, 0)
    assert [m.contact_id for m in h.gateway.sent] == ["c000", "c001", "c002"]
    assert set(h.statuses().values()) == {"sent"}
    assert [e.status for e in h.store.events(1)] == ["planned", "sending", "sent"]
    first = h.store.get(1)
    assert first is not None and first.provider_id == "memory-1"
    assert h.run().sent == 0, "a second run sends nothing again"
    assert len(h.gateway.attempts) == 3


def test_a_number_suppressed_since_planning_is_skipped_with_the_reason() -> None:
    h = Harness()
    h.plan(planned(1, DAY), planned(2, DAY))
    h.store.suppress(planned(2, DAY).recipient, "回复退订", "inbound", NOW)
    result = h.run()
    assert (result.sent, result.skipped) == (1, 1)
    assert [m.contact_id for m in h.gateway.sent] == ["c001"]
    skipped = h.store.get(2)
    assert skipped is not None
    assert (skipped.status, skipped.skip_reason, skipped.error_text) == (
        "skipped",
        SkipReason.suppressed,
        "suppressed: 回复退订",
    )


def test_a_contact_who_receives_despite_suppression_is_sent_to() -> None:
    h = Harness()
    h.plan(planned(1, DAY))
    h.store.suppress(planned(1, DAY).recipient, "STOP", "inbound", NOW)
    assert h.run(despite=lambda contact_id: contact_id == "c001").sent == 1
    assert h.statuses() == {"c001": "sent"}


def test_the_per_number_cap_counts_what_went_out_in_24_hours_across_campaigns() -> None:
    h = Harness(concurrency=1)
    earlier = planned(0, DAY - timedelta(days=1), phone=ONE_NUMBER)
    earlier.campaign = "autumn"
    h.plan(earlier)
    h.clock.set(NOW - timedelta(hours=20))
    assert h.run(cap=3, selection=Selection("autumn")).sent == 1
    h.clock.set(NOW)
    h.plan(*(planned(i, DAY, phone=ONE_NUMBER) for i in range(1, 5)))
    result = h.run(cap=3)
    assert (result.sent, result.skipped) == (2, 2), "one already sent today: room for two"
    capped = [m for m in h.store.messages(campaign="spring") if m.status == "skipped"]
    assert [m.contact_id for m in capped] == ["c004", "c003"]
    assert {m.skip_reason for m in capped} == {SkipReason.per_number_cap}
    assert capped[0].error_text == "per-number cap: 3 messages to this number in 24 h"


def test_transient_errors_are_retried_with_growing_waits_then_sent() -> None:
    h = Harness(retry_base_seconds=2, retry_max_seconds=60)
    h.plan(planned(1, DAY))
    h.gateway.fail_next(
        TransientGatewayError("busy", code="20429"), TransientGatewayError("busy", code="20429")
    )
    result = h.run()
    assert result.sent == 1 and len(h.gateway.attempts) == 3
    assert len(h.slept) == 2
    assert 1 <= h.slept[0] <= 2 and 2 <= h.slept[1] <= 4, "jittered, doubling from 2 s"
    message = h.store.get(1)
    assert message is not None and (message.status, message.attempts) == ("sent", 3)
    assert [e.detail for e in h.store.events(1)][2:] == [
        "retryable: busy",
        "retryable: busy",
        "accepted (sent)",
    ]


def test_transient_errors_past_the_attempts_fail_the_message() -> None:
    h = Harness(max_attempts=2)
    h.plan(planned(1, DAY))
    h.gateway.fail_next(*(TransientGatewayError("busy", code="20429") for _ in range(2)))
    result = h.run()
    assert (result.sent, result.failed) == (0, 1) and len(h.slept) == 1
    failed = h.store.get(1)
    assert failed is not None
    assert (failed.status, failed.error_code, failed.attempts) == ("failed", "20429", 2)
    assert failed.error_text == "busy (transient, out of attempts)"


def test_an_unsubscribed_answer_fails_the_message_and_suppresses_the_number() -> None:
    h = Harness()
    h.plan(planned(1, DAY, phone=ONE_NUMBER))
    h.gateway.fail_next(PermanentGatewayError("unsubscribed", code="opted-out"))
    result = h.run()
    assert (result.failed, result.sent) == (1, 0)
    assert h.store.suppressed([ONE_NUMBER]) == {ONE_NUMBER: "unsubscribed (provider opted-out)"}
    h.plan(planned(2, DAY + timedelta(days=1), phone=ONE_NUMBER))
    assert h.run().skipped == 1, "the next message to the number is not sent"
    assert h.statuses() == {"c001": "failed", "c002": "skipped"}


def test_an_unknown_outcome_is_reconciled_with_the_provider_before_sending_again() -> None:
    h = Harness()
    h.plan(planned(1, DAY))
    h.gateway.fail_next(AmbiguousGatewayError("timed out", code=None))
    assert h.run().unknown == 1
    assert h.statuses() == {"c001": "unknown"}
    result = h.run()  # the memory gateway never received it: back in the queue, then sent
    assert (result.reconciled, result.sent) == (1, 1)
    assert [(e.previous, e.status, e.source) for e in h.store.events(1)][-3:] == [
        ("unknown", "planned", "reconcile"),
        ("planned", "sending", "dispatch"),
        ("sending", "sent", "gateway"),
    ]


def test_a_paused_campaign_is_not_sent() -> None:
    h = Harness()
    h.plan(planned(1, DAY))
    h.store.set_paused("spring", True, NOW)
    assert h.run().sent == 0 and h.gateway.attempts == []
    h.store.set_paused("spring", False, NOW)
    assert h.run().sent == 1
