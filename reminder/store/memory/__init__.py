"""The store contract in memory (`InMemoryStore`; public as `reminder.testing`)."""

from reminder.store.memory.store import InMemoryStore

__all__ = ["InMemoryStore"]
