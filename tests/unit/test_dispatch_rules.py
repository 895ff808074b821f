"""The dispatcher's newer rules on the in-memory store and the memory gateway: batch requests,
a rejected template, a deferred number, a stopped gateway, failover, per-number limits of the
provider. Time is a fixed clock the injected sleep moves."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.failover import dispatch_through
from reminder.delivery.gateways.base import DeliveryPolicy, GatewaySettings
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.delivery.reconcile import outgoing
from reminder.errors import (
    AmbiguousGatewayError,
    DeferredGatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TemplateRejectedError,
    TransientGatewayError,
)
from reminder.status import Status
from reminder.store import NewMessage, Selection, SkipReason
from reminder.testing import InMemoryStore
from tests.factories import planned
from tests.unit.test_dispatch import DAY, NOW, ONE_NUMBER, SPRING


def memory(name: str = "memory", **options: Any) -> MemoryGateway:
    policy = options.pop("policy", {})
    settings = GatewaySettings(delivery=DeliveryPolicy(**policy))
    return MemoryGateway(settings, name=name, **options)


class Harness:
    """An in-memory store, memory gateways, a fixed clock moved by the injected sleep."""

    def __init__(self, *gateways: MemoryGateway) -> None:
        self.store = InMemoryStore()
        self.gateways = list(gateways) or [memory()]
        self.gateway = self.gateways[0]
        self.clock = FixedClock(NOW)
        self.slept: list[float] = []

    def plan(self, *messages: NewMessage) -> None:
        self.store.add_planned_batches([messages], self.clock.now())

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))

    def dispatcher(
        self, gateway: MemoryGateway, *, failover: bool = False, cap: int | None = None
    ) -> Dispatcher:
        by_name = {g.name: g for g in self.gateways}
        return Dispatcher(
            self.store,
            gateway,
            self.clock,
            per_number_cap=cap,
            sleep=self.sleep,
            jitter=random.Random(7),
            failover=failover,
            gateways=by_name.get,
        )

    def run(self, selection: Selection = SPRING) -> DispatchResult:
        if len(self.gateways) == 1:
            return asyncio.run(self.dispatcher(self.gateway).run(selection))
        return asyncio.run(dispatch_through(self.gateways, self.dispatcher, selection))

    def statuses(self) -> dict[str, str]:
        return {m.contact_id: m.status for m in self.store.messages()}


def busy() -> TransientGatewayError:
    return TransientGatewayError("busy", code="isp.SYSTEM_ERROR")


# --- batches ----------------------------------------------------------------------------------


def test_a_batching_gateway_gets_up_to_max_batch_messages_a_request() -> None:
    h = Harness(memory(max_batch=4, policy={"concurrency": 1}))
    h.plan(*(planned(i, DAY) for i in range(10)))
    result = h.run()
    assert result.sent == 10 and result.by_gateway == {"memory": 10}
    assert [len(r) for r in h.gateway.batches] == [4, 4, 2]
    assert set(h.statuses().values()) == {"sent"}
    assert len({m.provider_id for m in h.store.messages()}) == 10


def test_one_outcome_per_message_of_a_batch() -> None:
    h = Harness(memory(max_batch=10))
    h.plan(*(planned(i, DAY) for i in range(4)))
    h.gateway.fail_number(planned(1, DAY).recipient, PermanentGatewayError("bad", code="X"))
    h.gateway.fail_number(planned(2, DAY).recipient, AmbiguousGatewayError("lost"))
    result = h.run()
    assert (result.sent, result.failed, result.unknown) == (2, 1, 1)
    assert h.statuses() == {"c000": "sent", "c001": "failed", "c002": "unknown", "c003": "sent"}


def test_a_batch_is_retried_only_for_the_messages_not_accepted() -> None:
    h = Harness(memory(max_batch=10))
    h.plan(*(planned(i, DAY) for i in range(3)))
    h.gateway.fail_number(planned(1, DAY).recipient, busy())
    h.gateway.fail_next(busy())  # the whole first request fails transiently
    result = h.run()
    assert result.sent == 3
    assert [[m.contact_id for m in r] for r in h.gateway.batches] == [
        ["c000", "c001", "c002"],
        ["c000", "c001", "c002"],
        ["c001"],
    ]
    retried = h.store.get(2)
    assert retried is not None and retried.attempts == 3
    assert len(h.slept) == 2


def test_a_batch_request_of_unknown_fate_leaves_every_message_unknown_then_reconciles() -> None:
    h = Harness(memory(max_batch=10))
    h.plan(*(planned(i, DAY) for i in range(3)))
    h.gateway.fail_next(AmbiguousGatewayError("timed out"))
    assert h.run().unknown == 3
    assert set(h.statuses().values()) == {"unknown"}
    result = h.run()  # the memory gateway never received them: requeued, then sent
    assert (result.reconciled, result.sent) == (3, 3)
    assert len(h.gateway.sent) == 3


def test_the_rate_limiter_counts_every_message_of_a_batch() -> None:
    h = Harness(memory(max_batch=5, policy={"messages_per_second": 10, "concurrency": 1}))
    h.plan(*(planned(i, DAY) for i in range(10)))
    assert h.run().sent == 10
    assert h.slept == [0.5], "the second batch of 5 waits for 5 messages at 10/s"


# --- template rejected, deferred, stopped -----------------------------------------------------


def test_a_rejected_template_fails_the_push_fast_and_retry_can_resend_it() -> None:
    h = Harness(memory(policy={"concurrency": 1}))
    h.plan(*(planned(i, DAY) for i in range(5)))
    rejected = TemplateRejectedError("template not approved", code="isv.SMS_TEMPLATE_ILLEGAL")
    h.gateway.fail_next(busy(), rejected)
    result = h.run()
    assert len(h.gateway.attempts) == 2, "one message burned, the rest not sent"
    assert (result.sent, result.failed, result.held_back) == (0, 5, 4)
    assert result.templates_rejected == [
        "spring/daily 2027-01-30: [isv.SMS_TEMPLATE_ILLEGAL] template not approved"
    ]
    assert set(h.statuses().values()) == {"failed"}
    held = h.store.get(3)
    assert held is not None and held.attempts == 0
    assert held.error_text is not None and "reminder retry --failed" in held.error_text
    for message in h.store.messages():
        assert message.id is not None
        h.store.requeue(message.id, h.clock.now(), source="operator", detail="template fixed")
    assert h.run().sent == 5


def test_a_deferred_number_waits_in_planned_until_its_time() -> None:
    h = Harness()
    h.plan(planned(1, DAY), planned(2, DAY))
    limit = DeferredGatewayError("daily limit", code="isv.BUSINESS_LIMIT_CONTROL")
    h.gateway.fail_number(planned(1, DAY).recipient, limit)
    result = h.run()
    assert (result.sent, result.deferred) == (1, 1)
    waiting = h.store.get(1)
    assert waiting is not None and waiting.status == "planned"
    # 00:30 UTC is 08:30 in Shanghai: the next local day starts at 16:00 UTC.
    assert waiting.not_before == datetime(2027, 1, 30, 16, 0, tzinfo=UTC)
    assert h.run().sent == 0, "not tried again before its time"
    h.clock.set(datetime(2027, 1, 30, 16, 0, tzinfo=UTC))
    assert h.run().sent == 1


def test_a_deferral_with_retry_after_waits_that_long() -> None:
    h = Harness()
    h.plan(planned(1, DAY))
    h.gateway.fail_next(DeferredGatewayError("slow down", retry_after=90))
    assert h.run().deferred == 1
    waiting = h.store.get(1)
    assert waiting is not None and waiting.not_before == NOW + timedelta(seconds=90)


def test_a_stopped_gateway_sends_nothing_more_and_gives_the_claims_back() -> None:
    h = Harness(memory(policy={"concurrency": 1}))
    h.plan(*(planned(i, DAY) for i in range(4)))
    h.gateway.fail_next(GatewayStoppedError("balance", code="isv.AMOUNT_NOT_ENOUGH"))
    result = h.run()
    assert result.gateways_down == {"memory": "[isv.AMOUNT_NOT_ENOUGH] balance"}
    assert len(h.gateway.attempts) == 1
    assert set(h.statuses().values()) == {"planned"}
    assert result.sent == result.failed == 0


# --- failover ---------------------------------------------------------------------------------


def test_failover_sends_the_rest_through_the_next_gateway() -> None:
    first, second = memory("aliyun", policy={"concurrency": 1}), memory("tencent")
    h = Harness(first, second)
    h.plan(*(planned(i, DAY) for i in range(4)))
    first.fail_number(planned(1, DAY).recipient, GatewayStoppedError("day limit"))
    result = h.run()
    assert result.sent == 4 and result.by_gateway == {"aliyun": 1, "tencent": 3}
    assert result.gateways_down == {"aliyun": "day limit"}
    carried = {m.contact_id: m.gateway for m in h.store.messages()}
    assert carried == {"c000": "aliyun", "c001": "tencent", "c002": "tencent", "c003": "tencent"}


def test_failover_after_transient_errors_past_the_attempts() -> None:
    first = memory("aliyun", policy={"concurrency": 1, "max_attempts": 2})
    second = memory("tencent")
    h = Harness(first, second)
    h.plan(*(planned(i, DAY) for i in range(3)))
    first.fail_next(*(busy() for _ in range(6)))
    result = h.run()
    assert result.sent == 3 and result.by_gateway == {"tencent": 3}
    assert "aliyun" in result.gateways_down and result.failed == 0


def test_an_unknown_message_never_goes_to_the_next_gateway_until_the_first_denies_it() -> None:
    first, second = memory("aliyun", policy={"concurrency": 1}), memory("tencent")
    h = Harness(first, second)
    h.plan(*(planned(i, DAY) for i in range(3)))
    first.fail_next(AmbiguousGatewayError("timed out"), GatewayStoppedError("day limit"))
    result = h.run()
    # c000's fate at aliyun is unknown: tencent's run first asks aliyun, which never got it.
    assert sorted(m.contact_id for m in second.sent) == ["c000", "c001", "c002"]
    assert [(e.previous, e.status, e.source) for e in h.store.events(1)][-4:] == [
        ("sending", "unknown", "gateway"),
        ("unknown", "planned", "reconcile"),
        ("planned", "sending", "dispatch"),
        ("sending", "sent", "gateway"),
    ]
    assert result.by_gateway == {"tencent": 3} and first.sent == []


def test_an_unknown_message_the_first_gateway_has_is_not_resent() -> None:
    first, second = memory("aliyun"), memory("tencent")
    h = Harness(first, second)
    h.plan(planned(0, DAY))
    # aliyun took the message but its answer was lost: the message is `unknown`.
    (message,) = h.store.claim_batch(SPRING, "aliyun", "gone", h.clock.now(), 1)
    asyncio.run(first.send(outgoing(message)))
    assert message.id is not None
    h.store.transition(message.id, Status.unknown, h.clock.now(), source="test", detail="lost")
    result = h.run()
    assert result.reconciled == 1 and second.attempts == []
    assert h.statuses() == {"c000": "sent"}


# --- per-number limits ------------------------------------------------------------------------


def test_the_providers_daily_limit_is_held_when_stricter_than_the_cap() -> None:
    h = Harness(memory(per_number_limits=((2, 86_400),), policy={"concurrency": 1}))
    h.plan(*(planned(i, DAY, phone=ONE_NUMBER) for i in range(4)))
    result = asyncio.run(h.dispatcher(h.gateway, cap=3).run(SPRING))
    assert (result.sent, result.skipped) == (2, 2)
    capped = h.store.get(4)
    assert capped is not None and capped.skip_reason == SkipReason.per_number_cap
    assert capped.error_text == (
        "the provider's per-number limit (2 in 24 h): 2 messages to this number"
    )


def test_a_short_provider_window_defers_until_it_has_passed() -> None:
    h = Harness(memory(per_number_limits=((1, 30),), policy={"concurrency": 1}))
    h.plan(*(planned(i, DAY, phone=ONE_NUMBER) for i in range(2)))
    result = h.run()
    assert (result.sent, result.deferred) == (1, 1)
    waiting = h.store.get(2)
    assert waiting is not None and waiting.not_before == NOW + timedelta(seconds=30)
