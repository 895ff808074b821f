"""Sending one occurrence now: what `reminder send` does, and what a web console's "send" will.

The order is the policy. Every message of every push is rendered and counted first, nothing
written (and the store not created) when any input fails; then the quiet hours
(`App.quiet_hours_hold`) and, for a gateway that reaches phones, the operator's confirmation;
then each push is planned, streaming into the store, and dispatched. Re-running it never sends
anything twice: planning is idempotent and only `planned` messages are claimed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from reminder.core import approval, routes
from reminder.core.template_codes import template_codes
from reminder.delivery.dispatch import DispatchResult
from reminder.delivery.gateways.registry import credential_variables
from reminder.errors import CredentialError, QuietHoursError, UsageError
from reminder.i18n import _, ngettext
from reminder.inputs.campaigns import Campaign
from reminder.planning.plan import PlanResult, count_existing, plan_streaming, survey_occurrence
from reminder.planning.template_checks import TemplateCodes
from reminder.status import Status
from reminder.store import Message, Selection, Store

if TYPE_CHECKING:
    from reminder.core.app import App

#: Receives each message's result as the dispatcher reports it.
OnResult = Callable[[Message, Status], None]
#: Watches one push's dispatch: called with the push's survey and how many of its messages wait
#: to be sent, it returns a context manager around the dispatch whose value receives each result.
Progress = Callable[[PlanResult, int], AbstractContextManager[OnResult | None]]
#: Asked, before anything is written, whether to send these through a gateway that reaches
#: phones; False sends and writes nothing.
Confirm = Callable[[list[PlanResult]], bool]


@dataclass(frozen=True)
class PushSent:
    """One push of a send: the survey's and planning's counts (`survey`), what this run sent and
    failed, and how many messages of the occurrence are in each status now (`statuses`,
    whichever run left them there; empty for a dry run)."""

    survey: PlanResult
    sent: int = 0
    failed: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    #: What the operator must hear of: a gateway down, a template rejected, numbers deferred.
    warnings: list[str] = field(default_factory=list)
    #: Messages sent through each gateway by this run.
    by_gateway: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class SendResult:
    """What `send_occurrence` did: one `PushSent` per push that fires on `day`."""

    campaign: str
    day: date
    dry_run: bool
    pushes: list[PushSent]
    #: The operator was asked and said no: nothing was written or sent.
    declined: bool = False


@dataclass(frozen=True)
class Preview:
    """The occurrence previewed and each push's survey, with its first rendered messages."""

    day: date
    results: list[PlanResult]


def pick_pushes(campaign: Campaign, push: str | None) -> list[str]:
    """All pushes of the campaign, or the one asked for (a usage error if it does not exist)."""
    known = [p.id for p in campaign.pushes]
    if push is None:
        return known
    if push not in known:
        raise UsageError(
            _("campaign {campaign!r} has no push {push!r}; pushes: {known}").format(
                campaign=campaign.id, push=push, known=", ".join(known)
            )
        )
    return [push]


def first_day_from(campaign: Campaign, today: date) -> date:
    """`today` when it is inside a window, else the first day of the next window (else of the
    last one)."""
    if campaign.window_containing(today) is not None:
        return today
    upcoming = campaign.windows_between(today, today + timedelta(days=400))
    if upcoming:
        return upcoming[0].start
    past = campaign.windows_between(today - timedelta(days=400), today)
    return past[-1].start if past else today


def _today_in_window(campaign: Campaign, today: date) -> date:
    """`today`, when a window holds it; else a usage error naming the next window and its
    first day (the day to send on), not the window of this year that is already over."""
    if campaign.window_containing(today) is not None:
        return today
    upcoming = campaign.windows_between(today, today + timedelta(days=400))
    if not upcoming:
        return today  # planning names the windows of the year
    window = upcoming[0]
    raise UsageError(
        _(
            "today ({today}) is outside the window of campaign {id!r}; the next window runs "
            "from {start} to {end}: its first day is {start} "
            "(`reminder send {id} --date {start}`)"
        ).format(today=today, id=campaign.id, start=window.start, end=window.end)
    )


def survey(
    app: App,
    campaign_id: str,
    day: date,
    push: str | None = None,
    *,
    store: Store | None = None,
    sample: int = 0,
    contact: str | None = None,
    look_ahead: bool = False,
    mapped: bool = False,
) -> list[PlanResult]:
    """Render and count every message of the pushes (or the one asked for) that fire on `day`;
    write nothing. With `store`, cases are chosen from what each person has read, as planning
    chooses them, and what is still to send is counted; `look_ahead` also takes every
    occurrence from today to `day` not planned yet as sent (what `preview` shows); `mapped`
    checks every message against the template mapping of each template-code gateway its push
    goes through (what `send` does before anything is written or sent)."""
    campaign = app.project.campaign(campaign_id)

    def codes(push_id: str) -> list[TemplateCodes]:
        gateways = routes.gateways_for(app, campaign_id, push_id)
        found = (template_codes(app.config, gateway) for gateway in gateways)
        return [mapping for mapping in found if mapping is not None]

    return survey_occurrence(
        app.project,
        campaign_id,
        pick_pushes(campaign, push),
        day,
        explicit=push is not None,
        store=store,
        sample=sample,
        contact=contact,
        since=app.today(campaign_id) if look_ahead else None,
        codes=codes if mapped else None,
    )


def preview(
    app: App,
    campaign_id: str,
    day: date | None = None,
    push: str | None = None,
    *,
    contact: str | None = None,
    limit: int = 10,
) -> Preview:
    """The first `limit` messages of each push (of `contact` only, if given) on `day` (default:
    today, else the first day of the next window). Writes nothing."""
    campaign = app.project.campaign(campaign_id)
    day = day or first_day_from(campaign, app.today(campaign_id))
    if contact is not None and contact not in app.project.book.contacts:
        raise UsageError(_("no contact has id {contact!r}").format(contact=contact))
    with app.existing_store() as store:
        results = survey(
            app, campaign_id, day, push, store=store, sample=limit, contact=contact, look_ahead=True
        )
    return Preview(day, results)


def send_occurrence(
    app: App,
    campaign_id: str,
    day: date | None = None,
    push: str | None = None,
    *,
    dry_run: bool = False,
    ignore_quiet_hours: bool = False,
    confirm: Confirm | None = None,
    progress: Progress | None = None,
    actor: str | None = None,
) -> SendResult:
    """Plan the occurrence of `day` (default: today in the campaign's zone) and dispatch it.

    Raises `QuietHoursError` while the quiet hours hold (unless `ignore_quiet_hours`). `confirm`
    is asked when the gateway reaches phones and something is to be sent (None: the caller
    has confirmed already). `progress` watches each push's dispatch. A `dry_run` renders and
    counts only, and needs no confirmation.
    """
    campaign = app.project.campaign(campaign_id)
    day = day or _today_in_window(campaign, app.today(campaign_id))
    with app.existing_store() as existing:
        results = survey(app, campaign_id, day, push, store=existing, mapped=True)
        if dry_run:
            for result in results:
                count_existing(existing, result)
    if dry_run:
        return SendResult(campaign_id, day, True, [PushSent(r) for r in results])
    approval.gate(app, campaign_id, day)
    if not ignore_quiet_hours:
        hold = app.quiet_hours_hold(app.project.timezone(campaign), scheduled=False)
        if hold is not None:
            raise QuietHoursError(hold.local, hold.zone, hold.start, hold.end)
    if _declined(app, results, confirm):
        return SendResult(campaign_id, day, False, [PushSent(r) for r in results], declined=True)
    waiting = _plan(app, results)
    what = approval.subject(campaign_id, day)
    app.audit(actor, "occurrence.planned", what, planned=sum(r.planned for r in results))
    dispatched = app.run_async(lambda: _dispatch_all(app, results, waiting, progress))
    sent = sum(d.sent for d in dispatched.values())
    app.audit(
        actor, "occurrence.sent", what, sent=sent, failed=sum(d.failed for d in dispatched.values())
    )
    pushes = []
    for result in results:
        outcome = dispatched[result.push]
        statuses = app.store.status_counts(campaign_id, result.push, day)
        pushes.append(
            PushSent(
                result,
                outcome.sent,
                outcome.failed,
                statuses,
                warnings(outcome),
                outcome.by_gateway,
            )
        )
    _stop_on_refused_credential(app, dispatched.values(), pushes)
    return SendResult(campaign_id, day, False, pushes)


def _stop_on_refused_credential(
    app: App, dispatched: Iterable[DispatchResult], pushes: list[PushSent]
) -> None:
    """A `CredentialError` when a provider refused a gateway's credential and messages were
    left unsent: the operator must fix the environment (the messages wait as planned)."""
    waiting = sum(p.statuses.get(Status.planned.value, 0) for p in pushes)
    for result in dispatched:
        for name, fields in result.credentials_refused.items():
            if not waiting:
                return
            names = ", ".join(credential_variables(app.config, name, fields))
            raise CredentialError(
                ngettext(
                    "the {gateway} gateway's credential was refused ({reason}): check {names}; "
                    "{count} message was not sent and waits as planned",
                    "the {gateway} gateway's credential was refused ({reason}): check {names}; "
                    "{count} messages were not sent and wait as planned",
                    waiting,
                ).format(
                    gateway=name,
                    reason=result.gateways_down.get(name, ""),
                    names=names,
                    count=waiting,
                )
            )


def warnings(result: DispatchResult) -> list[str]:
    """What an operator must be told of a dispatch, one line each."""
    lines = [
        f"the {name} gateway is down: {reason}; it sent nothing more in this run"
        for name, reason in result.gateways_down.items()
    ]
    lines += [
        f"template rejected by the provider: {what}; {result.held_back} messages of the push "
        "were failed without being sent: fix the template, then `reminder retry --failed`"
        for what in result.templates_rejected
    ]
    if result.deferred:
        lines.append(
            f"{result.deferred} messages deferred (a per-number limit): they wait as planned "
            "and go at the next run after their time (`reminder run` sends them)"
        )
    return lines


def _declined(app: App, results: list[PlanResult], confirm: Confirm | None) -> bool:
    if confirm is None or not app.gateway.real:
        return False
    if sum(r.to_send for r in results) == 0:
        return False
    return not confirm(results)


def _plan(app: App, results: list[PlanResult]) -> dict[str, int]:
    """Plan each push; count what was there already; return how many wait to be sent per push."""
    waiting: dict[str, int] = {}
    for result in results:
        result.planned = plan_streaming(
            app.project, app.store, result.campaign, result.push, result.occurrence, app.clock
        )
        counts = app.store.status_counts(result.campaign, result.push, result.occurrence)
        result.already_planned = sum(counts.values()) - result.planned
        waiting[result.push] = counts.get(Status.planned.value, 0)
    return waiting


async def _dispatch_all(
    app: App, results: list[PlanResult], waiting: dict[str, int], progress: Progress | None
) -> dict[str, DispatchResult]:
    outcomes: dict[str, DispatchResult] = {}
    for result in results:
        watch = progress(result, waiting[result.push]) if progress else nullcontext(None)
        with watch as on_result:
            selection = Selection(result.campaign, result.push, result.occurrence)
            outcomes[result.push] = await routes.dispatch(app, selection, on_result)
    return outcomes
