"""Planning: turn one occurrence (campaign, push, date) into one stored message per contact.

Planning is idempotent (ARCHITECTURE.md invariant 1): the store's unique key means that planning
an occurrence again adds nothing, so any command may be re-run safely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice, product

from reminder.calendar.windows import ResolvedWindow
from reminder.clock import Clock
from reminder.errors import InputError, Problem, UsageError
from reminder.heap import settled_objects_frozen
from reminder.i18n import _
from reminder.inputs.campaigns import Campaign, Push
from reminder.inputs.project import Project, overrides_suppression
from reminder.planning.drafts import Draft, iter_drafts
from reminder.planning.follow_ups import audience
from reminder.planning.history import CaseSource
from reminder.planning.occurrences import occurrence_on
from reminder.planning.template_checks import ParamCheck, TemplateCodes
from reminder.status import Status
from reminder.store import NewMessage, SkipReason, Store

#: Messages rendered (and written) at a time: memory is bounded by this, whatever the audience.
PLAN_BATCH = 2000


@dataclass
class PlanResult:
    """One push's occurrence: what a survey counted before anything was written, and what
    planning then did."""

    campaign: str
    push: str
    occurrence: date
    audience: int = 0  # messages rendered
    segments: int = 0
    to_send: int = 0  # of them, not sent yet: no row in the store, or a row still planned
    to_send_segments: int = 0
    planned: int = 0
    already_planned: int = 0
    sample: list[Draft] = field(default_factory=list, repr=False)


def window_for_day(campaign: Campaign, day: date) -> ResolvedWindow:
    """The campaign window containing `day`; a usage error naming the window(s) otherwise."""
    window = campaign.window_containing(day)
    if window is None:
        nearby = campaign.windows_between(date(day.year, 1, 1), date(day.year, 12, 31))
        spans = ", ".join(f"{w.start} to {w.end}" for w in nearby) or "none that year"
        raise UsageError(
            _("{day} is outside the window of campaign {id!r} ({spans})").format(
                day=day, id=campaign.id, spans=spans
            )
        )
    return window


def survey_occurrence(
    project: Project,
    campaign_id: str,
    push_ids: list[str],
    day: date,
    *,
    explicit: bool = False,
    store: Store | None = None,
    sample: int = 0,
    contact: str | None = None,
    since: date | None = None,
    codes: Callable[[str], Sequence[TemplateCodes]] | None = None,
) -> list[PlanResult]:
    """Render every message of the pushes that fire on `day`, batch by batch, and count them.

    Nothing is written and nothing is kept but the first `sample` drafts (of `contact` only, if
    given), so an audience of millions costs no memory. Every problem of every push is raised
    as one `InputError`: a command that surveys first writes nothing when any message fails.
    With `store`, cases are chosen from what each person has read, and what is still to send
    is counted (`to_send`); with `since` (today), the occurrences from `since` to `day` not in
    the store yet count as read (`reminder.planning.history`). With `explicit` (the user named
    the push), a push that does not fire that day is an error; otherwise it is left out. A day
    on which no push fires is an error. With `codes` (push → the template-code mappings of its
    gateways), every message is checked against them as `validate` checks them.
    """
    campaign = project.campaign(campaign_id)
    window, zone = window_for_day(campaign, day), project.timezone(campaign)
    problems: dict[str, Problem] = {}
    results, cases = [], CaseSource(project, store, since)
    for push_id in push_ids:
        push = campaign.push(push_id)
        if occurrence_on(campaign, push, zone, day) is None:
            if explicit:
                raise UsageError(
                    _(
                        "push {push_id!r} of campaign {campaign_id!r} does not fire "
                        "on {day}; see `reminder schedule --campaign {campaign_id}`"
                    ).format(push_id=push_id, campaign_id=campaign_id, day=day)
                )
            continue
        result = PlanResult(campaign_id, push_id, day)
        checks = _param_checks(codes(push_id) if codes else (), campaign_id, push, problems)
        with settled_objects_frozen():
            for drafts in _batches(project, store, campaign, push, window, day, problems, cases):
                for check, draft in product(checks, drafts):
                    check(draft)
                _count(result, drafts, store, sample, contact)
        for check in checks:
            problems.update((str(p), p) for p in check.problems.values())
        results.append(result)
    if problems:
        raise InputError(list(problems.values()))
    if not results:
        raise UsageError(
            _(
                "no push of campaign {campaign_id!r} fires on {day}; see "
                "`reminder schedule --campaign {campaign_id}`"
            ).format(campaign_id=campaign_id, day=day)
        )
    return results


def _batches(
    project: Project,
    store: Store | None,
    campaign: Campaign,
    push: Push,
    window: ResolvedWindow,
    day: date,
    problems: dict[str, Problem],
    cases: CaseSource,
) -> Iterator[list[Draft]]:
    """The messages of the push's audience on `day`, rendered `PLAN_BATCH` contacts at a time."""
    people = iter(audience(project, store, campaign, push, day))
    while chunk := list(islice(people, PLAN_BATCH)):
        yield list(iter_drafts(project, campaign.id, push, window, day, chunk, problems, cases))


def _param_checks(
    mappings: Iterable[TemplateCodes], campaign_id: str, push: Push, problems: dict[str, Problem]
) -> list[ParamCheck]:
    """A check of each message against each mapping; an unmapped template is a problem now."""
    checks = []
    for mapping in mappings:
        unmapped = mapping.unmapped(campaign_id, push)
        if unmapped is None:
            checks.append(ParamCheck(mapping, push))
        else:
            problems.setdefault(str(unmapped), unmapped)
    return checks


def _count(
    result: PlanResult, drafts: list[Draft], store: Store | None, sample: int, contact: str | None
) -> None:
    statuses = (
        store.statuses_of(
            result.campaign, result.push, result.occurrence, [d.contact.id for d in drafts]
        )
        if store is not None and drafts
        else {}
    )
    for draft in drafts:
        segments = draft.count.segments
        result.audience += 1
        result.segments += segments
        if statuses.get(draft.contact.id, Status.planned) is Status.planned:
            result.to_send += 1
            result.to_send_segments += segments
        if len(result.sample) < sample and contact in (None, draft.contact.id):
            result.sample.append(draft)


def new_message(
    draft: Draft,
    status: Status = Status.planned,
    note: str | None = None,
    skip_reason: SkipReason | None = None,
) -> NewMessage:
    """The store row for a rendered draft (`skip_reason` with a `skipped` status)."""
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
        skip_reason=skip_reason,
    )


def count_existing(store: Store | None, result: PlanResult) -> None:
    """Fill in `already_planned` from the store (for a dry run that writes nothing)."""
    if store is None:
        return
    counts = store.status_counts(result.campaign, result.push, result.occurrence)
    result.already_planned = sum(counts.values())


def _rows(store: Store, drafts: list[Draft], protect_cadres: bool) -> list[NewMessage]:
    """Store rows for drafts: a suppressed number is planned as `skipped` with the reason, unless
    the suppression rule (`overrides_suppression`) sends to it anyway."""
    suppressed = store.suppressed(d.contact.phone for d in drafts)
    rows = []
    for d in drafts:
        reason = suppressed.get(d.contact.phone)
        if reason is not None and not overrides_suppression(d.contact, protect_cadres):
            note = f"suppressed: {reason}"
            rows.append(new_message(d, Status.skipped, note, skip_reason=SkipReason.suppressed))
        else:
            rows.append(new_message(d))
    return rows


def plan_streaming(
    project: Project,
    store: Store,
    campaign_id: str,
    push_id: str,
    day: date,
    clock: Clock,
    *,
    expired: str | None = None,
    batch: int = PLAN_BATCH,
) -> int:
    """Render and store one occurrence batch by batch, in one transaction; returns the rows added.

    Memory stays bounded by the batch whatever the audience; every problem is collected and
    raised as one `InputError` at the end, and then nothing at all is written. With `expired`
    (the reason), the rows are stored `expired` instead: an occurrence the scheduler missed.
    A suppressed number is planned `skipped`, as the project's suppression settings say.
    Each person's case is chosen from what the store says they have read on earlier days
    (`reminder.planning.history`): the store is the truth, and planning looks no further.
    """
    campaign = project.campaign(campaign_id)
    window = window_for_day(campaign, day)
    push = campaign.push(push_id)
    contacts = audience(project, store, campaign, push, day)
    problems: dict[str, Problem] = {}
    protect_cadres = project.config.settings.suppression.protect_cadres
    cases = CaseSource(project, store)

    # Only to save rendering what is there already: the store's unique key keeps planning
    # idempotent even when another planner adds rows meanwhile.
    resuming = store.has_planned(campaign_id, push_id, day)

    def batches() -> Iterator[list[NewMessage]]:
        while chunk := list(islice(contacts, batch)):
            fresh = chunk
            if resuming:
                done = store.statuses_of(campaign_id, push_id, day, [c.id for c in chunk])
                fresh = [c for c in chunk if c.id not in done]
            drafts = list(
                iter_drafts(project, campaign_id, push, window, day, fresh, problems, cases)
            )
            if problems:
                continue
            if expired is not None:
                yield [new_message(d, status=Status.expired, note=expired) for d in drafts]
            else:
                yield _rows(store, drafts, protect_cadres)
        if problems:
            raise InputError(list(problems.values()))

    if push.ack is not None and expired is None:
        # Before the messages: a reply never finds a message without its question.
        within = int(push.ack.within.total_seconds())
        store.ask(campaign_id, push_id, day, push.ack.normalised, within, clock.now())
    with settled_objects_frozen():
        return store.add_planned_batches(batches(), clock.now())
