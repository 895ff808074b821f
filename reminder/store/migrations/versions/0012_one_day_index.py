"""One index for a campaign's counts by date, push, status and skip reason, not two.

`ix_message_outcome` (campaign, push, occurrence, status, skip_reason) and
`ix_message_campaign_day` (campaign, occurrence, push, status, skip_reason) hold the same
columns in two orders. The report's outcome counts are answered from the second alone, grouped
in its order (a million messages: 0.08 s on SQLite), so the first goes: every status change
(claim, acceptance, receipt) updated both, and that was ~3 % of the dispatcher's time at
thousands of messages a second (bench/README.md).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_message_outcome", table_name="message")


def downgrade() -> None:
    op.create_index(
        "ix_message_outcome", "message", ["campaign", "push", "occurrence", "status", "skip_reason"]
    )
