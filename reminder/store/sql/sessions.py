"""The console's sessions in SQL (a part of `SqlStore`): rows keyed by the SHA-256 of the
session's token, so the table alone opens no session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, insert, or_, select, update

from reminder.store.engine import write_transaction
from reminder.store.models import from_row
from reminder.store.records import WebSession

SESSION = WebSession.__table__  # type: ignore[attr-defined]


class SessionQueries:
    """Add, read, renew and end console sessions."""

    engine: Engine

    def add_session(self, session: WebSession) -> None:
        """Keep a new session."""
        with write_transaction(self.engine) as connection:
            connection.execute(insert(SESSION).values(**session.model_dump()))

    def web_session(self, token_hash: str) -> WebSession | None:
        """The session whose token hashes to `token_hash`, expired or not."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(SESSION).where(SESSION.c.token_hash == token_hash)
            ).first()
        return from_row(WebSession, row._mapping) if row else None

    def renew_session(self, token_hash: str, idle_until: datetime) -> None:
        """Push a session's idle end on."""
        with write_transaction(self.engine) as connection:
            connection.execute(
                update(SESSION)
                .where(SESSION.c.token_hash == token_hash)
                .values(idle_until=idle_until)
            )

    def end_session(self, token_hash: str) -> None:
        """Delete a session (a logout, an expiry)."""
        with write_transaction(self.engine) as connection:
            connection.execute(delete(SESSION).where(SESSION.c.token_hash == token_hash))

    def end_sessions_before(self, moment: datetime) -> int:
        """Delete every session idle or over at `moment`; how many."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                delete(SESSION).where(or_(SESSION.c.idle_until <= moment, SESSION.c.ends <= moment))
            )
        return int(result.rowcount or 0)
