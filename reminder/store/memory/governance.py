"""Users, approvals and the audit trail in memory (a part of `InMemoryStore`), with the rules
of their SQL counterparts (`reminder.store.sql.governance`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reminder.store.chain import GENESIS, canonical, link
from reminder.store.memory.rows import MemoryRows, locked, utc
from reminder.store.records import Approval, AuditEntry, User


class MemoryGovernance(MemoryRows):
    """Users, approvals and audit entries, kept as model copies."""

    def __init__(self) -> None:
        super().__init__()
        self.user_rows: dict[str, User] = {}
        self.approval_rows: dict[int, Approval] = {}
        self.audit_rows: list[AuditEntry] = []

    @locked
    def add_user(self, user: User) -> bool:
        """Add a user; False if the name is taken."""
        if user.name in self.user_rows:
            return False
        self.user_rows[user.name] = user.model_copy(update={"created_at": utc(user.created_at)})
        return True

    @locked
    def user(self, name: str) -> User | None:
        """One user by name."""
        found = self.user_rows.get(name)
        return found.model_copy() if found else None

    @locked
    def users(self) -> list[User]:
        """Every user, by name."""
        return [self.user_rows[name].model_copy() for name in sorted(self.user_rows)]

    @locked
    def update_user(self, /, name: str, **values: Any) -> bool:
        """Change a user's `role`, `password_hash` or `disabled`; False if there is no such user."""
        if name not in self.user_rows:
            return False
        self.user_rows[name] = self.user_rows[name].model_copy(update=values)
        return True

    @locked
    def add_approval(self, approval: Approval) -> int:
        """Add a request for approval; its id."""
        approval_id = len(self.approval_rows) + 1
        self.approval_rows[approval_id] = approval.model_copy(
            update={"id": approval_id, "requested_at": utc(approval.requested_at)}
        )
        return approval_id

    @locked
    def decide_approval(
        self, approval_id: int, status: str, by: str, at: datetime, comment: str, *, current: str
    ) -> bool:
        """Move an approval from `current` to `status`, by `by`; False if it is not `current`."""
        found = self.approval_rows.get(approval_id)
        if found is None or found.status != current:
            return False
        self.approval_rows[approval_id] = found.model_copy(
            update={"status": status, "decided_by": by, "decided_at": utc(at), "comment": comment}
        )
        return True

    @locked
    def approvals(self, campaign: str | None = None) -> list[Approval]:
        """Approvals (of one campaign), newest first."""
        return [
            a.model_copy()
            for _, a in sorted(self.approval_rows.items(), reverse=True)
            if campaign in (None, a.campaign)
        ]

    @locked
    def append_audit(
        self, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
    ) -> AuditEntry:
        """Append one entry to the audit trail, chained to the newest; returns it."""
        entry_id = len(self.audit_rows) + 1
        prev_hash = self.audit_rows[-1].hash if self.audit_rows else GENESIS
        at = utc(at)
        entry = AuditEntry(
            id=entry_id,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=dict(details),
            prev_hash=prev_hash,
            hash=link(prev_hash, canonical(entry_id, at, actor, action, subject, details)),
        )
        self.audit_rows.append(entry)
        return entry.model_copy()

    @locked
    def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        subject: str | None = None,
        newest: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries oldest first, filtered as the SQL store filters them."""
        found = [
            e.model_copy()
            for e in self.audit_rows
            if actor in (None, e.actor)
            and (action is None or e.action.startswith(action))
            and (subject is None or e.subject.startswith(subject))
        ]
        return found[max(0, len(found) - newest) :] if newest is not None else found

    @locked
    def audit_count(self) -> int:
        """How many entries the audit trail holds."""
        return len(self.audit_rows)
