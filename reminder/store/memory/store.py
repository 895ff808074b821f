"""`InMemoryStore`: the store contract in plain dicts and lists, for fast unit tests.

Public as `reminder.testing.InMemoryStore` (see there).
"""

from __future__ import annotations

from reminder.store.contract import Store
from reminder.store.memory.cases import MemoryCases
from reminder.store.memory.governance import MemoryGovernance
from reminder.store.memory.reads import MemoryReads
from reminder.store.memory.replies import MemoryReplies
from reminder.store.memory.sessions import MemorySessions
from reminder.store.memory.writes import MemoryWrites


class InMemoryStore(
    MemoryWrites,
    MemoryReads,
    MemoryCases,
    MemoryGovernance,
    MemoryReplies,
    MemorySessions,
    Store,
):
    """The store contract over dicts and lists, with the SQL store's rules: one message per
    `(campaign, push, occurrence, contact_id)`, forward-only moves, an event for every change.
    `get`, `events` and `is_paused`, outside the contract, let a test look inside."""
