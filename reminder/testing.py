"""Test doubles shipped with the package, for users' own tests and ours.

`InMemoryStore` keeps the store contract (`reminder.store.Store`) in plain dicts: planning,
dispatch, the runner and reports take it as they take the SQL store, and a unit test touches
no database. With `MemoryGateway` (`reminder.delivery.gateways.memory`) for what was sent:

    store = InMemoryStore()
    plan_streaming(project, store, "spring", "daily", day, clock)
    await Dispatcher(store, MemoryGateway(), clock).run(Selection("spring"))
    assert [m.status for m in store.messages()] == ["sent", "sent"]
    assert [e.status for e in store.events(1)] == ["planned", "sending", "sent"]

The same suite of tests runs over it and the SQL store (`tests/contract/test_store.py`):
one message per `(campaign, push, occurrence, contact_id)`, forward-only moves
(`reminder.status.can_move`), an event appended for every change. Besides the contract it
offers `get`, `events` and `is_paused`, and its state is open: `rows`, `event_rows`,
`suppression`, `paused`.
"""

from reminder.store.memory import InMemoryStore

__all__ = ["InMemoryStore"]
