"""The console's sessions in the store: a restart logs no one out, and several console
processes share them. Only the SHA-256 of each session's token is kept.

And a campaign's messages of a range of dates are counted from an index alone — the console's
board by date and status, the report's outcomes by push, date, status and skip reason:
`(campaign, occurrence)` becomes `(campaign, occurrence, push, status, skip_reason)`, which
serves every query the shorter one served (a million messages: the board's per-date reads took
seconds, the report's outcomes a scan of the campaign's every index entry).

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

DAY_COLUMNS = ["campaign", "occurrence", "push", "status", "skip_reason"]


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
    op.create_index("ix_message_campaign_day", "message", DAY_COLUMNS)
    op.drop_index("ix_message_campaign_occurrence", table_name="message")


def downgrade() -> None:
    op.create_index("ix_message_campaign_occurrence", "message", ["campaign", "occurrence"])
    op.drop_index("ix_message_campaign_day", table_name="message")
    op.drop_index("ix_web_session_ends", table_name="web_session")
    op.drop_table("web_session")
