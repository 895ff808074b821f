"""`App`: one object that owns config, project, store, gateway and clock, and exposes the use
cases — survey, send an occurrence, run what is due, pause, resume, cancel, retry, suppress,
report. The CLI, the daemon's triggers and the web console call its methods and present what
they return; none of them has a policy of its own, and no use case is written twice.

What it owns is loaded when first needed (`reminder.core.resources`).

Two policies live here because every use case that sends applies them:
- the quiet hours (`quiet_hours_hold`): they hold for every dispatch through a gateway that
  reaches phones, and for every scheduled dispatch whatever the gateway, so that a rehearsal
  on the console or file gateway shows the real timing; an operator may lift them for one
  `send` (`ignore_quiet_hours`). An operator's `send` through the console or file gateway is a
  trial and runs at any hour.
- the one place a `Dispatcher` is built (`dispatcher`): the per-number cap, the suppression
  rule (`Project.sends_despite_suppression`) and the stop flag; `run_async` is the one place the
  gateway's connections are closed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from reminder.clock import today_in
from reminder.core import approval, control, due, nodes, routes, sending
from reminder.core.governance import Governance
from reminder.core.resources import Resources
from reminder.core.template_codes import phone_text, template_codes
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.gateways.base import Gateway
from reminder.errors import UsageError
from reminder.i18n import _
from reminder.planning.agenda import AgendaRow, agenda
from reminder.planning.checks import CampaignCheck, check_project
from reminder.planning.drafts import Draft
from reminder.planning.forecast import CaseUsage, Upcoming, case_usage, upcoming_cases
from reminder.planning.plan import PlanResult
from reminder.reports.commitments import Commitments, commitments
from reminder.reports.figures import Report, build_report
from reminder.status import Status
from reminder.store import Message, Reply, ReplyOutcome, Selection
from reminder.store.models import Suppression

T = TypeVar("T")


@dataclass(frozen=True)
class QuietHoursHold:
    """The quiet hours hold now: `local` is the current time in `zone`."""

    local: datetime
    zone: str
    start: time
    end: time


class App(Resources, Governance):
    """The application core (see the module docstring); what it owns and how it is loaded are
    in `Resources`."""

    # --- policies -----------------------------------------------------------------------------

    def today(self, campaign: str | None = None) -> date:
        """Today in the campaign's time zone (without one, the configured zone)."""
        zone = self.config.settings.timezone
        if campaign is not None:
            zone = self.project.timezone(self.project.campaign(campaign))
        return today_in(self.clock, zone)

    def quiet_hours_hold(self, zone: str, *, scheduled: bool) -> QuietHoursHold | None:
        """The one quiet-hours rule: whether they hold now for a dispatch in `zone` — always for a
        `scheduled` one, otherwise when the gateway reaches phones. None when they do not."""
        if not (scheduled or self.gateway.real):
            return None
        quiet = self.config.settings.quiet_hours
        local = self.clock.now().astimezone(ZoneInfo(zone))
        if not quiet.contains(local.time().replace(tzinfo=None)):
            return None
        return QuietHoursHold(local, zone, quiet.start, quiet.end)

    def dispatcher(
        self,
        *,
        gateway: Gateway | None = None,
        failover: bool = False,
        on_result: Callable[[Message, Status], None] | None = None,
    ) -> Dispatcher:
        """A dispatcher on this App's store, clock and gateway (or `gateway`, with `failover`
        when another follows it): the one place one is built."""
        self.give_sinks()
        board = self.nodes

        def counted(message: Message, status: Status) -> None:
            if status is Status.sent:
                self.sent_messages += 1  # the heartbeat's throughput
            if on_result is not None:
                on_result(message, status)

        return Dispatcher(
            self.store,
            gateway or self.gateway,
            self.clock,
            per_number_cap=self.config.settings.per_number_cap,
            should_stop=self.stopping.is_set,
            on_result=counted,
            sends_despite_suppression=self.project.sends_despite_suppression,
            failover=failover,
            gateways=self.find_gateway,
            zone_of=self._zone_of,
            shared_rate=board.reserve if board is not None and board.shared else None,
            heartbeats=board.beating if board is not None else None,
        )

    def _zone_of(self, campaign: str) -> str:
        try:
            return self.project.timezone(self.project.campaign(campaign))
        except UsageError:
            return self.config.settings.timezone

    def run_async(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run asynchronous work (dispatching, reconciling) on a fresh event loop, then close the
        gateway's connections, which belong to that loop: the one place they are closed."""

        async def run() -> T:
            try:
                return await work()
            finally:
                for gateway in [self.gateway, *self._gateways.values()]:
                    await gateway.aclose()

        return asyncio.run(run())

    def dispatch(self, selection: Selection) -> DispatchResult:
        """Reconcile what earlier runs left, then send every planned message of `selection`,
        each push through its gateways (`routes.dispatch`); messages it deferred are announced
        to the other nodes for when they fall due (`wake_nodes`)."""
        result = self.run_async(lambda: routes.dispatch(self, selection))
        if result.deferred_until is not None:
            self.wake_nodes(result.deferred_until)
        return result

    # --- use cases ----------------------------------------------------------------------------

    def survey(
        self,
        campaign: str,
        day: date,
        push: str | None = None,
        *,
        sample: int = 0,
        contact: str | None = None,
    ) -> list[PlanResult]:
        """Render and count every message of the occurrence; write nothing (`sending.survey`)."""
        return sending.survey(self, campaign, day, push, sample=sample, contact=contact)

    def preview(
        self,
        campaign: str,
        day: date | None = None,
        push: str | None = None,
        *,
        contact: str | None = None,
        limit: int = 10,
        only_sample: bool = False,
    ) -> sending.Preview:
        """The first `limit` rendered messages of each push (`sending.preview`)."""
        return sending.preview(
            self, campaign, day, push, contact=contact, limit=limit, only_sample=only_sample
        )

    def send_occurrence(
        self,
        campaign: str,
        day: date | None = None,
        push: str | None = None,
        *,
        dry_run: bool = False,
        ignore_quiet_hours: bool = False,
        confirm: sending.Confirm | None = None,
        progress: sending.Progress | None = None,
        actor: str | None = None,
    ) -> sending.SendResult:
        """Plan one occurrence and dispatch it now (`sending.send_occurrence`)."""
        return sending.send_occurrence(
            self,
            campaign,
            day,
            push,
            dry_run=dry_run,
            ignore_quiet_hours=ignore_quiet_hours,
            confirm=confirm,
            progress=progress,
            actor=actor,
        )

    def run_due(self, campaign: str, push: str) -> list[due.Outcome]:
        """Handle every due occurrence of one push, recovery first (`due.run_due`)."""
        return due.run_due(self, campaign, push)

    def sweep(self) -> list[due.Outcome]:
        """`run_due` for every push of every campaign (`due.sweep`)."""
        return due.sweep(self)

    def work(self) -> int:
        """Send what is planned and due, planning nothing (a node that does not lead:
        `due.work`); how many were sent."""
        return due.work(self)

    def pause(self, campaign: str, *, actor: str | None = None) -> None:
        """Stop dispatching a campaign (`control.pause`)."""
        control.pause(self, campaign, actor=actor)

    def resume(self, campaign: str, *, actor: str | None = None) -> DispatchResult:
        """Resume a campaign and send what is left of it (`control.resume`)."""
        return control.resume(self, campaign, actor=actor)

    def cancel(
        self, campaign: str, day: date, push: str | None = None, *, actor: str | None = None
    ) -> int:
        """Cancel the waiting messages of an occurrence (`control.cancel`)."""
        return control.cancel(self, campaign, day, push, actor=actor)

    def retry(
        self, *, failed: bool = False, unknown: bool = False, campaign: str | None = None
    ) -> control.Retried:
        """Send failed or unknown messages again (`control.retry`)."""
        return control.retry(self, failed=failed, unknown=unknown, campaign=campaign)

    def suppress(
        self, number: str, reason: str = "added by an operator", *, actor: str | None = None
    ) -> control.Suppressed:
        """Add a number to the suppression list (`control.suppress`)."""
        return control.suppress(self, number, reason, actor=actor)

    def unsuppress(self, number: str, *, actor: str | None = None) -> control.Suppressed:
        """Remove a number from the suppression list (`control.unsuppress`)."""
        return control.unsuppress(self, number, actor=actor)

    def suppressions(self) -> list[Suppression]:
        """The suppression list, oldest first."""
        return self.store.suppressions()

    def report(self, campaign: str, day: date | None = None) -> Report:
        """Every figure of the report of one campaign (optionally one occurrence date)."""
        self.project.campaign(campaign)
        return build_report(self.project, self.store, campaign, day, self.clock.now())

    def agenda(self, first: date, last: date, campaign: str | None = None) -> list[AgendaRow]:
        """Every occurrence from `first` to `last` with its audience and segments (the cases,
        and so the segments, as planning will choose them: `upcoming_cases`)."""
        if campaign is not None:
            self.project.campaign(campaign)
        with self.existing_store() as store:
            grace = timedelta(minutes=self.config.settings.scheduler.grace_minutes)
            missed_before = self.clock.now() - grace
            rows = agenda(
                self.project,
                first,
                last,
                campaign,
                store=store,
                today=self.today(),
                missed_before=missed_before,
            )
            return approval.mark_held(self, rows, store)

    def check(self, sample: date | None = None) -> list[CampaignCheck]:
        """Check every campaign for this year and next and render every message of every push
        for `sample` (default: each push's first day); one `InputError` with every problem."""
        codes = template_codes(self.config, self.gateway)
        with self.existing_store() as store:
            return check_project(self.project, self.today(), sample, codes, store=store)

    def upcoming_cases(
        self, contact: str, first: date, last: date, campaign: str | None = None
    ) -> list[Upcoming]:
        """Every occurrence from `first` to `last` that reaches one contact, with the case it
        will carry and why: what the store holds, and every occurrence from today on taken as
        sent as planned. Writes nothing."""
        if campaign is not None:
            self.project.campaign(campaign)
        person = self.project.book.contacts.get(contact)
        if person is None:
            raise UsageError(_("no contact has id {contact!r}").format(contact=contact))
        with self.existing_store() as store:
            return list(
                upcoming_cases(
                    self.project,
                    store,
                    [person],
                    first,
                    last,
                    today=self.today(),
                    campaign_id=campaign,
                )
            )

    def case_usage(self, year: int | None = None) -> CaseUsage:
        """How often each case went out in `year` (default: this year), and who has read every
        case of a push's pool."""
        with self.existing_store() as store:
            return case_usage(self.project, store, year or self.today().year)

    def phone_text(self, draft: Draft) -> str:
        """What the phone shows for `draft`: for a template-code gateway, its own template text
        filled with the parameters; otherwise the rendered text."""
        return phone_text(self.gateway, draft)

    def messages(
        self, campaign: str | None = None, statuses: Sequence[Status] = (), limit: int = 50
    ) -> list[Message]:
        """The newest messages, optionally of one campaign and in some statuses."""
        return self.store.messages(campaign=campaign, statuses=list(statuses), limit=limit)

    def replies(
        self, campaign: str | None = None, outcomes: Sequence[ReplyOutcome] = (), limit: int = 50
    ) -> list[Reply]:
        """The newest replies, optionally to one campaign's questions and with some outcomes."""
        return self.store.replies(campaign=campaign, outcomes=outcomes, limit=limit)

    def commitments(self, campaign: str) -> Commitments:
        """The commitments a campaign's committing pushes collected, one per family or person."""
        return commitments(self.project, self.store, campaign)

    def cluster_status(self) -> nodes.ClusterStatus:
        """The nodes of the store, who leads, and the occurrences in flight
        (`nodes.cluster_status`)."""
        return nodes.cluster_status(self)

    def status_counts(self, campaign: str | None = None) -> Counter[str]:
        """How many messages (of one campaign) are in each status."""
        return self.store.status_counts(campaign)
