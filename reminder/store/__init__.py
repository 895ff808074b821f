"""The store: every message and every delivery event (ARCHITECTURE.md invariants 1–3)."""

from reminder.store.models import DeliveryEvent, Message
from reminder.store.store import NewMessage, Selection, SkipReason, Store, open_store

__all__ = [
    "DeliveryEvent",
    "Message",
    "NewMessage",
    "Selection",
    "SkipReason",
    "Store",
    "open_store",
]
