"""The console's sessions in memory (a part of `InMemoryStore`), as the SQL store keeps them
(`reminder.store.sql.sessions`)."""

from __future__ import annotations

from datetime import datetime

from reminder.store.memory.rows import MemoryRows, locked, utc
from reminder.store.records import WebSession


class MemorySessions(MemoryRows):
    """Sessions by the hash of their token."""

    def __init__(self) -> None:
        super().__init__()
        self.session_rows: dict[str, WebSession] = {}

    @locked
    def add_session(self, session: WebSession) -> None:
        """Keep a new session."""
        self.session_rows[session.token_hash] = session.model_copy(
            update={"idle_until": utc(session.idle_until), "ends": utc(session.ends)}
        )

    @locked
    def web_session(self, token_hash: str) -> WebSession | None:
        """The session whose token hashes to `token_hash`, expired or not."""
        found = self.session_rows.get(token_hash)
        return found.model_copy() if found else None

    @locked
    def renew_session(self, token_hash: str, idle_until: datetime) -> None:
        """Push a session's idle end on."""
        found = self.session_rows.get(token_hash)
        if found is not None:
            self.session_rows[token_hash] = found.model_copy(update={"idle_until": utc(idle_until)})

    @locked
    def end_session(self, token_hash: str) -> None:
        """Delete a session (a logout, an expiry)."""
        self.session_rows.pop(token_hash, None)

    @locked
    def end_sessions_before(self, moment: datetime) -> int:
        """Delete every session idle or over at `moment`; how many."""
        over = [
            key
            for key, s in self.session_rows.items()
            if s.idle_until <= moment or s.ends <= moment
        ]
        for key in over:
            del self.session_rows[key]
        return len(over)
