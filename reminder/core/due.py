"""Running what is due: what `reminder run` does at each firing of a push and at each sweep.

The store is the truth (ARCHITECTURE.md invariants 2 and 9): whatever the scheduler remembers or
forgets, each firing (and each periodic sweep) looks at every occurrence of the push from the
last `catch_up_days` up to now and
- first recovers what a dead process left behind: messages `sending` whose owner is gone, and
  `unknown` ones, are resolved by asking the provider (never by sending blindly);
- sends it when it is less than `grace` late (planning first if needed; planning is idempotent,
  so a restart resumes exactly the messages not sent yet);
- marks what is still waiting `expired` when it is later than that, never flooding out stale
  reminders;
- defers it while the quiet hours hold (`App.quiet_hours_hold`: always, for a scheduled
  dispatch); it expires if they outlast the grace period;
- leaves it alone only when it is done: none of its messages `planned`, `sending` or `unknown`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from reminder.core import approval
from reminder.delivery.dispatch import DispatchResult
from reminder.i18n import _, ngettext
from reminder.planning.occurrences import Occurrence, occurrences
from reminder.planning.plan import plan_streaming
from reminder.status import Status
from reminder.store import Selection

if TYPE_CHECKING:
    from reminder.core.app import App

log = logging.getLogger("reminder.run")


#: An occurrence with a message in one of these is not done.
UNFINISHED = (Status.planned, Status.sending, Status.unknown)


@dataclass(frozen=True)
class Outcome:
    """What one firing did with one occurrence.

    `action`: "sent" (done now), "unfinished" (messages still `sending` by a live process
    elsewhere, or of unknown fate), "interrupted", "expired", "deferred", "awaiting_approval"
    (held: approval is required and none matches; it expires after the grace period like any
    missed occurrence), "done" (nothing to do).
    """

    occurrence: Occurrence
    action: str
    planned: int = 0
    sent: int = 0
    failed: int = 0
    expired: int = 0
    unknown: int = 0
    reconciled: int = 0
    unfinished: int = 0


def unfinished(counts: Counter[str]) -> int:
    """How many messages of an occurrence's status counts are not finished yet."""
    return sum(counts.get(status.value, 0) for status in UNFINISHED)


def grace(app: App) -> timedelta:
    """How late an occurrence may still be sent."""
    return timedelta(minutes=app.config.settings.scheduler.grace_minutes)


def due_occurrences(app: App, campaign_id: str, push_id: str, now: datetime) -> list[Occurrence]:
    """The push's occurrences from the catch-up horizon up to `now`, oldest first."""
    project = app.project
    campaign = project.campaign(campaign_id)
    zone = project.timezone(campaign)
    local_now = now.astimezone(ZoneInfo(zone))
    horizon = local_now.date() - timedelta(days=project.config.settings.scheduler.catch_up_days)
    push = campaign.push(push_id)
    return [o for o in occurrences(campaign, push, zone, horizon, local_now.date()) if o.at <= now]


def run_due(app: App, campaign_id: str, push_id: str) -> list[Outcome]:
    """Handle every due occurrence of one push (see the module docstring) and log what each
    did; one message's failure is counted, not raised."""
    outcomes = []
    with app.lock:
        for occurrence in due_occurrences(app, campaign_id, push_id, app.clock.now()):
            if app.stopping.is_set():
                break
            outcome = _run_one(app, occurrence)
            if outcome.action != "done":
                _log(outcome)
            outcomes.append(outcome)
    return outcomes


def sweep(app: App) -> list[Outcome]:
    """`run_due` for every push of every campaign: recovers what a dead process left
    unfinished, and sends or expires what is due (the daemon's catch-up at start, and its
    periodic sweep). A push that cannot be run is logged and the others still run."""
    outcomes: list[Outcome] = []
    for campaign_id, source in sorted(app.project.campaigns.items()):
        for push in source.campaign.pushes:
            if app.stopping.is_set():
                return outcomes
            try:
                outcomes += run_due(app, campaign_id, push.id)
            except Exception:
                log.exception(_("%s/%s: the occurrence could not be run"), campaign_id, push.id)
    return outcomes


def work(app: App) -> int:
    """What a node that does not lead does (a PostgreSQL store, several `reminder run`): send
    the planned messages of every due occurrence the leader planned, within the grace period,
    outside the quiet hours and where approval allows; plan nothing, expire nothing, recover
    nothing (the leader does). Claims keep two nodes from sending one message. Returns how
    many were sent."""
    sent = 0
    now = app.clock.now()
    for campaign_id, source in sorted(app.project.campaigns.items()):
        for push in source.campaign.pushes:
            if app.stopping.is_set():
                return sent
            try:
                sent += _work_push(app, campaign_id, push.id, now)
            except Exception:
                log.exception(_("%s/%s: the occurrence could not be run"), campaign_id, push.id)
    return sent


def _work_push(app: App, campaign_id: str, push_id: str, now: datetime) -> int:
    sent = 0
    zone = app.project.timezone(app.project.campaign(campaign_id))
    with app.lock:
        for occurrence in due_occurrences(app, campaign_id, push_id, now):
            counts = app.store.status_counts(campaign_id, push_id, occurrence.day)
            if not counts.get(Status.planned.value) or now - occurrence.at > grace(app):
                continue
            if app.quiet_hours_hold(zone, scheduled=True) is not None:
                continue
            if not approval.verdict(app, campaign_id, occurrence.day).may_send:
                continue
            result = app.dispatch(Selection(campaign_id, push_id, occurrence.day))
            if result.sent or result.failed:
                log.info(
                    _("%s/%s %s: dispatched planned messages (sent %d, failed %d)"),
                    campaign_id,
                    push_id,
                    occurrence.day,
                    result.sent,
                    result.failed,
                )
            sent += result.sent
    return sent


def _log(outcome: Outcome) -> None:
    occurrence = outcome.occurrence
    log.info(
        _("%s/%s %s: %s (planned %d, sent %d, failed %d, unknown %d, expired %d, reconciled %d)"),
        occurrence.campaign,
        occurrence.push,
        occurrence.day,
        outcome.action,
        outcome.planned,
        outcome.sent,
        outcome.failed,
        outcome.unknown,
        outcome.expired,
        outcome.reconciled,
    )
    if outcome.unfinished:
        log.warning(
            ngettext(
                "%s/%s %s: %d message not finished (sending elsewhere, or of unknown fate: "
                "see `reminder log --status unknown`); checked again at the next sweep",
                "%s/%s %s: %d messages not finished (sending elsewhere, or of unknown fate: "
                "see `reminder log --status unknown`); checked again at the next sweep",
                outcome.unfinished,
            ),
            occurrence.campaign,
            occurrence.push,
            occurrence.day,
            outcome.unfinished,
        )


def _run_one(app: App, occurrence: Occurrence) -> Outcome:
    store = app.store
    selection = Selection(occurrence.campaign, occurrence.push, occurrence.day)
    counts = store.status_counts(occurrence.campaign, occurrence.push, occurrence.day)
    if counts and not unfinished(counts):
        return Outcome(occurrence, "done")
    recovered = DispatchResult()
    if counts[Status.sending.value] or counts[Status.unknown.value]:
        recovered = _recover(app, selection)
        counts = store.status_counts(occurrence.campaign, occurrence.push, occurrence.day)
    lateness = app.clock.now() - occurrence.at
    if lateness > grace(app):
        expired = _expire(app, occurrence, planned_before=bool(counts), lateness=lateness)
        return _outcome(app, occurrence, "expired", recovered, expired=expired)
    zone = app.project.timezone(app.project.campaign(occurrence.campaign))
    if app.quiet_hours_hold(zone, scheduled=True) is not None:
        return _outcome(app, occurrence, "deferred", recovered)
    verdict = approval.verdict(app, occurrence.campaign, occurrence.day)
    if not verdict.may_send:
        log.warning("%s", approval.explain(verdict, occurrence.campaign, occurrence.day))
        return _outcome(app, occurrence, "awaiting_approval", recovered)
    planned = _plan(app, occurrence)
    if planned or counts[Status.planned.value]:
        app.wake_nodes()  # the other nodes send with this one
    result = app.dispatch(selection)
    _record(app, occurrence, planned, result)
    result.sent += recovered.sent
    result.reconciled += recovered.reconciled
    action = "interrupted" if result.stopped else "sent"
    return _outcome(app, occurrence, action, result, planned=planned)


def _record(app: App, occurrence: Occurrence, planned: int, result: DispatchResult) -> None:
    what = f"{approval.subject(occurrence.campaign, occurrence.day)}/{occurrence.push}"
    if planned:
        app.audit("scheduler", "occurrence.planned", what, planned=planned)
    if result.sent or result.failed:
        app.audit("scheduler", "occurrence.sent", what, sent=result.sent, failed=result.failed)


def _outcome(
    app: App,
    occurrence: Occurrence,
    action: str,
    result: DispatchResult,
    *,
    planned: int = 0,
    expired: int = 0,
) -> Outcome:
    """The outcome, with what is still unfinished counted from the store: "sent" only when the
    occurrence is done."""
    counts = app.store.status_counts(occurrence.campaign, occurrence.push, occurrence.day)
    left = unfinished(counts)
    if action == "sent" and left:
        action = "unfinished"
    return Outcome(
        occurrence,
        action,
        planned=planned,
        sent=result.sent,
        failed=result.failed,
        expired=expired,
        unknown=counts.get(Status.unknown.value, 0),
        reconciled=result.reconciled,
        unfinished=left,
    )


def _plan(app: App, occurrence: Occurrence, *, expired: str | None = None) -> int:
    return plan_streaming(
        app.project,
        app.store,
        occurrence.campaign,
        occurrence.push,
        occurrence.day,
        app.clock,
        expired=expired,
    )


def _recover(app: App, selection: Selection) -> DispatchResult:
    """Resolve what a dead process left `sending`, and `unknown` messages, with the provider."""
    dispatcher = app.dispatcher()
    app.run_async(lambda: dispatcher.reconcile(selection))
    return dispatcher.result


def _expire(app: App, occurrence: Occurrence, *, planned_before: bool, lateness: timedelta) -> int:
    """Mark what is still waiting of a missed occurrence `expired`; returns how many."""
    minutes = int(lateness.total_seconds() // 60)
    reason = (
        f"missed by {minutes // 60}h{minutes % 60:02d}m "
        f"(grace {int(grace(app).total_seconds() // 60)} min)"
    )
    if not planned_before:
        return _plan(app, occurrence, expired=reason)
    return app.store.settle_planned(
        Selection(occurrence.campaign, occurrence.push, occurrence.day),
        Status.expired,
        app.clock.now(),
        source="scheduler",
        detail=reason,
    )
