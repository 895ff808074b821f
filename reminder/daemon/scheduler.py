"""`reminder run`: the long-running scheduler (APScheduler 3.x) that fires every push on time.

Jobs are derived from the campaign files at start (one job per push: its occurrence series)
and call bound methods of the application core (`App.run_due`, `App.sweep`), which plans and
dispatches with the same code as `reminder send`. They live in APScheduler's memory job store:
restart safety comes from the store (see `reminder.core.due`), not from a persistent job store,
and at start every push is caught up at once. SIGTERM/SIGINT finish the message in flight, then
the daemon exits 0; SIGHUP reloads the campaign files (a changed push takes effect from its
next occurrence).

Only the leader fires occurrences (`reminder.store.leader`): on SQLite the one daemon the lock
file allows; on PostgreSQL whichever node holds the advisory lock. The others send what the
leader planned (`App.work`), ask again every `node_poll_seconds`, and on taking over run the
same catch-up as a daemon at start. On PostgreSQL every node also listens for the notifications
of planned messages (`reminder.store.wakeup`) and sends them at once (`wake`), or when deferred
ones fall due; the poll is the fallback. (A reload or a change of leader drops the wake-ups
scheduled for deferrals: the poll sends those.)

Every node writes a heartbeat every `node_poll_seconds` (`reminder.store.nodes`): who it
is, since when, whether it leads, how many messages it sent. `reminder status` shows them, and
reconciliation on another host takes a node that stopped beating for the claim lease as dead.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from reminder.clock import Clock, local_text
from reminder.core.app import App
from reminder.core.nodes import FORGET_AFTER
from reminder.delivery import owner
from reminder.errors import InputError, OperationalError
from reminder.i18n import _
from reminder.planning.occurrences import next_occurrence
from reminder.store.leader import Leadership, SoleDaemon
from reminder.store.nodes import Beat
from reminder.store.wakeup import Listener

log = logging.getLogger("reminder.run")


class OccurrenceTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires at each occurrence of one push, as told by the project's schedule and clock."""

    def __init__(self, app: App, campaign_id: str, push_id: str) -> None:
        self.app = app
        self.campaign_id = campaign_id
        self.push_id = push_id

    def next_occurrence_after(self, moment: datetime) -> datetime | None:
        """The next occurrence strictly after `moment`, in the project's (simulated) time."""
        project = self.app.project
        if self.campaign_id not in project.campaigns:
            return None
        campaign = project.campaign(self.campaign_id)
        try:
            push = campaign.push(self.push_id)
        except KeyError:
            return None
        found = next_occurrence(campaign, push, project.timezone(campaign), moment)
        return found.at if found else None

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        clock = self.app.clock
        after = clock.now()
        if previous_fire_time is not None:
            fired = _from_real(clock, previous_fire_time)
            after = max(after, fired)
        upcoming = self.next_occurrence_after(after)
        return clock.to_real(upcoming).astimezone(UTC) if upcoming else None

    def __str__(self) -> str:
        return f"occurrences of {self.campaign_id}/{self.push_id}"


class SweepTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires every `every` of the engine's (possibly simulated) time."""

    def __init__(self, clock: Clock, every: timedelta) -> None:
        self.clock = clock
        self.every = every

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        clock = self.clock
        return clock.to_real(clock.now() + self.every).astimezone(UTC)

    def __str__(self) -> str:
        return f"every {self.every} (engine time)"


def _from_real(clock: Clock, real: datetime) -> datetime:
    """Invert `clock.to_real` for a linear clock (two probes give its origin and speed)."""
    zero = clock.to_real(datetime(2000, 1, 1, tzinfo=UTC))
    one = clock.to_real(datetime(2000, 1, 2, tzinfo=UTC))
    per_day = (one - zero).total_seconds()
    return datetime(2000, 1, 1, tzinfo=UTC) + (real - zero) * (86400 / per_day)


class Daemon:
    """The scheduler process: the APScheduler instance and signal handling around an `App`."""

    def __init__(self, app: App, leadership: Leadership | None = None) -> None:
        self.app = app
        #: Whether this process may fire occurrences (`reminder.store.leader`).
        self.leadership = leadership or SoleDaemon(None)
        #: Whether this node fires occurrences now (it holds the leadership).
        self.leading = False
        #: When this node started, on the engine's clock (its heartbeat says so).
        self.started = app.clock.now()
        self._wake = threading.Event()
        self._reload = threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def schedule_jobs(self) -> None:
        """(Re)create the jobs: while leading, one per push of every campaign and the sweep; on
        a store several nodes share, the job that sends what the leader planned."""
        self.scheduler.remove_all_jobs()
        if self.leadership.shared:
            poll = self.app.config.settings.scheduler.node_poll_seconds
            self.scheduler.add_job(
                self.work, trigger=IntervalTrigger(seconds=poll), id="work", name="work"
            )
        if not self.leading:
            return
        for campaign_id, source in sorted(self.app.project.campaigns.items()):
            for push in source.campaign.pushes:
                self.scheduler.add_job(
                    self.fire,
                    trigger=OccurrenceTrigger(self.app, campaign_id, push.id),
                    args=[campaign_id, push.id],
                    id=f"{campaign_id}:{push.id}",
                    name=f"{campaign_id}/{push.id}",
                    replace_existing=True,
                )
        every = timedelta(minutes=self.app.config.settings.scheduler.sweep_minutes)
        self.scheduler.add_job(
            self.app.sweep,
            trigger=SweepTrigger(self.app.clock, every),
            id="sweep",
            name="sweep",
            replace_existing=True,
        )

    def push_jobs(self) -> int:
        """How many pushes are scheduled (the sweep and the work job not counted)."""
        return sum(
            1 for job in self.scheduler.get_jobs() if isinstance(job.trigger, OccurrenceTrigger)
        )

    def follow_leadership(self) -> None:
        """Ask for the leadership (again); on taking it, catch up and fire the pushes; on
        losing it, stop firing them and only send what the leader plans."""
        leads = self.leadership.claim()
        if leads == self.leading:
            return
        self.leading = leads
        if not leads:
            log.warning(_("this node no longer leads: it only sends what the leader plans"))
            self.schedule_jobs()
            return
        if self.leadership.shared:
            log.info(_("this node leads: it fires the occurrences"))
        if self.scheduler.running:
            self.schedule_jobs()
            self.scheduler.add_job(self.catch_up, id="catch-up", name="catch-up")
        else:
            self.catch_up()
            self.schedule_jobs()

    def work(self) -> None:
        """The job of a node that does not lead: `App.work`; errors are logged."""
        if self.leading:
            return
        try:
            self.app.work()
        except Exception:
            log.exception(_("sending what the leader planned failed"))

    def wake(self, payload: str = "") -> None:
        """Another node planned messages (`reminder.store.wakeup`): send them now, not at the
        next poll; `payload` is empty, or the ISO time deferred messages fall due, when this
        node looks again. Called on the listening thread."""
        due = None
        if payload:
            try:
                due = datetime.fromisoformat(payload)
            except ValueError:
                due = None
        if due is not None and due > self.app.clock.now():
            run_at = self.app.clock.to_real(due).astimezone(UTC)
            job_id = f"wake-at-{payload}"
        else:
            run_at, job_id = self.app.clock.wall_now(), "wake"
        if not self.scheduler.running:
            return
        # Two instances of one wake: one running, one waiting in the executor's queue, which
        # sees whatever was notified while the first ran.
        self.scheduler.add_job(
            self.work,
            trigger=DateTrigger(run_date=run_at),
            id=job_id,
            name=job_id,
            max_instances=2,
            replace_existing=True,
        )

    def fire(self, campaign_id: str, push_id: str) -> None:
        """The job of one push: `App.run_due`; errors are logged, never raised into APScheduler."""
        try:
            self.app.run_due(campaign_id, push_id)
        except Exception:
            log.exception(_("%s/%s: the occurrence could not be run"), campaign_id, push_id)

    def catch_up(self) -> None:
        """Run every push once now: recovers what a dead process left unfinished, sends what
        is due, expires what was missed too long ago."""
        self.app.sweep()

    def beat(self, *, running: bool = True) -> None:
        """Write this node's heartbeat (an in-memory store keeps none); the leader also forgets
        nodes silent for longer than `FORGET_AFTER`. A store that cannot be written to is
        logged, and the node runs on."""
        nodes = self.app.nodes
        if nodes is None:
            return
        me = owner.current()
        beat = Beat(
            str(me),
            me.host,
            me.pid,
            self.started,
            self.app.clock.now(),
            self.app.sent_messages,
            self.leading,
            running,
        )
        try:
            nodes.beat(beat)
            if self.leading and running:
                nodes.forget_stale(beat.at - FORGET_AFTER)
        except OperationalError as exc:
            log.warning("%s", exc)

    def reload(self) -> None:
        """Re-read the campaign files; on any problem keep running with the old ones."""
        try:
            self.app.reload()
        except InputError as exc:
            for problem in exc.problems:
                log.error(_("reload refused: %s"), problem)
            return
        self.schedule_jobs()
        log.info(_("campaign files reloaded: %d jobs"), self.push_jobs())

    def request_stop(self, *_: Any) -> None:
        """Finish the message in flight, then stop (SIGTERM, SIGINT)."""
        self.app.request_stop()
        self._wake.set()

    def request_reload(self, *_: Any) -> None:
        """Reload the campaign files at the next chance (SIGHUP)."""
        self._reload.set()
        self._wake.set()

    def install_signal_handlers(self) -> None:
        """Route SIGTERM/SIGINT to a clean stop and SIGHUP to a reload (main thread only)."""

        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info(
                _("signal %s: finishing the message in flight, then stopping"),
                signal.Signals(signum).name,
            )
            self.request_stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())

    def run(self) -> int:
        """Catch up, then fire every push on time until asked to stop; returns the exit code.
        On a shared store, a node that does not lead sends what the leader plans, and asks
        for the leadership every `node_poll_seconds`; every node beats that often."""
        shared = self.leadership.shared
        poll = self.app.config.settings.scheduler.node_poll_seconds
        listener = Listener(self.app.config.database_url, self.wake) if shared else None
        try:
            self.beat()  # known before a leader's catch-up, however long that takes
            self.follow_leadership()
            self.beat()
            if not self.leading:
                self.schedule_jobs()
                log.info(_("standing by: another node leads; this one sends what it plans"))
            self.scheduler.start()
            if listener is not None:
                listener.start()
            self._log_start()
            while not self.app.stopping.is_set():
                self._wake.wait(poll)
                self._wake.clear()
                if self._reload.is_set() and not self.app.stopping.is_set():
                    self._reload.clear()
                    self.reload()
                if shared and not self.app.stopping.is_set():
                    self.follow_leadership()
                self.beat()
        finally:
            if listener is not None:
                listener.close()
            if self.scheduler.running:
                self.scheduler.shutdown(wait=True)
            self.beat(running=False)
        log.info(_("stopped"))
        return 0

    def _log_start(self) -> None:
        log.info(
            _("running: %d jobs; unfinished messages swept every %g min"),
            self.push_jobs(),
            self.app.config.settings.scheduler.sweep_minutes,
        )
        for job in self.scheduler.get_jobs():
            if not isinstance(job.trigger, OccurrenceTrigger):
                continue
            upcoming = job.trigger.next_occurrence_after(self.app.clock.now())
            when = local_text(upcoming, str(upcoming.tzinfo)) if upcoming else _("none")
            log.info(_("next %s: %s"), job.name, when)
