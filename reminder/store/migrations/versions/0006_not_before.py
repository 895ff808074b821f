"""Not before: a message a provider deferred (a per-number daily limit) waits until this time.

A deferred message goes back to `planned` with `not_before` set; claims leave it alone until
then. NULL for every other message, and for every message that existed before.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # In place, not in batch mode (see 0005: a batch drop on SQLite would delete the events).
    op.drop_column("message", "not_before")
