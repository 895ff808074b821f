"""Planning: turn one occurrence (campaign, push, date) into one stored message per contact.

Planning is idempotent (ARCHITECTURE.md invariant 1): the store's unique key means that planning
an occurrence again adds nothing, so any command may be re-run safely.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from reminder.campaigns import Campaign
from reminder.clock import Clock
from reminder.errors import InputError, Problem, UsageError
from reminder.heap import settled_objects_frozen
from reminder.messages import Draft, draft_push, iter_drafts
from reminder.project import Project
from reminder.schedule import occurrence_on
from reminder.status import Status
from reminder.store import NewMessage, Store
from reminder.windows import ResolvedWindow


@dataclass
class PlanResult:
    """What planning one occurrence found and did."""

    campaign: str
    push: str
    occurrence: date
    audience: int
    planned: int = 0
    already_planned: int = 0
    drafts: list[Draft] = field(default_factory=list, repr=False)

    @property
    def segments(self) -> int:
        """Total segments of the drafts (what the occurrence costs)."""
        return sum(d.count.segments for d in self.drafts)


def window_for_day(campaign: Campaign, day: date) -> ResolvedWindow:
    """The campaign window containing `day`; a usage error naming the window(s) otherwise."""
    window = campaign.window_containing(day)
    if window is None:
        nearby = campaign.windows_between(date(day.year, 1, 1), date(day.year, 12, 31))
        spans = ", ".join(f"{w.start} to {w.end}" for w in nearby) or "none that year"
        raise UsageError(f"{day} is outside the window of campaign {campaign.id!r} ({spans})")
    return window


def render_occurrence(
    project: Project, campaign_id: str, push_ids: list[str], day: date, *, explicit: bool = False
) -> list[PlanResult]:
    """Render every message of the pushes that fire on `day`; raises before anything is written.

    With `explicit` (the user named the push), a push that does not fire that day is an error;
    otherwise it is left out. A day on which no push fires is an error.
    """
    campaign = project.campaign(campaign_id)
    window = window_for_day(campaign, day)
    zone = project.timezone(campaign)
    results = []
    for push_id in push_ids:
        push = campaign.push(push_id)
        if occurrence_on(campaign, push, zone, day) is None:
            if explicit:
                raise UsageError(
                    f"push {push_id!r} of campaign {campaign_id!r} does not fire on "
                    f"{day}; see `reminder schedule --campaign {campaign_id}`"
                )
            continue
        drafts = draft_push(project, campaign_id, push, window, day)
        results.append(PlanResult(campaign_id, push_id, day, audience=len(drafts), drafts=drafts))
    if not results:
        raise UsageError(
            f"no push of campaign {campaign_id!r} fires on {day}; see "
            f"`reminder schedule --campaign {campaign_id}`"
        )
    return results


def new_message(
    draft: Draft, status: Status = Status.planned, note: str | None = None
) -> NewMessage:
    """The store row for a rendered draft."""
    return NewMessage(
        campaign=draft.campaign,
        push=draft.push,
        occurrence=draft.occurrence,
        contact_id=draft.contact.id,
        recipient=draft.contact.phone,
        body=draft.body,
        segments=draft.count.segments,
        encoding=draft.count.encoding,
        template=draft.template,
        variables=draft.variables,
        case_id=draft.case.id if draft.case else None,
        status=status,
        error_text=note,
    )


def count_existing(store: Store | None, result: PlanResult) -> None:
    """Fill in `already_planned` from the store (for a dry run that writes nothing)."""
    if store is None:
        return
    result.already_planned = len(store.statuses(result.campaign, result.push, result.occurrence))


def _rows(store: Store, drafts: list[Draft], protect_cadres: bool) -> list[NewMessage]:
    """Store rows for drafts: a suppressed number is planned as `skipped` with the reason (a
    cadre's number is still sent to when `protect_cadres` is set; a family member's never is)."""
    suppressed = store.suppressed(d.contact.phone for d in drafts)
    rows = []
    for d in drafts:
        reason = suppressed.get(d.contact.phone)
        if reason is not None and (d.contact.is_family or not protect_cadres):
            rows.append(new_message(d, status=Status.skipped, note=f"suppressed: {reason}"))
        else:
            rows.append(new_message(d))
    return rows


def store_plan(
    store: Store, result: PlanResult, clock: Clock, *, protect_cadres: bool = False
) -> PlanResult:
    """Write the rendered messages that are not in the store yet; counts what was new."""
    existing = store.statuses(result.campaign, result.push, result.occurrence)
    drafts = [d for d in result.drafts if d.contact.id not in existing]
    fresh = _rows(store, drafts, protect_cadres)
    added = store.add_planned(fresh, clock.now())
    result.planned = len(added)
    result.already_planned = len(existing) + (len(fresh) - len(added))
    return result


PLAN_BATCH = 2000


def plan_streaming(
    project: Project,
    store: Store,
    campaign_id: str,
    push_id: str,
    day: date,
    clock: Clock,
    *,
    protect_cadres: bool = False,
    batch: int = PLAN_BATCH,
) -> int:
    """Render and store one occurrence batch by batch, in one transaction; returns the rows added.

    Memory stays bounded by the batch whatever the audience; every problem is collected and
    raised as one `InputError` at the end, and then nothing at all is written.
    """
    campaign = project.campaign(campaign_id)
    window = window_for_day(campaign, day)
    push = campaign.push(push_id)
    contacts = project.audience(campaign_id, push_id)
    problems: dict[str, Problem] = {}

    # Only to save rendering what is there already: the store's unique key keeps planning
    # idempotent even when another planner adds rows meanwhile.
    resuming = store.has_planned(campaign_id, push_id, day)

    def batches() -> Iterator[list[NewMessage]]:
        while chunk := list(islice(contacts, batch)):
            fresh = chunk
            if resuming:
                done = store.planned_contacts(campaign_id, push_id, day, [c.id for c in chunk])
                fresh = [c for c in chunk if c.id not in done]
            drafts = list(iter_drafts(project, campaign_id, push, window, day, fresh, problems))
            if not problems:
                yield _rows(store, drafts, protect_cadres)
        if problems:
            raise InputError(list(problems.values()))

    with settled_objects_frozen():
        return store.add_planned_batches(batches(), clock.now())
