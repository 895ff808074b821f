"""Alembic environment: runs on the connection handed over in `config.attributes`.

The caller (`reminder.store.migrate`) owns the transaction and the migration lock, so the
whole upgrade commits, or rolls back, as one.
"""

from __future__ import annotations

from alembic import context

from reminder.store import cluster, models, records, replies  # noqa: F401 - their tables join the metadata

config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=models.SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
context.run_migrations()
