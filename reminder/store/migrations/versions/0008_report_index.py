"""The report's outcome counts read an index, not the table; the status-only index goes.

`outcome_counts` groups a campaign's messages by push, date, status and skip reason: with
`(campaign, push, occurrence, status, skip_reason)` it is answered from the index alone (a
million messages: seconds of random reads on SQLite become a quarter of a second). The index
on `status` alone is a prefix of `ix_message_claim`, which serves every query it served, so
a status change still updates as many indexes as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ["campaign", "push", "occurrence", "status", "skip_reason"]


def upgrade() -> None:
    op.create_index("ix_message_outcome", "message", COLUMNS)
    op.drop_index("ix_message_status", table_name="message")


def downgrade() -> None:
    op.create_index("ix_message_status", "message", ["status"])
    op.drop_index("ix_message_outcome", table_name="message")
