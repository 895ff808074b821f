"""Approval before anything goes out (ARCHITECTURE.md invariant 11).

Where it is required (`required`: a campaign file's `approval: {required: true}`, the config's
`approval.required`, else whenever the gateway reaches real phones), an occurrence is
dispatched — by `send` or by the daemon — only when an approval matches what would go now:
one for its date whose fingerprint is the occurrence's
(`planning.fingerprint.occurrence_fingerprint`), or one for its campaign year whose
fingerprint is the year's. A drafter requests approval of what they previewed; an approver
who is not the requester (four eyes) grants or rejects it; a template, case or contact changed
since makes the fingerprint differ, and the approval no longer counts.
Every step is in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from reminder.core import people
from reminder.errors import NotApprovedError, PermissionDeniedError, UsageError
from reminder.i18n import _
from reminder.planning.agenda import AWAITING_APPROVAL, PENDING, AgendaRow
from reminder.planning.fingerprint import occurrence_fingerprint, year_fingerprint
from reminder.store import Approval, Store

if TYPE_CHECKING:
    from reminder.core.app import App

#: Why an occurrence may or may not go (`Verdict.reason`).
NOT_REQUIRED, APPROVED, NOT_REQUESTED, REQUESTED, REJECTED, CHANGED = (
    "not_required",
    "approved",
    "not_requested",
    "requested",
    "rejected",
    "changed",
)


@dataclass(frozen=True)
class Verdict:
    """Whether an occurrence may go now, why (`reason`, one of the codes above), the approval
    that decides it (if any) and the occurrence's fingerprint now."""

    reason: str
    approval: Approval | None = None
    fingerprint: str | None = None

    @property
    def may_send(self) -> bool:
        """True when it may be dispatched."""
        return self.reason in (NOT_REQUIRED, APPROVED)


def required(app: App, campaign: str | None = None) -> bool:
    """Whether dispatching (of `campaign`) needs approval: when the campaign file says so
    (`approval: {required: true}`), else as the config says, else when the gateway reaches
    real phones."""
    if campaign is not None and app.project.campaign(campaign).approval.required:
        return True
    setting = app.config.settings.approval.required
    return app.gateway.real if setting is None else setting


def subject(campaign: str, day: date | None = None, year: int | None = None) -> str:
    """How the audit trail names an occurrence or a campaign year."""
    return f"{campaign}/{day.isoformat()}" if day is not None else f"{campaign}/{year}"


def _occurrence_fingerprint(app: App, campaign: str, day: date) -> str:
    """The occurrence's fingerprint, computed once per loaded project: a project does not
    change once loaded (a reload loads a new one) and a fingerprint depends on nothing else,
    so a console showing a date again, or the gate before sending it, renders its messages
    once per load, not at every look."""
    project = app.project
    loaded, known = app.fingerprints
    if loaded is not project:
        known = {}
        app.fingerprints = (project, known)
    found = known.get((campaign, day))
    if found is None:
        found = known[(campaign, day)] = occurrence_fingerprint(project, campaign, day)
    return found


def fingerprint_of(app: App, campaign: str, day: date | None, year: int | None) -> str:
    """The fingerprint of an occurrence (`day`) or of a campaign year (`year`)."""
    if day is not None:
        return _occurrence_fingerprint(app, campaign, day)
    assert year is not None
    return year_fingerprint(app.project, campaign, year)


def verdict(app: App, campaign: str, day: date) -> Verdict:
    """Whether the occurrence of `day` may be dispatched now (see the module docstring)."""
    if not required(app, campaign):
        return Verdict(NOT_REQUIRED)
    now = _occurrence_fingerprint(app, campaign, day)
    relevant = [a for a in app.store.approvals(campaign) if a.day == day or a.year == day.year]
    year_now: str | None = None
    for approval in relevant:
        if approval.status != "approved":
            continue
        if approval.day == day and approval.fingerprint == now:
            return Verdict(APPROVED, approval, now)
        if approval.year is not None:
            year_now = year_now or year_fingerprint(app.project, campaign, day.year)
            if approval.fingerprint == year_now:
                return Verdict(APPROVED, approval, now)
    newest = relevant[0] if relevant else None
    if newest is None or newest.status == "revoked":
        return Verdict(NOT_REQUESTED, newest, now)
    if newest.status == "approved" or (newest.day == day and newest.fingerprint != now):
        return Verdict(CHANGED, newest, now)
    return Verdict(REQUESTED if newest.status == "requested" else REJECTED, newest, now)


def mark_held(app: App, rows: list[AgendaRow], store: Store | None) -> list[AgendaRow]:
    """The agenda with each pending occurrence that no approval covers marked as awaiting
    approval (when approval is required). Cheap: a changed fingerprint is not looked for, as
    `gate` does when the occurrence is sent."""
    needing = {c for c in {row.occurrence.campaign for row in rows} if required(app, c)}
    if not needing:
        return rows
    found = store.approvals() if store is not None else []
    approved = {(a.campaign, a.day, a.year) for a in found if a.status == "approved"}

    def held(row: AgendaRow) -> bool:
        o = row.occurrence
        covered = (o.campaign, o.day, None) in approved or (
            o.campaign,
            None,
            o.day.year,
        ) in approved
        return row.state == PENDING and o.campaign in needing and not covered

    return [replace(row, state=AWAITING_APPROVAL) if held(row) else row for row in rows]


def gate(app: App, campaign: str, day: date) -> Verdict:
    """The verdict, raising `NotApprovedError` (with why) when the occurrence may not go."""
    found = verdict(app, campaign, day)
    if found.may_send:
        return found
    raise NotApprovedError(explain(found, campaign, day))


def explain(found: Verdict, campaign: str, day: date) -> str:
    """Why an occurrence may not go, for a person."""
    what = {
        NOT_REQUESTED: _("approval is required and none was requested"),
        REQUESTED: _("approval was requested and is awaiting an approver"),
        REJECTED: _("approval was rejected"),
        CHANGED: _(
            "the messages changed since they were approved (a template, case or contact): "
            "request approval again"
        ),
    }[found.reason]
    hint = _("see `reminder approvals`; nothing was sent")
    return f"{campaign} {day}: {what}; {hint}"


def request(
    app: App,
    campaign: str,
    *,
    day: date | None = None,
    year: int | None = None,
    actor: str,
    comment: str = "",
) -> Approval:
    """Ask for approval of what the occurrence (or campaign year) would send now."""
    if (day is None) == (year is None):
        raise UsageError(_("name either a date or a year"))
    app.project.campaign(campaign)
    _allowed(app, actor, "drafter", "approval.request", subject(campaign, day, year))
    fingerprint = fingerprint_of(app, campaign, day, year)
    for open_one in app.store.approvals(campaign):
        same = (open_one.day, open_one.year) == (day, year)
        if same and open_one.status == "requested" and open_one.fingerprint == fingerprint:
            return open_one
    approval = Approval(
        campaign=campaign,
        day=day,
        year=year,
        fingerprint=fingerprint,
        status="requested",
        requested_by=actor,
        requested_at=app.clock.now(),
        comment=comment,
    )
    approval.id = app.store.add_approval(approval)
    app.audit(
        actor,
        "approval.requested",
        subject(campaign, day, year),
        approval=approval.id,
        fingerprint=fingerprint,
        comment=comment,
    )
    return approval


def find(app: App, approval_id: int) -> Approval:
    """One approval by id."""
    for approval in app.store.approvals():
        if approval.id == approval_id:
            return approval
    raise UsageError(_("no approval {id}").format(id=approval_id))


def decide(app: App, approval_id: int, *, actor: str, grant: bool, comment: str = "") -> Approval:
    """Grant or reject a request: an approver who did not request it, while the content is
    still what was requested."""
    approval = find(app, approval_id)
    what = subject(approval.campaign, approval.day, approval.year)
    action = "approval.grant" if grant else "approval.reject"
    _allowed(app, actor, "approver", action, what)
    if approval.requested_by == actor:
        app.audit(actor, "access.denied", what, attempted=action, reason="four eyes")
        raise PermissionDeniedError(_("the approver must not be the person who requested it"))
    if approval.status != "requested":
        raise UsageError(
            _("approval {id} is {status} already").format(id=approval_id, status=approval.status)
        )
    if grant and fingerprint_of(app, approval.campaign, approval.day, approval.year) != (
        approval.fingerprint
    ):
        raise NotApprovedError(
            _("the messages changed since approval was requested: request approval again")
        )
    status = "approved" if grant else "rejected"
    if not app.store.decide_approval(
        approval_id, status, actor, app.clock.now(), comment, current="requested"
    ):
        raise UsageError(_("approval {id} was decided meanwhile").format(id=approval_id))
    app.audit(
        actor,
        "approval.granted" if grant else "approval.rejected",
        what,
        approval=approval_id,
        fingerprint=approval.fingerprint,
        comment=comment,
    )
    return find(app, approval_id)


def revoke(app: App, approval_id: int, *, actor: str, comment: str = "") -> Approval:
    """Withdraw an approval given before: what it covered is held again."""
    approval = find(app, approval_id)
    what = subject(approval.campaign, approval.day, approval.year)
    _allowed(app, actor, "approver", "approval.revoke", what)
    if not app.store.decide_approval(
        approval_id, "revoked", actor, app.clock.now(), comment, current="approved"
    ):
        raise UsageError(_("approval {id} is not in force").format(id=approval_id))
    app.audit(actor, "approval.revoked", what, approval=approval_id, comment=comment)
    return find(app, approval_id)


def _allowed(app: App, actor: str, needed: str, action: str, what: str) -> None:
    """Raise (and record the attempt) unless `actor` is an enabled user allowed `needed`."""
    try:
        people.require(app, actor, needed)
    except PermissionDeniedError as exc:
        app.audit(actor, "access.denied", what, attempted=action, reason=str(exc))
        raise
