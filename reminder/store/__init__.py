"""The store: every message and every delivery event (ARCHITECTURE.md invariants 1–3).

`Store` is the contract (`contract.py`); `SqlStore` keeps it in SQLite or PostgreSQL
(`open_store`), `reminder.testing.InMemoryStore` in plain dicts.
"""

from reminder.store.cluster import Node, RateSlot
from reminder.store.contract import Store
from reminder.store.models import DeliveryEvent, Message, Suppression
from reminder.store.records import Approval, AuditEntry, User, WebSession
from reminder.store.replies import AckQuestion, Reply
from reminder.store.sql import SqlStore, open_store
from reminder.store.values import (
    CaseReading,
    ContactReach,
    GatewayReceipts,
    NewMessage,
    NewReply,
    OutcomeCount,
    ReachState,
    ReplyOutcome,
    Selection,
    SkipReason,
    UnreachedRow,
)

__all__ = [
    "AckQuestion",
    "Approval",
    "AuditEntry",
    "CaseReading",
    "ContactReach",
    "DeliveryEvent",
    "GatewayReceipts",
    "Message",
    "NewMessage",
    "NewReply",
    "Node",
    "OutcomeCount",
    "RateSlot",
    "ReachState",
    "Reply",
    "ReplyOutcome",
    "Selection",
    "SkipReason",
    "SqlStore",
    "Store",
    "Suppression",
    "UnreachedRow",
    "User",
    "WebSession",
    "open_store",
]
