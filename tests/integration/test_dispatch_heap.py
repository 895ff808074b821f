"""Dispatch keeps the objects alive before it out of the collector's full passes: a full pass
over them stalled the event loop ~120 ms and cost a 1,000/s throttle its slots (bench/README)."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, date, datetime
from pathlib import Path

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher
from reminder.delivery.gateways.base import Accepted, OutgoingMessage
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.store import Selection, open_store
from tests.factories import planned

NOW = datetime(2027, 1, 30, 0, 30, tzinfo=UTC)


class FreezeWatchingGateway(MemoryGateway):
    """Notes how many objects the collector holds frozen at each send."""

    frozen_at_send: list[int]

    async def send(self, message: OutgoingMessage) -> Accepted:
        self.frozen_at_send.append(gc.get_freeze_count())
        return await super().send(message)


def test_dispatch_freezes_settled_objects_while_sending_and_releases_them(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    store.add_planned_batches(
        [[planned(i, date(2027, 1, 30), f"【测试】提醒{i}") for i in range(5)]],
        NOW,
    )
    gateway = FreezeWatchingGateway()
    gateway.frozen_at_send = []
    result = asyncio.run(
        Dispatcher(store, gateway, FixedClock(NOW), per_number_cap=None).run(Selection("spring"))
    )
    store.close()
    assert result.sent == 5
    assert len(gateway.frozen_at_send) == 5
    assert all(count > 1000 for count in gateway.frozen_at_send)  # modules, store, project …
    assert gc.get_freeze_count() == 0
