"""The store contract on SQLite and PostgreSQL (SQLAlchemy Core, alembic migrations)."""

from reminder.store.sql.store import SqlStore, open_store

__all__ = ["SqlStore", "open_store"]
