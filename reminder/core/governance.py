"""The application core's governance use cases — approval, users, the audit trail — as a part
of `App` (`reminder.core.app`), so the CLI and the web console call the same methods."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, cast

from reminder.core import approval, audit, board, people
from reminder.core.audit import Verification, Watch
from reminder.errors import PermissionDeniedError
from reminder.store import Approval, AuditEntry, User

if TYPE_CHECKING:
    from reminder.core.app import App


class Governance:
    """Approval, users and the audit trail (a part of `App`)."""

    #: Who acts when a method is not told (the person at the command line).
    actor: str = audit.default_actor()

    def _app(self) -> App:
        return cast("App", self)

    def audit(self, actor: str | None, action: str, subject: str, **details: Any) -> None:
        """Append one entry to the audit trail."""
        audit.record(self._app(), actor or self.actor, action, subject, **details)

    def audit_entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        subject: str | None = None,
        newest: int | None = None,
    ) -> list[AuditEntry]:
        """Audit entries, oldest first, filtered (`Store.audit_entries`)."""
        return self._app().store.audit_entries(
            actor=actor, action=action, subject=subject, newest=newest
        )

    def show_numbers(
        self,
        what: str,
        campaign: str | None = None,
        day: date | None = None,
        *,
        user: str | None = None,
        **details: Any,
    ) -> None:
        """Record that phone numbers are shown in full (`what`: the page or export); before
        that, a console `user` must be an approver or an admin, and a refusal is recorded too
        (`PermissionDeniedError`). Without `user` the person at the command line acts."""
        subject = "/".join(str(part) for part in (campaign or "*", day) if part is not None)
        if user is not None:
            try:
                people.require(self._app(), user, "approver")
            except PermissionDeniedError as exc:
                self.audit(user, "numbers.refused", subject, what=what, reason=str(exc), **details)
                raise
        self.audit(user, "numbers.shown", subject, what=what, **details)

    #: The console's view of the chain (`audit_state`), made at its first use.
    _audit_watch: Watch | None = None

    def audit_state(self) -> Verification:
        """The chain's state for a page viewed often: checked whole at the first look and every
        five minutes, and in between from the newest entry checked on (`audit.Watch`)."""
        if self._audit_watch is None:
            self._audit_watch = Watch()
        return self._audit_watch.verify(self._app())

    def verify_audit(self) -> Verification:
        """Check the audit trail's hash chain from the first entry to the newest."""
        return audit.verify(self._app())

    def approval_required(self, campaign: str | None = None) -> bool:
        """Whether dispatching (of `campaign`) needs approval (`approval.required`)."""
        return approval.required(self._app(), campaign)

    def approval_verdict(self, campaign: str, day: date) -> approval.Verdict:
        """Whether the occurrence of `day` may be dispatched now, and why."""
        return approval.verdict(self._app(), campaign, day)

    def request_approval(
        self,
        campaign: str,
        *,
        day: date | None = None,
        year: int | None = None,
        actor: str,
        comment: str = "",
    ) -> Approval:
        """Ask for approval of an occurrence or a campaign year (`approval.request`)."""
        return approval.request(
            self._app(), campaign, day=day, year=year, actor=actor, comment=comment
        )

    def decide_approval(
        self, approval_id: int, *, actor: str, grant: bool, comment: str = ""
    ) -> Approval:
        """Grant or reject a request (`approval.decide`)."""
        return approval.decide(self._app(), approval_id, actor=actor, grant=grant, comment=comment)

    def revoke_approval(self, approval_id: int, *, actor: str, comment: str = "") -> Approval:
        """Withdraw an approval (`approval.revoke`)."""
        return approval.revoke(self._app(), approval_id, actor=actor, comment=comment)

    def approvals(self, campaign: str | None = None) -> list[Approval]:
        """Every approval (of one campaign), newest first."""
        return self._app().store.approvals(campaign)

    def approval_by_id(self, approval_id: int) -> Approval:
        """One approval by id."""
        return approval.find(self._app(), approval_id)

    def add_user(self, name: str, role: str, password: str, *, actor: str | None = None) -> User:
        """Add a user (`people.add_user`)."""
        return people.add_user(self._app(), name, role, password, actor=actor or self.actor)

    def users(self) -> list[User]:
        """Every user, by name."""
        return self._app().store.users()

    def disable_user(self, name: str, *, disabled: bool = True, actor: str | None = None) -> None:
        """Disable (or enable) a user."""
        people.set_disabled(self._app(), name, disabled, actor=actor or self.actor)

    def set_role(self, name: str, role: str, *, actor: str | None = None) -> None:
        """Give a user another role."""
        people.set_role(self._app(), name, role, actor=actor or self.actor)

    def set_password(self, name: str, password: str, *, actor: str | None = None) -> None:
        """Set a user's password."""
        people.set_password(self._app(), name, password, actor=actor or self.actor)

    def authenticate(self, name: str, password: str) -> User | None:
        """The enabled user whose password this is, else None (`people.authenticate`)."""
        return people.authenticate(self._app(), name, password)

    def occurrence_board(self, campaign: str, first: date, last: date) -> list[board.OccurrenceRow]:
        """Every date a push of the campaign fires from `first` to `last`, with its state."""
        return board.board(self._app(), campaign, first, last)
