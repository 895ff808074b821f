"""Claim time by the claiming machine's own clock, for reconciliation.

A message's `updated_at` is the engine's time, which a rehearsal simulates (2027 on a machine in
2026). A provider stamps its records with real time, so looking a message up "since its claim"
needs the claim's real time: `claimed_at`, written by the claiming process's wall clock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # In place, not in batch mode: on SQLite a batch drop copies the table and drops the old
    # one, and with foreign keys on, dropping it deleted every delivery event (ON DELETE
    # CASCADE). SQLite drops a column in place since 3.35.
    op.drop_column("message", "claimed_at")
