"""Looking inside a store from a test: what the engine never asks, so the store contract does
not offer it. Each helper takes the SQL store or the in-memory one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from reminder.status import Status
from reminder.store import DeliveryEvent, Message, NewMessage, SqlStore, Store
from reminder.store.models import from_row
from reminder.store.sql.tables import CAMPAIGN_STATE, EVENT, MESSAGE
from reminder.testing import InMemoryStore


def add_planned(store: Store, messages: Sequence[NewMessage], now: datetime) -> list[int]:
    """Plan `messages` as planning does; the ids of the ones this added, in order."""
    before = {m.id for m in store.messages()}
    store.add_planned_batches([messages], now)
    return sorted(m.id for m in store.messages() if m.id not in before)  # type: ignore[misc]


def get(store: Store, message_id: int) -> Message:
    """One message by id (it must be there)."""
    if isinstance(store, InMemoryStore):
        found = store.get(message_id)
    else:
        assert isinstance(store, SqlStore)
        with store.engine.connect() as connection:
            row = connection.execute(select(MESSAGE).where(MESSAGE.c.id == message_id)).first()
        found = from_row(Message, row._mapping) if row else None
    assert found is not None, f"no message {message_id}"
    return found


def events(store: Store, message_id: int) -> list[DeliveryEvent]:
    """Every event of one message, in the order they were appended."""
    if isinstance(store, InMemoryStore):
        return store.events(message_id)
    assert isinstance(store, SqlStore)
    query = select(EVENT).where(EVENT.c.message_id == message_id).order_by(EVENT.c.id)
    with store.engine.connect() as connection:
        return [from_row(DeliveryEvent, row._mapping) for row in connection.execute(query)]


def claim(store: Store, message_id: int, gateway: str, now: datetime) -> Message | None:
    """Claim one message by id as a dispatcher would; None if it is not planned any more."""
    moved = store.transition(
        message_id,
        Status.sending,
        now,
        source="dispatch",
        fields={"gateway": gateway, "claimed_by": None, "claimed_at": now},
    )
    return get(store, message_id) if moved else None


def is_paused(store: Store, campaign: str) -> bool:
    """Whether an operator paused the campaign."""
    if isinstance(store, InMemoryStore):
        return store.is_paused(campaign)
    assert isinstance(store, SqlStore)
    query = select(CAMPAIGN_STATE.c.paused).where(CAMPAIGN_STATE.c.campaign == campaign)
    with store.engine.connect() as connection:
        return bool(connection.execute(query).scalar())
