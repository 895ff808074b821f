"""Users, approvals and the audit trail in SQL (a part of `SqlStore`).

Audit entries get their ids here, one more than the newest, under the table's write lock (SQLite:
the `IMMEDIATE` transaction; PostgreSQL: an explicit lock): a sequence may skip numbers when a
transaction rolls back, and the chain's check reads a gap as a deleted entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, text, update

from reminder.store.chain import GENESIS, canonical, link
from reminder.store.engine import write_transaction
from reminder.store.models import from_row
from reminder.store.records import Approval, AuditEntry, User

USER = User.__table__  # type: ignore[attr-defined]
APPROVAL = Approval.__table__  # type: ignore[attr-defined]
AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


class GovernanceQueries:
    """The store's users, approvals and audit operations."""

    engine: Engine

    # --- users ------------------------------------------------------------------------------

    def add_user(self, user: User) -> bool:
        """Add a user; False if the name is taken."""
        with write_transaction(self.engine) as connection:
            if connection.execute(select(USER.c.name).where(USER.c.name == user.name)).first():
                return False
            connection.execute(insert(USER).values(**user.model_dump()))
        return True

    def user(self, name: str) -> User | None:
        """One user by name."""
        with self.engine.connect() as connection:
            row = connection.execute(select(USER).where(USER.c.name == name)).first()
        return from_row(User, row._mapping) if row else None

    def users(self) -> list[User]:
        """Every user, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(USER).order_by(USER.c.name))
            return [from_row(User, row._mapping) for row in rows]

    def update_user(self, name: str, **values: Any) -> bool:
        """Change a user's `role`, `password_hash` or `disabled`; False if there is no such user."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(update(USER).where(USER.c.name == name).values(**values))
        return bool(result.rowcount)

    # --- approvals --------------------------------------------------------------------------

    def add_approval(self, approval: Approval) -> int:
        """Add a request for approval; its id."""
        values = approval.model_dump(exclude={"id"})
        with write_transaction(self.engine) as connection:
            result = connection.execute(insert(APPROVAL).values(**values))
            key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def decide_approval(
        self, approval_id: int, status: str, by: str, at: datetime, comment: str, *, current: str
    ) -> bool:
        """Move an approval from `current` to `status`, by `by`; False if it is not `current`."""
        with write_transaction(self.engine) as connection:
            result = connection.execute(
                update(APPROVAL)
                .where(APPROVAL.c.id == approval_id, APPROVAL.c.status == current)
                .values(status=status, decided_by=by, decided_at=at, comment=comment)
            )
        return bool(result.rowcount)

    def approvals(self, campaign: str | None = None) -> list[Approval]:
        """Approvals (of one campaign), newest first."""
        query = select(APPROVAL).order_by(APPROVAL.c.id.desc())
        if campaign is not None:
            query = query.where(APPROVAL.c.campaign == campaign)
        with self.engine.connect() as connection:
            return [from_row(Approval, row._mapping) for row in connection.execute(query)]

    # --- audit ------------------------------------------------------------------------------

    def append_audit(
        self, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
    ) -> AuditEntry:
        """Append one entry to the audit trail, chained to the newest; returns it."""
        with write_transaction(self.engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("LOCK TABLE audit_entry IN EXCLUSIVE MODE"))
            newest = connection.execute(
                select(AUDIT.c.id, AUDIT.c.hash).order_by(AUDIT.c.id.desc()).limit(1)
            ).first()
            entry_id, prev_hash = (newest.id + 1, newest.hash) if newest else (1, GENESIS)
            entry_hash = link(prev_hash, canonical(entry_id, at, actor, action, subject, details))
            values = {
                "id": entry_id,
                "at": at,
                "actor": actor,
                "action": action,
                "subject": subject,
                "details": details,
                "prev_hash": prev_hash,
                "hash": entry_hash,
            }
            connection.execute(insert(AUDIT).values(**values))
        return AuditEntry.model_validate(values)

    def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        subject: str | None = None,
        newest: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries oldest first: those whose action or subject starts with `action` or
        `subject`, by `actor`; only the `newest` so many when given."""
        query = select(AUDIT)
        if actor is not None:
            query = query.where(AUDIT.c.actor == actor)
        if action is not None:
            query = query.where(AUDIT.c.action.startswith(action, autoescape=True))
        if subject is not None:
            query = query.where(AUDIT.c.subject.startswith(subject, autoescape=True))
        if newest is not None:
            query = query.order_by(AUDIT.c.id.desc()).limit(newest)
        else:
            query = query.order_by(AUDIT.c.id)
        with self.engine.connect() as connection:
            found = [from_row(AuditEntry, row._mapping) for row in connection.execute(query)]
        return sorted(found, key=lambda e: e.id or 0)

    def audit_count(self) -> int:
        """How many entries the audit trail holds."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(AUDIT)).scalar_one())
