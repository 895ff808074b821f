"""Running the occurrences of one push that are due: what `reminder run` does at each firing.

The store is the truth (ARCHITECTURE.md invariant 2): whatever the scheduler remembers or forgets,
each firing looks at every occurrence of the push from the last `catch_up_days` up to now and
- sends it when it is less than `grace` late (planning first if needed; planning is idempotent,
  so a restart resumes exactly the messages not sent yet);
- marks it `expired` when it is later than that, never flooding out stale reminders;
- defers it while the quiet hours last (it expires if they outlast the grace period);
- leaves it alone when every message already has an outcome.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from reminder.clock import Clock
from reminder.dispatch import DispatchResult, dispatch_occurrence
from reminder.gateways.base import Gateway
from reminder.planning import plan_streaming
from reminder.project import Project
from reminder.schedule import Occurrence, occurrences
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


@dataclass(frozen=True)
class Outcome:
    """What one firing did with one occurrence."""

    occurrence: Occurrence
    action: str  # "sent", "interrupted", "expired", "deferred", "done"
    planned: int = 0
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    expired: int = 0


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
                log.info(
                    "%s/%s %s: %s (planned %d, sent %d, failed %d, unknown %d, expired %d)",
                    occurrence.campaign,
                    occurrence.push,
                    occurrence.day,
                    outcome.action,
                    outcome.planned,
                    outcome.sent,
                    outcome.failed,
                    outcome.unknown,
                    outcome.expired,
                )
            outcomes.append(outcome)
    return outcomes


def _run_one(runtime: Runtime, occurrence: Occurrence) -> Outcome:
    store, clock = runtime.store, runtime.clock
    counts = store.status_counts(occurrence.campaign, occurrence.push, occurrence.day)
    if counts and not counts.get(Status.planned.value):
        return Outcome(occurrence, "done")
    now = clock.now()
    lateness = now - occurrence.at
    if lateness > runtime.grace:
        return _expire(runtime, occurrence, planned_before=bool(counts), lateness=lateness)
    quiet = runtime.project.config.settings.quiet_hours
    zone = occurrence.at.tzinfo
    if quiet.contains(now.astimezone(zone).time().replace(tzinfo=None)):
        return Outcome(occurrence, "deferred")
    planned = _plan(runtime, occurrence)
    result = asyncio.run(_dispatch(runtime, occurrence))
    action = "interrupted" if result.stopped else "sent"
    return Outcome(
        occurrence,
        action,
        planned=planned,
        sent=result.sent,
        failed=result.failed,
        unknown=result.unknown,
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


async def _dispatch(runtime: Runtime, occurrence: Occurrence) -> DispatchResult:
    try:
        return await dispatch_occurrence(
            runtime.store,
            runtime.gateway,
            runtime.clock,
            campaign=occurrence.campaign,
            push=occurrence.push,
            occurrence=occurrence.day,
            per_number_cap=runtime.project.config.settings.per_number_cap,
            should_stop=runtime.stopping.is_set,
            sends_despite_suppression=runtime.project.sends_despite_suppression,
        )
    finally:
        await runtime.gateway.aclose()


def _expire(
    runtime: Runtime, occurrence: Occurrence, *, planned_before: bool, lateness: timedelta
) -> Outcome:
    store, clock = runtime.store, runtime.clock
    minutes = int(lateness.total_seconds() // 60)
    reason = (
        f"missed by {minutes // 60}h{minutes % 60:02d}m "
        f"(grace {int(runtime.grace.total_seconds() // 60)} min)"
    )
    if not planned_before:
        return Outcome(occurrence, "expired", expired=_plan(runtime, occurrence, expired=reason))
    expired = store.settle_planned(
        Selection(occurrence.campaign, occurrence.push, occurrence.day),
        Status.expired,
        clock.now(),
        source="scheduler",
        detail=reason,
    )
    return Outcome(occurrence, "expired", expired=expired)
