"""Delivery: claim owner, suppression list, campaign pause state, lookup indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
    op.create_index("ix_message_recipient_sent_at", "message", ["recipient", "sent_at"])
    op.create_index("ix_message_provider_id", "message", ["provider_id"])
    op.create_table(
        "suppression",
        sa.Column("number", sa.String(), primary_key=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "campaign_state",
        sa.Column("campaign", sa.String(), primary_key=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("campaign_state")
    op.drop_table("suppression")
    op.drop_index("ix_message_provider_id", table_name="message")
    op.drop_index("ix_message_recipient_sent_at", table_name="message")
    with op.batch_alter_table("message") as batch:
        batch.drop_column("claimed_by")
