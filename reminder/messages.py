"""Drafts: the rendered messages of one push on one date, before they reach the store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reminder.campaigns import Campaign, Push
from reminder.cases import Case
from reminder.contacts import Contact
from reminder.errors import InputError, Problem
from reminder.groups import audience
from reminder.project import Project
from reminder.rotation import case_for
from reminder.segments import SegmentCount, count_segments
from reminder.templates import RenderFailure, with_signature
from reminder.windows import ResolvedWindow


@dataclass(frozen=True)
class Draft:
    """One rendered message for one contact on one occurrence."""

    campaign: str
    push: str
    occurrence: date
    contact: Contact
    body: str
    count: SegmentCount
    template: str
    variables: dict[str, str] = field(hash=False)
    case: Case | None = None


def _person(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "rank": contact.rank.label if contact.rank else "",
        "unit": contact.unit,
        "post": contact.post,
        "relation": contact.relation or "",
        "tags": sorted(contact.tags),
    }


def _family_rank(project: Project, contact: Contact) -> tuple[str, int]:
    """The cadre whose case order the contact follows, and the contact's place in the family."""
    if contact.family_of is None:
        return contact.id, 0
    relatives = project.book.family_of(contact.family_of)
    return contact.family_of, 1 + [r.id for r in relatives].index(contact.id)


def _cadre_cases(project: Project, campaign: Campaign, cadre_id: str, day_index: int) -> set[str]:
    """The ids of the cases a cadre reads on one day, over every push that reaches them."""
    chosen = set()
    for push in campaign.pushes:
        pool = push.case_pool(project.cases)
        if pool and cadre_id in project.audience_ids(campaign.id, push.id):
            case = case_for(pool, campaign.id, cadre_id, day_index)
            if case is not None:
                chosen.add(case.id)
    return chosen


def context_for(
    project: Project,
    campaign: Campaign,
    push: Push,
    window: ResolvedWindow,
    day: date,
    contact: Contact,
) -> tuple[dict[str, Any], Case | None]:
    """The template variables for one contact on one date, and the case of the day."""
    settings = project.config.settings
    cadre_id, family_rank = _family_rank(project, contact)
    day_index = window.index(day)
    avoid = _cadre_cases(project, campaign, cadre_id, day_index) if family_rank else set()
    case = case_for(
        push.case_pool(project.cases), campaign.id, cadre_id, day_index, family_rank, avoid
    )
    cadre = project.book.cadre_of(contact)
    festival_day = window.festival_day
    context: dict[str, Any] = {
        "contact": _person(contact),
        "campaign": {"id": campaign.id, "name": campaign.name},
        "festival": {
            "id": campaign.festival.value,
            "name": campaign.festival.label,
            "date": festival_day,
        },
        "date": day,
        "day": day_index + 1,
        "days": window.length,
        "days_to_festival": (festival_day - day).days,
        "organisation": settings.organisation,
        "hotline": settings.hotline,
        "signature": settings.signature,
    }
    if window.holiday is not None:
        context["holiday"] = {
            "start": window.holiday.start,
            "end": window.holiday.end,
            "days": window.holiday.days,
        }
    if cadre is not None:
        context["cadre"] = _person(cadre)
    if case is not None:
        context["case"] = {
            "id": case.id,
            "title": case.title,
            "summary": case.summary,
            "year": case.year,
        }
    return context, case


def _flat_variables(context: dict[str, Any]) -> dict[str, str]:
    """The variables as flat strings, for providers that send a template code plus parameters."""
    flat: dict[str, str] = {}
    for key, value in context.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                if not isinstance(item, list):
                    flat[f"{key}_{inner}"] = str(item)
        else:
            flat[key] = str(value)
    return flat


def draft(
    project: Project,
    campaign: Campaign,
    push: Push,
    window: ResolvedWindow,
    day: date,
    contact: Contact,
) -> Draft:
    """Render one message; raises `RenderFailure` when the template fails."""
    context, case = context_for(project, campaign, push, window, day, contact)
    text = project.templates.render(push.template, context)
    body = with_signature(text, project.config.settings.signature)
    return Draft(
        campaign=campaign.id,
        push=push.id,
        occurrence=day,
        contact=contact,
        body=body,
        count=count_segments(body),
        template=push.template,
        variables=_flat_variables(context),
        case=case,
    )


def iter_drafts(
    project: Project,
    campaign_id: str,
    push: Push,
    window: ResolvedWindow,
    day: date,
    contacts: Iterable[Contact],
    problems: dict[str, Problem],
) -> Iterator[Draft]:
    """Render the messages of `contacts` one by one; problems go into `problems`, de-duplicated
    (a template mistake is reported once, not once per contact)."""
    source = project.campaigns[campaign_id]
    campaign = source.campaign
    for contact in contacts:
        try:
            message = draft(project, campaign, push, window, day, contact)
        except RenderFailure as exc:
            problems.setdefault(str(exc.problem), exc.problem)
            continue
        if push.max_segments is not None and message.count.segments > push.max_segments:
            index = campaign.pushes.index(push)
            problem = Problem(
                source.file,
                f"push {push.id!r}: the message for {contact.id} on {day} is "
                f"{message.count.segments} segments ({message.count.units} {message.count.encoding}"
                f" units), over max_segments {push.max_segments}",
                line=source.line("pushes", index, "max_segments"),
            )
            problems.setdefault(str(problem), problem)
            continue
        yield message


def draft_push(
    project: Project, campaign_id: str, push: Push, window: ResolvedWindow, day: date
) -> list[Draft]:
    """Render every message of one push on one date, or raise one `InputError` with them all."""
    problems: dict[str, Problem] = {}
    contacts = audience(push.audience, project.groups, project.book)
    drafts = list(iter_drafts(project, campaign_id, push, window, day, contacts, problems))
    if problems:
        raise InputError(list(problems.values()))
    return drafts
