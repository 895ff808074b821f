"""The console's sessions in the store: a restart logs no one out, and several console
processes share them. Only the SHA-256 of each session's token is kept.

And the console's board counts a campaign's messages by date and status from an index alone:
`(campaign, occurrence)` becomes `(campaign, occurrence, status)`, which serves every query the
shorter one served (a million messages: seconds of per-date reads become one range scan).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(), primary_key=True),
        sa.Column("csrf", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=True),
        sa.Column("idle_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_session_ends", "web_session", ["ends"])
    op.create_index("ix_message_campaign_day", "message", ["campaign", "occurrence", "status"])
    op.drop_index("ix_message_campaign_occurrence", table_name="message")


def downgrade() -> None:
    op.create_index("ix_message_campaign_occurrence", "message", ["campaign", "occurrence"])
    op.drop_index("ix_message_campaign_day", table_name="message")
    op.drop_index("ix_web_session_ends", table_name="web_session")
    op.drop_table("web_session")
