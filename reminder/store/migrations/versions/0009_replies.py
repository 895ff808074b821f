"""Replies: the occurrences that ask for an answer, and every reply received.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ack_question",
        sa.Column("campaign", sa.String(), primary_key=True),
        sa.Column("push", sa.String(), primary_key=True),
        sa.Column("occurrence", sa.Date(), primary_key=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("within_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reply",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("gateway", sa.String(), nullable=False),
        sa.Column("provider_id", sa.String(), nullable=True),
        sa.Column("sender", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("campaign", sa.String(), nullable=True),
        sa.Column("push", sa.String(), nullable=True),
        sa.Column("occurrence", sa.Date(), nullable=True),
        sa.Column("contact_id", sa.String(), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("gateway", "provider_id", name="uq_reply_provider_id"),
    )
    op.create_index("ix_reply_message", "reply", ["message_id"])
    op.create_index("ix_reply_campaign", "reply", ["campaign", "occurrence"])


def downgrade() -> None:
    op.drop_index("ix_reply_campaign", table_name="reply")
    op.drop_index("ix_reply_message", table_name="reply")
    op.drop_table("reply")
    op.drop_table("ack_question")
