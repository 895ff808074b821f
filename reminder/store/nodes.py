"""Several nodes on one store: what each `reminder run` says of itself at every heartbeat, and
the board it is written on (with the shared rate's timelines).

The SQL store keeps the board (`reminder.store.sql.nodes`, tables in `reminder.store.cluster`);
an in-memory store keeps none. Only PostgreSQL is `shared`: several nodes dispatch from it, so
their gateways' rates are reserved on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from reminder.store.contract import Store


@dataclass(frozen=True)
class Beat:
    """What one node says of itself at each heartbeat (times on the engine's clock)."""

    id: str
    host: str
    pid: int
    started_at: datetime
    at: datetime
    sent: int
    leading: bool
    running: bool = True


class NodeBoard(Protocol):
    """The heartbeats of a store's nodes, and (shared stores) its gateways' timelines."""

    @property
    def shared(self) -> bool:
        """Whether several nodes may dispatch on this store (PostgreSQL)."""
        ...

    def beat(self, beat: Beat) -> None:
        """Write this node's row; `OperationalError` when it cannot."""

    def nodes(self) -> list[Beat]:
        """Every node that ever beat on this store, the latest beat first."""
        ...

    def beating(self, node_id: str, now: datetime, lease: timedelta) -> bool | None:
        """Whether `node_id` beat within `lease` of `now` and has not stopped; None when it
        never beat here."""
        ...

    def forget_stale(self, before: datetime) -> int:
        """Delete the rows of nodes that last beat before `before`; how many."""
        ...

    def wake(self, payload: str = "") -> None:
        """Tell the idle nodes of a shared store that there are messages to send (`payload`:
        empty for now, or the ISO time deferred messages fall due); nothing elsewhere.
        `OperationalError` when the database cannot be reached."""
        ...

    def reserve(self, gateway: str, now: datetime, seconds: float, catch_up: float) -> datetime:
        """Reserve `seconds` of `gateway`'s shared timeline; returns the span's start."""
        ...


def node_board(store: Store) -> NodeBoard | None:
    """The board of `store` (None: a store that keeps none, e.g. in memory)."""
    from reminder.store.sql import SqlStore
    from reminder.store.sql.nodes import SqlNodeBoard

    return SqlNodeBoard(store.engine) if isinstance(store, SqlStore) else None
