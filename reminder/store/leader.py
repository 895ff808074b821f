"""Who may fire occurrences: one `reminder run` per SQLite file, one leader per PostgreSQL store.

APScheduler keeps its jobs in each process's memory, so two daemons on one store would each
fire every push. The store decides instead:
- **SQLite** stays single-node: the daemon holds an exclusive `flock` on `<db>.run.lock` for
  its whole life, and a second one refuses to start. The kernel drops the lock when the process
  dies, however it dies, so a crashed daemon never blocks its restart.
- **PostgreSQL**: every node dispatches, one leads (plans occurrences). Leadership is a
  session-level `pg_try_advisory_lock` held on a connection of its own: it ends with the
  process or with that connection (a backend terminated, a network cut), and a standby that
  asks again then gets it. A leader that finds its connection gone stands down for one poll
  before asking again, so that a standby takes over. The lock key is derived from the schema,
  so stores in different schemas of one database have leaders of their own.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from reminder.errors import OperationalError
from reminder.i18n import _

log = logging.getLogger("reminder.run")

#: The advisory lock's key: one per schema (`hashtext` gives an int4, which the lock widens).
_TRY_LEAD = text(
    "SELECT pg_try_advisory_lock(hashtext('reminder-leader:' || current_database() || '.' "
    "|| current_schema()))"
)


class Leadership(Protocol):
    """Whether this process leads: `claim` asks (again), `close` gives it up."""

    #: Whether the store lets other daemons run beside this one (workers, standbys).
    shared: bool

    def claim(self) -> bool:
        """Lead if possible; True while this process leads (asked again at every call)."""
        ...

    def close(self) -> None:
        """Give up leading (and whatever holds it)."""
        ...


class SoleDaemon:
    """A store only one daemon may use (SQLite, memory): the lock file, held until `close`."""

    shared = False

    def __init__(self, lock_path: Path | None) -> None:
        self.lock_path = lock_path
        self._fd: int | None = None
        if lock_path is not None:
            self._fd = _lock_exclusively(lock_path)

    def claim(self) -> bool:
        """Always: the only daemon leads."""
        return True

    def close(self) -> None:
        """Release the lock file (the kernel would at exit anyway)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _lock_exclusively(path: Path) -> int:
    """Hold an exclusive lock on `path` (created if need be); refuse if another process does."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OperationalError(
            _("cannot create the lock file {path}: {error}").format(path=path, error=exc.strerror)
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise OperationalError(
            _(
                "another `reminder run` is already running on this SQLite database (it holds "
                "{path}); a SQLite store allows one daemon — stop the other one, or use "
                "PostgreSQL to run several nodes"
            ).format(path=path)
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


class AdvisoryLeadership:
    """Leadership of a PostgreSQL store: a session advisory lock on a dedicated connection."""

    shared = True

    def __init__(self, url: str) -> None:
        # No pool: the connection holding the lock is never handed to anyone else, and a dead
        # one is dropped, not recycled.
        self.engine: Engine = create_engine(url, poolclass=NullPool)
        self._connection: Connection | None = None

    def claim(self) -> bool:
        """True while the lock is held: checked on its connection, taken again if free."""
        if self._connection is not None:
            if self._alive(self._connection):
                return True
            log.warning(_("leadership lost: the connection holding it is gone"))
            self._drop()
            # Not asked again in the same breath: a node cut off from the database would most
            # likely win it straight back; the standbys get one poll to take over first.
            return False
        try:
            connection = self.engine.connect()
            got = bool(connection.execute(_TRY_LEAD).scalar())
            connection.commit()
        except SQLAlchemyError as exc:
            log.warning(_("cannot ask for leadership: %s"), exc.__class__.__name__)
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    @staticmethod
    def _alive(connection: Connection) -> bool:
        try:
            connection.execute(text("SELECT 1"))
            connection.commit()
        except SQLAlchemyError:
            return False
        return True

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._connection.close()
            self._connection = None

    def close(self) -> None:
        """Give up leading: closing the session releases the lock."""
        self._drop()
        self.engine.dispose()


def leadership_for(url: str) -> Leadership:
    """The leadership of the store at `url`: an advisory lock on PostgreSQL; on SQLite a lock
    on `<db>.run.lock` (raises `OperationalError` if another daemon holds it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return AdvisoryLeadership(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return SoleDaemon(None)
    path = Path(database)
    return SoleDaemon(path.with_name(path.name + ".run.lock"))
