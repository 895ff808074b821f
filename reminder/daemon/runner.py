"""Running the occurrences of one push that are due: what `reminder run` does at each firing.

The store is the truth (ARCHITECTURE.md invariants 2 and 9): whatever the scheduler remembers or
forgets, each firing (and each periodic sweep) looks at every occurrence of the push from the
last `catch_up_days` up to now and
- first recovers what a dead process left behind: messages `sending` whose owner is gone, and
  `unknown` ones, are resolved by asking the provider (never by sending blindly);
- sends it when it is less than `grace` late (planning first if needed; planning is idempotent,
  so a restart resumes exactly the messages not sent yet);
- marks what is still waiting `expired` when it is later than that, never flooding out stale
  reminders;
- defers it while the quiet hours last (it expires if they outlast the grace period);
- leaves it alone only when it is done: none of its messages `planned`, `sending` or `unknown`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from reminder.clock import Clock
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.gateways.base import Gateway
from reminder.inputs.project import Project
from reminder.planning.occurrences import Occurrence, occurrences
from reminder.planning.plan import plan_streaming
from reminder.status import Status
from reminder.store import Selection, Store

log = logging.getLogger("reminder.run")


@dataclass
class Runtime:
    """What every firing needs; `project` is replaced when the campaign files are reloaded."""

    project: Project
    store: Store
    gateway: Gateway
    clock: Clock
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def grace(self) -> timedelta:
        """How late an occurrence may still be sent."""
        return timedelta(minutes=self.project.config.settings.scheduler.grace_minutes)


#: An occurrence with a message in one of these is not done.
UNFINISHED = (Status.planned, Status.sending, Status.unknown)


@dataclass(frozen=True)
class Outcome:
    """What one firing did with one occurrence.

    `action`: "sent" (done now), "unfinished" (messages still `sending` by a live process
    elsewhere, or of unknown fate), "interrupted", "expired", "deferred", "done" (nothing to do).
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


def due_occurrences(
    runtime: Runtime, campaign_id: str, push_id: str, now: datetime
) -> list[Occurrence]:
    """The push's occurrences from the catch-up horizon up to `now`, oldest first."""
    project = runtime.project
    campaign = project.campaign(campaign_id)
    zone = project.timezone(campaign)
    local_now = now.astimezone(ZoneInfo(zone))
    horizon = local_now.date() - timedelta(days=project.config.settings.scheduler.catch_up_days)
    push = campaign.push(push_id)
    return [o for o in occurrences(campaign, push, zone, horizon, local_now.date()) if o.at <= now]


def run_due(runtime: Runtime, campaign_id: str, push_id: str) -> list[Outcome]:
    """Handle every due occurrence of one push (see the module docstring); never raises for
    one message's failure."""
    outcomes = []
    with runtime.lock:
        for occurrence in due_occurrences(runtime, campaign_id, push_id, runtime.clock.now()):
            if runtime.stopping.is_set():
                break
            outcome = _run_one(runtime, occurrence)
            if outcome.action != "done":
                _log(outcome)
            outcomes.append(outcome)
    return outcomes


def _log(outcome: Outcome) -> None:
    occurrence = outcome.occurrence
    log.info(
        "%s/%s %s: %s (planned %d, sent %d, failed %d, unknown %d, expired %d, reconciled %d)",
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
            "%s/%s %s: %d messages not finished (sending elsewhere, or of unknown fate: see "
            "`reminder log --status unknown`); checked again at the next sweep",
            occurrence.campaign,
            occurrence.push,
            occurrence.day,
            outcome.unfinished,
        )


def _run_one(runtime: Runtime, occurrence: Occurrence) -> Outcome:
    store, clock = runtime.store, runtime.clock
    selection = Selection(occurrence.campaign, occurrence.push, occurrence.day)
    counts = store.status_counts(occurrence.campaign, occurrence.push, occurrence.day)
    if counts and not unfinished(counts):
        return Outcome(occurrence, "done")
    recovered = DispatchResult()
    if counts[Status.sending.value] or counts[Status.unknown.value]:
        recovered = asyncio.run(_recover(runtime, selection))
        counts = store.status_counts(occurrence.campaign, occurrence.push, occurrence.day)
    now = clock.now()
    lateness = now - occurrence.at
    if lateness > runtime.grace:
        expired = _expire(runtime, occurrence, planned_before=bool(counts), lateness=lateness)
        return _outcome(runtime, occurrence, "expired", recovered, expired=expired)
    quiet = runtime.project.config.settings.quiet_hours
    zone = occurrence.at.tzinfo
    if quiet.contains(now.astimezone(zone).time().replace(tzinfo=None)):
        return _outcome(runtime, occurrence, "deferred", recovered)
    planned = _plan(runtime, occurrence)
    result = asyncio.run(_dispatch(runtime, selection))
    result.sent += recovered.sent
    result.reconciled += recovered.reconciled
    action = "interrupted" if result.stopped else "sent"
    return _outcome(runtime, occurrence, action, result, planned=planned)


def _outcome(
    runtime: Runtime,
    occurrence: Occurrence,
    action: str,
    result: DispatchResult,
    *,
    planned: int = 0,
    expired: int = 0,
) -> Outcome:
    """The outcome, with what is still unfinished counted from the store: "sent" only when the
    occurrence is done."""
    counts = runtime.store.status_counts(occurrence.campaign, occurrence.push, occurrence.day)
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


def _plan(runtime: Runtime, occurrence: Occurrence, *, expired: str | None = None) -> int:
    return plan_streaming(
        runtime.project,
        runtime.store,
        occurrence.campaign,
        occurrence.push,
        occurrence.day,
        runtime.clock,
        protect_cadres=runtime.project.config.settings.suppression.protect_cadres,
        expired=expired,
    )


def _dispatcher(runtime: Runtime) -> Dispatcher:
    return Dispatcher(
        runtime.store,
        runtime.gateway,
        runtime.clock,
        per_number_cap=runtime.project.config.settings.per_number_cap,
        should_stop=runtime.stopping.is_set,
        sends_despite_suppression=runtime.project.sends_despite_suppression,
    )


async def _recover(runtime: Runtime, selection: Selection) -> DispatchResult:
    """Resolve what a dead process left `sending`, and `unknown` messages, with the provider."""
    dispatcher = _dispatcher(runtime)
    try:
        await dispatcher.reconcile(selection)
    finally:
        await runtime.gateway.aclose()
    return dispatcher.result


async def _dispatch(runtime: Runtime, selection: Selection) -> DispatchResult:
    try:
        return await _dispatcher(runtime).run(selection)
    finally:
        await runtime.gateway.aclose()


def _expire(
    runtime: Runtime, occurrence: Occurrence, *, planned_before: bool, lateness: timedelta
) -> int:
    """Mark what is still waiting of a missed occurrence `expired`; returns how many."""
    store, clock = runtime.store, runtime.clock
    minutes = int(lateness.total_seconds() // 60)
    reason = (
        f"missed by {minutes // 60}h{minutes % 60:02d}m "
        f"(grace {int(runtime.grace.total_seconds() // 60)} min)"
    )
    if not planned_before:
        return _plan(runtime, occurrence, expired=reason)
    return store.settle_planned(
        Selection(occurrence.campaign, occurrence.push, occurrence.day),
        Status.expired,
        clock.now(),
        source="scheduler",
        detail=reason,
    )
