"""Several nodes on one SQL store: heartbeats and the shared rate (tables in
`reminder.store.cluster`).

Every `reminder run` writes its heartbeat row every few seconds (`beat`); `reminder status`
reads them (`nodes`), and reconciliation asks whether a claim's owner on another host still
beats (`beating`). On PostgreSQL, dispatchers on every node reserve spans of each gateway's
timeline (`reserve`): one short UPDATE per span, not one per message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from reminder.errors import OperationalError
from reminder.i18n import _
from reminder.store.cluster import Node, RateSlot
from reminder.store.engine import write_transaction
from reminder.store.nodes import Beat
from reminder.store.wakeup import notify

NODE = Node.__table__  # type: ignore[attr-defined]
RATE_SLOT = RateSlot.__table__  # type: ignore[attr-defined]

#: One span of a gateway's timeline for one node: it starts where the timeline is free, or now
#: when that is longer than `catch_up` ago (an idle spell is not saved up), and the timeline
#: moves on past it; one statement, so two nodes never get overlapping spans.
_RESERVE = text(
    "UPDATE rate_slot SET next_at = (CASE WHEN next_at >= :now - :catch_up * interval '1 second' "
    "THEN next_at ELSE :now END) + :span * interval '1 second' "
    "WHERE gateway = :gateway "
    "RETURNING next_at - :span * interval '1 second'"
)


class SqlNodeBoard:
    """The heartbeat rows and rate slots on one store's engine (a
    `reminder.store.nodes.NodeBoard`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def shared(self) -> bool:
        """Whether several nodes may dispatch on this store (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    def beat(self, beat: Beat) -> None:
        """Write this node's row (created at its first beat); `OperationalError` when the
        database cannot be written to."""
        try:
            self._beat(beat)
        except SQLAlchemyError as exc:
            raise OperationalError(
                _("cannot write this node's heartbeat: {kind}").format(kind=exc.__class__.__name__)
            ) from None

    def _beat(self, beat: Beat) -> None:
        values = {
            "host": beat.host,
            "pid": beat.pid,
            "started_at": beat.started_at,
            "beat_at": beat.at,
            "sent": beat.sent,
            "leading": beat.leading,
            "running": beat.running,
        }
        with write_transaction(self.engine) as connection:
            changed = connection.execute(update(NODE).where(NODE.c.id == beat.id).values(values))
            if changed.rowcount == 0:
                connection.execute(insert(NODE).values(id=beat.id, **values))

    def nodes(self) -> list[Beat]:
        """Every node that ever beat on this store, the latest beat first."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(NODE).order_by(NODE.c.beat_at.desc(), NODE.c.id))
            return [
                Beat(
                    row.id,
                    row.host,
                    row.pid,
                    row.started_at,
                    row.beat_at,
                    row.sent,
                    row.leading,
                    row.running,
                )
                for row in rows
            ]

    def beating(self, node_id: str, now: datetime, lease: timedelta) -> bool | None:
        """Whether node `node_id` beat within `lease` of `now` and has not stopped; None when
        it never beat here (an older version, or a `reminder send` that keeps no heartbeat)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(NODE.c.beat_at, NODE.c.running).where(NODE.c.id == node_id)
            ).first()
        if row is None:
            return None
        return bool(row.running) and row.beat_at >= now - lease

    def forget_stale(self, before: datetime) -> int:
        """Delete the rows of nodes that last beat before `before`; how many
        (`OperationalError` when the database cannot be written to)."""
        try:
            with write_transaction(self.engine) as connection:
                return connection.execute(NODE.delete().where(NODE.c.beat_at < before)).rowcount
        except SQLAlchemyError as exc:
            raise OperationalError(
                _("cannot forget silent nodes: {kind}").format(kind=exc.__class__.__name__)
            ) from None

    def wake(self, payload: str = "") -> None:
        """Tell the idle nodes of a PostgreSQL store that there are messages to send
        (`reminder.store.wakeup`); nothing on SQLite, which one daemon serves."""
        if not self.shared:
            return
        try:
            with self.engine.begin() as connection:
                notify(connection, payload)
        except SQLAlchemyError as exc:
            raise OperationalError(
                _("cannot wake the other nodes: {kind}").format(kind=exc.__class__.__name__)
            ) from None

    def reserve(self, gateway: str, now: datetime, seconds: float, catch_up: float) -> datetime:
        """Reserve `seconds` of `gateway`'s shared timeline (see `_RESERVE`); returns where the
        span starts (PostgreSQL only)."""
        parameters = {"gateway": gateway, "now": now, "span": seconds, "catch_up": catch_up}
        for _attempt in range(2):
            with self.engine.begin() as connection:
                start = connection.execute(_RESERVE, parameters).scalar()
                if start is not None:
                    return start.astimezone(UTC)  # type: ignore[no-any-return]
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(RATE_SLOT).values(gateway=gateway, next_at=now))
            except IntegrityError:
                pass  # another node created it first
        raise RuntimeError(f"rate slot of {gateway} could not be reserved")
