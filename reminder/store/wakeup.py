"""Waking idle nodes on a PostgreSQL store: `NOTIFY` when there is something to send, `LISTEN`
on a connection of one's own.

The leader notifies when it plans an occurrence, an operator's resume or retry when messages go
back to `planned`, a dispatcher when it defers messages (the payload then says until when).
Every node listens (`Listener`, a thread with a dedicated psycopg connection) and calls its
`on_wake` at once; polling every `node_poll_seconds` stays the fallback, for a notification
sent while a listener was reconnecting or before it started. A notification is delivered when
the notifying transaction commits, so a woken node finds the rows it was told about.

The channel is one per store (database and schema), so stores in other schemas of one
database do not wake each other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from reminder.i18n import _

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("reminder.run")

#: The store's channel: a fixed prefix and a digest of database and schema (a channel name is
#: an identifier of at most 63 bytes).
_CHANNEL = "'reminder_wake_' || md5(current_database() || '.' || current_schema())"
#: What `pg_stat_activity` calls a listening connection.
APPLICATION_NAME = "reminder-listen"
#: How often the listening thread looks whether it was asked to stop (seconds).
_TICK = 0.5


def notify(connection: Connection, payload: str = "") -> None:
    """Queue a notification on the store's channel; sent when `connection`'s transaction
    commits (PostgreSQL only)."""
    connection.execute(text(f"SELECT pg_notify({_CHANNEL}, :payload)"), {"payload": payload})


def conninfo(url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (its query, e.g. a
    `search_path` in `options`, kept)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """A thread that listens on the store's channel and calls `on_wake(payload)` for each
    notification, reconnecting (after `retry_seconds`) when its connection is lost. After a
    reconnection it calls `on_wake("")` once: something may have been notified meanwhile."""

    def __init__(
        self, url: str, on_wake: Callable[[str], None], *, retry_seconds: float = 3.0
    ) -> None:
        self._conninfo = conninfo(url)
        self._on_wake = on_wake
        self._retry = retry_seconds
        self._stop = threading.Event()
        #: Set once the first LISTEN is in place (tests wait for it).
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reminder-listen", daemon=True)

    def start(self) -> Listener:
        """Start listening in the background; returns self."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening (within `_TICK`) and close the connection."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5 * _TICK)

    def _run(self) -> None:
        import psycopg  # the postgres extra: only a PostgreSQL store listens

        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._conninfo, autocommit=True, application_name=APPLICATION_NAME
                ) as connection:
                    self._listen(connection)
                    if lost:
                        log.info(_("listening for planned messages again"))
                        self._wake("")
                    lost = False
                    self._wait(connection)
            except psycopg.Error as exc:
                if not lost:
                    log.warning(
                        _("cannot listen for planned messages (%s): polling until it can"),
                        exc.__class__.__name__,
                    )
                lost = True
                self._stop.wait(self._retry)

    def _listen(self, connection: psycopg.Connection[Any]) -> None:
        from psycopg import sql

        channel = connection.execute(f"SELECT {_CHANNEL}").fetchone()
        assert channel is not None
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(str(channel[0]))))
        self.listening.set()

    def _wait(self, connection: psycopg.Connection[Any]) -> None:
        while not self._stop.is_set():
            for notice in connection.notifies(timeout=_TICK):
                self._wake(notice.payload)
                if self._stop.is_set():
                    return

    def _wake(self, payload: str) -> None:
        try:
            self._on_wake(payload)
        except Exception:  # the listener outlives a failing callback; polling remains
            log.exception(_("waking this node failed"))
