"""Drafts: the rendered messages of one push on one date, before they reach the store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from reminder.calendar.windows import ResolvedWindow
from reminder.errors import InputError, Problem
from reminder.i18n import _
from reminder.inputs.campaigns import Campaign, Push
from reminder.inputs.cases import Case
from reminder.inputs.contacts import Contact
from reminder.inputs.project import Project
from reminder.inputs.templates import RenderFailure, with_signature
from reminder.planning.rotation import Rotation
from reminder.planning.segments import SegmentCount, count_segments


@dataclass(slots=True)
class Draft:
    """One rendered message for one contact on one occurrence. A value: never changed once made
    (not `frozen`: a frozen dataclass costs ~1.5 µs more to build, per message planned)."""

    campaign: str
    push: str
    occurrence: date
    contact: Contact
    body: str
    count: SegmentCount
    template: str
    variables: dict[str, str]
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


class PushDay:
    """What every message of one push on one date shares, worked out once: the template
    variables that do not depend on the person (and their flat form), the case rotations, the
    template. `draft(contact)` then does only the per-person work."""

    def __init__(
        self, project: Project, campaign: Campaign, push: Push, window: ResolvedWindow, day: date
    ) -> None:
        self.project = project
        self.campaign = campaign
        self.push = push
        self.day = day
        self.day_index = window.index(day)
        self.signature = project.config.settings.signature
        self.rotation = Rotation(push.case_pool(project.cases))
        self._case_variables = {
            c.id: {"id": c.id, "title": c.title, "summary": c.summary, "year": c.year}
            for c in self.rotation.ordered
        }
        self._pushes_with_cases = [
            (other.id, Rotation(pool))
            for other in campaign.pushes
            if (pool := other.case_pool(project.cases))
        ]
        settings = project.config.settings
        festival_day = window.festival_day
        self.shared: dict[str, Any] = {
            "campaign": {"id": campaign.id, "name": campaign.name},
            "festival": {
                "id": campaign.festival.value,
                "name": campaign.festival.label,
                "date": festival_day,
            },
            "date": day,
            "day": self.day_index + 1,
            "days": window.length,
            "days_to_festival": (festival_day - day).days,
            "organisation": settings.organisation,
            "hotline": settings.hotline,
            "signature": settings.signature,
        }
        if window.holiday is not None:
            self.shared["holiday"] = {
                "start": window.holiday.start,
                "end": window.holiday.end,
                "days": window.holiday.days,
            }
        self.keep_variables = project.keeps_template_variables()
        self._shared_flat = _flat_variables(self.shared) if self.keep_variables else {}

    def _family_rank(self, contact: Contact) -> tuple[str, int]:
        """The cadre whose case order the contact follows, and the contact's place in the family."""
        if contact.family_of is None:
            return contact.id, 0
        relatives = self.project.book.family_of(contact.family_of)
        return contact.family_of, 1 + [r.id for r in relatives].index(contact.id)

    def _cadre_cases(self, cadre_id: str) -> set[str]:
        """The ids of the cases a cadre reads this day, over every push that reaches them."""
        chosen = set()
        for push_id, rotation in self._pushes_with_cases:
            if self.project.reaches(self.campaign.id, push_id, cadre_id):
                case = rotation.pick(self.campaign.id, cadre_id, self.day_index)
                if case is not None:
                    chosen.add(case.id)
        return chosen

    def context(self, contact: Contact) -> tuple[dict[str, Any], dict[str, Any], Case | None]:
        """The template variables for one contact: all of them, the per-person part only, and
        the case of the day."""
        cadre_id, family_rank = self._family_rank(contact)
        avoid = self._cadre_cases(cadre_id) if family_rank else set()
        case = self.rotation.pick(self.campaign.id, cadre_id, self.day_index, family_rank, avoid)
        own: dict[str, Any] = {"contact": _person(contact)}
        if contact.family_of is not None:
            cadre = self.project.book.cadre_of(contact)
            if cadre is not None:
                own["cadre"] = _person(cadre)
        if case is not None:
            own["case"] = self._case_variables[case.id]
        return {**self.shared, **own}, own, case

    def draft(self, contact: Contact) -> Draft:
        """Render one message; raises `RenderFailure` when the template fails."""
        context, own, case = self.context(contact)
        text = self.project.templates.render(self.push.template, context)
        body = with_signature(text, self.signature)
        return Draft(
            campaign=self.campaign.id,
            push=self.push.id,
            occurrence=self.day,
            contact=contact,
            body=body,
            count=count_segments(body),
            template=self.push.template,
            variables={**self._shared_flat, **_flat_variables(own)} if self.keep_variables else {},
            case=case,
        )


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
    push_day = PushDay(project, campaign, push, window, day)
    for contact in contacts:
        try:
            message = push_day.draft(contact)
        except RenderFailure as exc:
            problems.setdefault(str(exc.problem), exc.problem)
            continue
        if push.max_segments is not None and message.count.segments > push.max_segments:
            index = campaign.pushes.index(push)
            problem = Problem(
                source.file,
                _(
                    "push {id!r}: the message for {contact} on {day} is {segments} "
                    "segments ({units} {encoding} units), over max_segments "
                    "{max_segments}"
                ).format(
                    id=push.id,
                    contact=contact.id,
                    day=day,
                    segments=message.count.segments,
                    units=message.count.units,
                    encoding=message.count.encoding,
                    max_segments=push.max_segments,
                ),
                line=source.line("pushes", index, "max_segments"),
            )
            problems.setdefault(str(problem), problem)
            continue
        yield message


@dataclass(slots=True)
class Tally:
    """What one push sends on one date, counted as it is rendered: nothing is kept."""

    messages: int = 0
    segments: int = 0
    largest: int = 0  # segments of the longest message

    def add(self, draft: Draft) -> None:
        """Count one rendered message."""
        self.messages += 1
        self.segments += draft.count.segments
        self.largest = max(self.largest, draft.count.segments)


def tally_push(
    project: Project, campaign_id: str, push: Push, window: ResolvedWindow, day: date
) -> Tally:
    """Render every message of one push on one date and count them, holding one at a time (an
    audience of millions costs no memory); raise one `InputError` with every problem."""
    problems: dict[str, Problem] = {}
    contacts = project.audience(campaign_id, push.id)
    tally = Tally()
    for draft in iter_drafts(project, campaign_id, push, window, day, contacts, problems):
        tally.add(draft)
    if problems:
        raise InputError(list(problems.values()))
    return tally
