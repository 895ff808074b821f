"""Skip reasons: why a message was skipped, as a column with a closed set of values.

Reports told a suppressed message from a capped one by the start of its `error_text`, words
written by f-strings in planning and dispatch. The reason is now a code of its own
(`reminder.store.values.SkipReason`); existing skipped messages get theirs from the words they
were written with. The values are spelled out here, not imported: a migration stays what it
was when it ran.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: (skip reason, how the `error_text` of such a message began)
REASONS = (("suppressed", "suppressed%"), ("per_number_cap", "per-number cap%"))


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("skip_reason", sa.String(), nullable=True))
    message = sa.table(
        "message", sa.column("status"), sa.column("error_text"), sa.column("skip_reason")
    )
    for reason, words in REASONS:
        op.execute(
            message.update()
            .where(message.c.status == "skipped", message.c.error_text.like(words))
            .values(skip_reason=reason)
        )


def downgrade() -> None:
    # In place, not in batch mode: on SQLite a batch drop copies the table and drops the old
    # one, and with foreign keys on, dropping it deletes every delivery event (ON DELETE
    # CASCADE). SQLite drops a column in place since 3.35.
    op.drop_column("message", "skip_reason")
