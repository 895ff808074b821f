"""Contact index: every message of a batch of people, without scanning the rest.

Planning chooses each person's warning-education case from everything they have read, across
pushes, campaigns and years: it reads the messages of each batch of contacts it plans, by
`contact_id`. The identity key starts with the campaign, so without this index each batch's
read walked the whole table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_message_contact", "message", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_message_contact", table_name="message")
