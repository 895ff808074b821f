"""The nodes of one store and what they are doing (`reminder status`): each node's heartbeat,
which one leads, how fast each sends, and the occurrences in flight.

A node is taken as running while it beat within `STALE_POLLS` poll intervals (and at least
`STALE_MINIMUM`); the leader is the running node that said it leads at its last beat. Times
are the engine's clock, as the nodes wrote them (a rehearsal's simulated time).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from reminder.status import Status
from reminder.store import Selection
from reminder.store.nodes import Beat

if TYPE_CHECKING:
    from reminder.core.app import App

#: A node that has not beat for this many poll intervals is taken as gone.
STALE_POLLS = 3
#: ... and never sooner than this.
STALE_MINIMUM = timedelta(seconds=10)
#: The leader deletes the rows of nodes silent for longer than this, at each of its heartbeats:
#: `reminder status` then shows a day of history of nodes stopped or killed, not every node
#: that ever ran (a message a forgotten node left `sending` is still reconciled: a claim whose
#: owner never beat here is asked of the provider once its lease has passed).
FORGET_AFTER = timedelta(days=1)
#: The statuses of a message still in flight.
IN_FLIGHT = (Status.planned, Status.sending, Status.unknown)


@dataclass(frozen=True)
class NodeState:
    """One node as its last heartbeat shows it."""

    beat: Beat
    running: bool
    leads: bool
    #: Seconds since its last beat, on the engine's clock.
    silent_seconds: float

    @property
    def per_second(self) -> float:
        """Messages sent a second since the node started (engine time)."""
        up = (self.beat.at - self.beat.started_at).total_seconds()
        return self.beat.sent / up if up > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        """What a script reads."""
        b = self.beat
        return {
            "id": b.id,
            "host": b.host,
            "pid": b.pid,
            "started_at": b.started_at.isoformat(),
            "last_beat": b.at.isoformat(),
            "silent_seconds": round(self.silent_seconds, 1),
            "running": self.running,
            "leads": self.leads,
            "sent": b.sent,
            "per_second": round(self.per_second, 2),
        }


@dataclass(frozen=True)
class InFlight:
    """One occurrence with messages not finished, and which nodes hold its `sending` ones."""

    campaign: str
    push: str
    day: date
    counts: dict[str, int]
    holders: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """What a script reads."""
        return {
            "campaign": self.campaign,
            "push": self.push,
            "occurrence": self.day.isoformat(),
            "counts": self.counts,
            "sending_by_node": self.holders,
        }


@dataclass(frozen=True)
class ClusterStatus:
    """Every node of the store, and the occurrences in flight."""

    now: datetime
    shared: bool
    nodes: list[NodeState]
    in_flight: list[InFlight]

    @property
    def leader(self) -> NodeState | None:
        """The running node that leads, if any."""
        return next((n for n in self.nodes if n.leads), None)

    def as_json(self) -> dict[str, Any]:
        """What a script reads."""
        leader = self.leader
        return {
            "now": self.now.isoformat(),
            "shared": self.shared,
            "leader": leader.beat.id if leader else None,
            "nodes": [n.as_json() for n in self.nodes],
            "in_flight": [o.as_json() for o in self.in_flight],
        }


def cluster_status(app: App) -> ClusterStatus:
    """The nodes of the app's store and the occurrences in flight (see the module doc)."""
    now = app.clock.now()
    board = app.nodes
    poll = app.config.settings.scheduler.node_poll_seconds
    stale = max(STALE_MINIMUM, timedelta(seconds=STALE_POLLS * poll))
    states = []
    for beat in board.nodes() if board is not None else []:
        running = beat.running and beat.at >= now - stale
        silent = (now - beat.at).total_seconds()
        states.append(NodeState(beat, running, running and beat.leading, silent))
    shared = board is not None and board.shared
    return ClusterStatus(now, shared, states, in_flight(app))


def in_flight(app: App) -> list[InFlight]:
    """Every occurrence of the project's campaigns with messages planned, sending or of
    unknown fate, by campaign, push and date."""
    store = app.store
    found = []
    for campaign in sorted(app.project.campaigns):
        counts: dict[tuple[str, date], Counter[str]] = {}
        for row in store.outcome_counts(Selection(campaign)):
            if row.status in IN_FLIGHT:
                counts.setdefault((row.push, row.occurrence), Counter())[row.status.value] += (
                    row.count
                )
        if not counts:
            continue
        holders: dict[tuple[str, date], Counter[str]] = {}
        for message in store.claims(Selection(campaign), [Status.sending]):
            key = (message.push, message.occurrence)
            holders.setdefault(key, Counter())[message.claimed_by or "?"] += 1
        for (push, day), by_status in sorted(counts.items()):
            found.append(
                InFlight(campaign, push, day, dict(by_status), dict(holders.get((push, day), {})))
            )
    return found
