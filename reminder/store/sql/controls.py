"""The suppression list and paused campaigns: what operators and opt-outs decide."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select, update

from reminder.store.engine import write_transaction
from reminder.store.models import Suppression
from reminder.store.sql.tables import CAMPAIGN_STATE, CHUNK, SUPPRESSION


class ControlQueries:
    """The store's suppression and pause operations (a part of `SqlStore`)."""

    engine: Engine

    def suppress(self, number: str, reason: str, source: str, now: datetime) -> bool:
        """Add a number to the suppression list; False if it was already there."""
        with write_transaction(self.engine) as connection:
            if connection.execute(
                select(SUPPRESSION.c.number).where(SUPPRESSION.c.number == number)
            ).first():
                return False
            connection.execute(
                insert(SUPPRESSION).values(
                    number=number, reason=reason, source=source, created_at=now
                )
            )
        return True

    def unsuppress(self, number: str) -> bool:
        """Remove a number from the suppression list; False if it was not there."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(delete(SUPPRESSION).where(SUPPRESSION.c.number == number))
        return bool(result.rowcount)

    def suppressions(self) -> list[Suppression]:
        """The whole suppression list, oldest first."""
        query = select(SUPPRESSION).order_by(SUPPRESSION.c.created_at, SUPPRESSION.c.number)
        with self.engine.connect() as connection:
            return [Suppression.model_validate(row._mapping) for row in connection.execute(query)]

    def suppressed(self, numbers: Iterable[str]) -> dict[str, str]:
        """Which of `numbers` are suppressed, with the reason."""
        found: dict[str, str] = {}
        with self.engine.connect() as connection:
            if connection.execute(select(SUPPRESSION.c.number).limit(1)).first() is None:
                return found  # the usual case: an empty list, no need to look numbers up
            wanted = list(set(numbers))
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                rows = connection.execute(
                    select(SUPPRESSION.c.number, SUPPRESSION.c.reason).where(
                        SUPPRESSION.c.number.in_(chunk)
                    )
                )
                found.update({row.number: row.reason for row in rows})
        return found

    def set_paused(self, campaign: str, paused: bool, now: datetime) -> None:
        """Pause or resume a campaign's dispatch."""
        with write_transaction(self.engine) as connection:
            updated = connection.execute(
                update(CAMPAIGN_STATE)
                .where(CAMPAIGN_STATE.c.campaign == campaign)
                .values(paused=paused, updated_at=now)
            )
            if updated.rowcount == 0:
                connection.execute(
                    insert(CAMPAIGN_STATE).values(campaign=campaign, paused=paused, updated_at=now)
                )
