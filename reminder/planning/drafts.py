"""Drafts: the rendered messages of one push on one date, before they reach the store."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any

from reminder.calendar.windows import ResolvedWindow
from reminder.errors import InputError, Problem
from reminder.i18n import _
from reminder.inputs.campaigns import Campaign, Push
from reminder.inputs.cases import Case
from reminder.inputs.contacts import Contact
from reminder.inputs.project import Project
from reminder.inputs.templates import RenderFailure, with_signature
from reminder.planning.history import CaseSource, Readers
from reminder.planning.rotation import Choice
from reminder.planning.segments import SegmentCount, count_segments

#: Contacts whose history is read from the store at a time.
READ_BATCH = 2000


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
    choice: Choice | None = None

    @property
    def case(self) -> Case | None:
        """The warning-education case the message carries."""
        return self.choice.case if self.choice is not None else None


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
    variables that do not depend on the person (and their flat form), the cases' variables, the
    template. `draft(contact, readers)` then does only the per-person work."""

    def __init__(
        self, project: Project, campaign: Campaign, push: Push, window: ResolvedWindow, day: date
    ) -> None:
        self.project = project
        self.source = project.campaigns[campaign.id]
        self.campaign = campaign
        self.push = push
        self.day = day
        self.day_index = window.index(day)
        self.signature = project.config.settings.signature
        self._case_variables = {
            c.id: {"id": c.id, "title": c.title, "summary": c.summary, "year": c.year}
            for c in push.case_pool(project.cases)
        }
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
        if push.ack is not None:
            self.shared["ack"] = push.ack.instruction_text()
        if window.holiday is not None:
            self.shared["holiday"] = {
                "start": window.holiday.start,
                "end": window.holiday.end,
                "days": window.holiday.days,
            }
        self.keep_variables = project.keeps_template_variables()
        self._shared_flat = _flat_variables(self.shared) if self.keep_variables else {}

    def context(
        self, contact: Contact, readers: Readers
    ) -> tuple[dict[str, Any], dict[str, Any], Choice | None]:
        """The template variables for one contact: all of them, the per-person part only, and
        the case of the day (with why it was chosen)."""
        choice = readers.choice(contact, self.campaign.id, self.push.id, self.day)
        own: dict[str, Any] = {"contact": _person(contact)}
        if contact.family_of is not None:
            cadre = self.project.book.cadre_of(contact)
            if cadre is not None:
                own["cadre"] = _person(cadre)
        if choice is not None:
            own["case"] = self._case_variables[choice.case.id]
        return {**self.shared, **own}, own, choice

    def draft(self, contact: Contact, readers: Readers) -> Draft:
        """Render one message; raises `RenderFailure` when the template fails."""
        context, own, choice = self.context(contact, readers)
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
            choice=choice,
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
    cases: CaseSource | None = None,
) -> Iterator[Draft]:
    """Render the messages of `contacts` one by one; problems go into `problems`, de-duplicated
    (a template mistake is reported once, not once per contact). What each contact has read
    comes from `cases` (default: nothing read yet), a batch of contacts at a time."""
    source = project.campaigns[campaign_id]
    campaign = source.campaign
    push_day = PushDay(project, campaign, push, window, day)
    cases = cases or CaseSource(project)
    pending = iter(contacts)
    while batch := list(islice(pending, READ_BATCH)):
        readers = cases.readers(batch)
        for contact in batch:
            message = _draft(push_day, contact, readers, problems)
            if message is not None:
                yield message


def _draft(
    push_day: PushDay, contact: Contact, readers: Readers, problems: dict[str, Problem]
) -> Draft | None:
    """One contact's message, or None when it fails (its problem added to `problems`)."""
    push, day, source = push_day.push, push_day.day, push_day.source
    try:
        message = push_day.draft(contact, readers)
    except RenderFailure as exc:
        problems.setdefault(str(exc.problem), exc.problem)
        return None
    if push.max_segments is not None and message.count.segments > push.max_segments:
        index = source.campaign.pushes.index(push)
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
        return None
    return message


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
    project: Project,
    campaign_id: str,
    push: Push,
    window: ResolvedWindow,
    day: date,
    cases: CaseSource | None = None,
    each: Callable[[Draft], None] | None = None,
) -> Tally:
    """Render every message of one push on one date and count them, holding one at a time (an
    audience of millions costs no memory; `each` sees every one); raise one `InputError` with
    every problem."""
    problems: dict[str, Problem] = {}
    contacts = project.audience(campaign_id, push.id)
    tally = Tally()
    for draft in iter_drafts(project, campaign_id, push, window, day, contacts, problems, cases):
        tally.add(draft)
        if each is not None:
            each(draft)
    if problems:
        raise InputError(list(problems.values()))
    return tally
