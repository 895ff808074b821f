"""Planning: turn one occurrence (campaign, push, date) into one stored message per contact.

Planning is idempotent (ARCHITECTURE.md invariant 1): the store's unique key means that planning
an occurrence again adds nothing, so any command may be re-run safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from reminder.campaigns import Campaign
from reminder.clock import Clock
from reminder.errors import UsageError
from reminder.messages import Draft, draft_push
from reminder.project import Project
from reminder.status import Status
from reminder.store import NewMessage, Store


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


def check_in_window(campaign: Campaign, day: date) -> None:
    """Refuse a date outside the campaign window, saying what the window is."""
    if day not in campaign.window:
        raise UsageError(
            f"{day} is outside the window of campaign {campaign.id!r} "
            f"({campaign.window.start} to {campaign.window.end})"
        )


def render_occurrence(
    project: Project, campaign_id: str, push_ids: list[str], day: date
) -> list[PlanResult]:
    """Render every message of the given pushes on `day`; raises before anything is written."""
    campaign = project.campaign(campaign_id)
    check_in_window(campaign, day)
    results = []
    for push_id in push_ids:
        drafts = draft_push(project, campaign_id, campaign.push(push_id), day)
        results.append(PlanResult(campaign_id, push_id, day, audience=len(drafts), drafts=drafts))
    return results


def _new_message(draft: Draft) -> NewMessage:
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
        status=Status.planned,
    )


def count_existing(store: Store | None, result: PlanResult) -> None:
    """Fill in `already_planned` from the store (for a dry run that writes nothing)."""
    if store is None:
        return
    result.already_planned = len(store.statuses(result.campaign, result.push, result.occurrence))


def store_plan(store: Store, result: PlanResult, clock: Clock) -> PlanResult:
    """Write the rendered messages that are not in the store yet; counts what was new."""
    existing = store.statuses(result.campaign, result.push, result.occurrence)
    fresh = [_new_message(d) for d in result.drafts if d.contact.id not in existing]
    added = store.add_planned(fresh, clock.now())
    result.planned = len(added)
    result.already_planned = len(existing) + (len(fresh) - len(added))
    return result
