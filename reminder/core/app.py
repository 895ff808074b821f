"""`App`: one object that owns config, project, store, gateway and clock, and exposes the use
cases — survey, send an occurrence, run what is due, pause, resume, cancel, retry, suppress,
report. The CLI, the daemon's triggers and the web console call its methods and present what
they return; none of them has a policy of its own, and no use case is written twice.

What it owns is loaded when first needed: `pause` needs the store but not the campaign files,
`validate` the files but not the store. Project and gateway load together, so every problem
with either is reported at once. Tests inject a project, a gateway or a store; the App closes
only what it opened.

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
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from reminder.clock import Clock, today_in
from reminder.core import control, due, sending
from reminder.core.governance import Governance
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.gateways.base import Gateway
from reminder.delivery.gateways.registry import build_gateway
from reminder.errors import InputError, OperationalError, Problem
from reminder.inputs.config import Config
from reminder.inputs.project import Project, load_project
from reminder.planning.agenda import AgendaRow, agenda
from reminder.planning.checks import CampaignCheck, check_project
from reminder.planning.plan import PlanResult
from reminder.reports.figures import Report, build_report
from reminder.status import Status
from reminder.store import Message, Selection, Store, open_store
from reminder.store.models import Suppression

T = TypeVar("T")


@dataclass(frozen=True)
class QuietHoursHold:
    """The quiet hours hold now: `local` is the current time in `zone`."""

    local: datetime
    zone: str
    start: time
    end: time


class App(Governance):
    """The application core (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        clock: Clock,
        *,
        project: Project | None = None,
        gateway: Gateway | None = None,
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self._project = project
        self._gateway = gateway
        self._store = store
        self._owns_store = store is None
        #: Set to stop: dispatches finish the message in flight, runs of what is due stop.
        self.stopping = threading.Event()
        #: Held by a run of what is due and by a reload, so a run sees one set of files.
        self.lock = threading.Lock()

    # --- what it owns ---------------------------------------------------------------------

    @property
    def project(self) -> Project:
        """The checked campaign files (loaded with the gateway on first use)."""
        if self._project is None:
            self.load()
        assert self._project is not None
        return self._project

    @property
    def gateway(self) -> Gateway:
        """The configured gateway (loaded with the project on first use)."""
        if self._gateway is None:
            self.load()
        assert self._gateway is not None
        return self._gateway

    @property
    def store(self) -> Store:
        """The store, opened (created and migrated if need be) on first use."""
        if self._store is None:
            self._store = open_store(self.config.database_url)
        return self._store

    def load(self) -> None:
        """Load and check every file and the gateway settings; raise one `InputError` with every
        problem of both."""
        problems: list[Problem] = []
        project, gateway = self._project, self._gateway
        if project is None:
            try:
                project = load_project(self.config)
            except InputError as exc:
                problems.extend(exc.problems)
        if gateway is None:
            try:
                gateway = build_gateway(self.config)
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems)
        self._project, self._gateway = project, gateway

    def reload(self) -> Project:
        """Read the campaign files again; on a problem raise `InputError` and keep the old ones."""
        project = load_project(self.config)
        with self.lock:
            self._project = project
        return project

    @contextmanager
    def existing_store(self) -> Iterator[Store | None]:
        """The store if it exists already, neither created nor migrated (a dry run writes
        nothing); None if there is none yet."""
        if self._store is not None:
            yield self._store
            return
        store = _open_existing(self.config.database_url)
        try:
            yield store
        finally:
            if store is not None:
                store.close()

    def close(self) -> None:
        """Close the store if this App opened it."""
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request_stop(self) -> None:
        """Stop: the messages in flight finish, nothing new is claimed (see `stopping`)."""
        self.stopping.set()

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
        self, *, on_result: Callable[[Message, Status], None] | None = None
    ) -> Dispatcher:
        """A dispatcher on this App's store, gateway and clock: the one place one is built."""
        return Dispatcher(
            self.store,
            self.gateway,
            self.clock,
            per_number_cap=self.config.settings.per_number_cap,
            should_stop=self.stopping.is_set,
            on_result=on_result,
            sends_despite_suppression=self.project.sends_despite_suppression,
        )

    def run_async(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run asynchronous work (dispatching, reconciling) on a fresh event loop, then close the
        gateway's connections, which belong to that loop: the one place they are closed."""

        async def run() -> T:
            try:
                return await work()
            finally:
                await self.gateway.aclose()

        return asyncio.run(run())

    def dispatch(self, selection: Selection) -> DispatchResult:
        """Reconcile what earlier runs left, then send every planned message of `selection`."""
        return self.run_async(lambda: self.dispatcher().run(selection))

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
    ) -> sending.Preview:
        """The first `limit` rendered messages of each push (`sending.preview`)."""
        return sending.preview(self, campaign, day, push, contact=contact, limit=limit)

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
        """Every occurrence from `first` to `last` with its audience and segments."""
        if campaign is not None:
            self.project.campaign(campaign)
        return agenda(self.project, first, last, campaign)

    def check(self, sample: date | None = None) -> list[CampaignCheck]:
        """Check every campaign for this year and next and render every message of every push
        for `sample` (default: each push's first day); one `InputError` with every problem."""
        return check_project(self.project, self.today(), sample)

    def messages(
        self, campaign: str | None = None, statuses: Sequence[Status] = (), limit: int = 50
    ) -> list[Message]:
        """The newest messages, optionally of one campaign and in some statuses."""
        return self.store.messages(campaign=campaign, statuses=list(statuses), limit=limit)

    def status_counts(self, campaign: str | None = None) -> Counter[str]:
        """How many messages (of one campaign) are in each status."""
        return self.store.status_counts(campaign)


def _open_existing(url: str) -> Store | None:
    """The store at `url` if it exists with a schema, else None; it is neither created nor
    migrated. (A SQLite URL names a file, which opening would create.)"""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not Path(url[len(prefix) :]).exists():
        return None
    try:
        return open_store(url, migrate_schema=False)
    except OperationalError:
        return None
