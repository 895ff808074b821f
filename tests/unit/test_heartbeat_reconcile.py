"""A claim of another host's node: the node's heartbeat says whether it is at work. One that
stopped beating for the claim lease is dead and its messages are asked about; one that beats
keeps its messages however long they take; one that keeps no heartbeat falls back on the lease
over the message's age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from reminder.clock import FixedClock
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.delivery.reconcile import Reconciler
from reminder.store import Selection
from reminder.testing import InMemoryStore
from tests.factories import planned

NOW = datetime(2027, 1, 30, 2, 0, tzinfo=UTC)
ELSEWHERE = "another-host:4242:777:abcdef"


def claimed(minutes_ago: float) -> InMemoryStore:
    store = InMemoryStore()
    store.add_planned_batches([[planned(1, date(2027, 1, 30))]], NOW)
    store.claim_batch(
        Selection("spring"), "memory", ELSEWHERE, NOW - timedelta(minutes=minutes_ago), limit=1
    )
    return store


def abandoned(store: InMemoryStore, beating: bool | None) -> bool:
    seen: list[tuple[str, datetime, timedelta]] = []

    def heartbeats(node: str, now: datetime, lease: timedelta) -> bool | None:
        seen.append((node, now, lease))
        return beating

    reconciler = Reconciler(store, MemoryGateway(), FixedClock(NOW), heartbeats=heartbeats)
    found = reconciler.abandoned(Selection("spring"))
    assert seen == [(ELSEWHERE, NOW, timedelta(seconds=300))]
    return bool(found)


def test_a_node_that_stopped_beating_is_dead_even_for_a_fresh_claim() -> None:
    assert abandoned(claimed(minutes_ago=1), beating=False)


def test_a_node_that_beats_keeps_an_old_claim() -> None:
    assert not abandoned(claimed(minutes_ago=30), beating=True)


def test_without_a_heartbeat_the_lease_over_the_message_age_decides() -> None:
    assert abandoned(claimed(minutes_ago=30), beating=None)
    assert not abandoned(claimed(minutes_ago=1), beating=None)
