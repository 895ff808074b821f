"""Progress of a dispatch on standard error: a live bar in a terminal, periodic lines otherwise
(at each tenth done, at most one every `LINE_EVERY` on the engine's clock, and the last)."""

from __future__ import annotations

import sys
from datetime import timedelta
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from reminder.cli.app import stderr
from reminder.clock import Clock
from reminder.i18n import _
from reminder.status import Status
from reminder.store import Message

#: The least time between two progress lines outside a terminal: a fast push prints one line.
LINE_EVERY = timedelta(seconds=5)


class DispatchProgress:
    """Counts results as the dispatcher reports them (`on_result`) and shows them."""

    def __init__(
        self, label: str, total: int, clock: Clock, interactive: bool | None = None
    ) -> None:
        self.label = label
        self.total = total
        self.clock = clock
        self.done = 0
        self.sent = 0
        self.failed = 0
        self.unknown = 0
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self._started = clock.now()
        self._last_line = self._started
        self._step = max(total // 10, 1)
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> DispatchProgress:
        if self.total and self.interactive:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    _(
                        "sent {task.fields[sent]} failed {task.fields[failed]} "
                        "unknown {task.fields[unknown]} {task.fields[rate]}/s"
                    )
                ),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=stderr(),
                transient=True,
                # The ETA is measured on the engine's clock, as the rate is.
                get_time=lambda: self.clock.now().timestamp(),
            )
            self._progress.start()
            self._task = self._progress.add_task(
                self.label, total=self.total, sent=0, failed=0, unknown=0, rate="0.0"
            )
        return self

    def rate(self) -> float:
        """Messages handled per second so far."""
        seconds = (self.clock.now() - self._started).total_seconds()
        return self.done / seconds if seconds > 0 else 0.0

    def eta(self) -> timedelta | None:
        """How long the rest should take at the rate so far (None before any rate is known)."""
        rate = self.rate()
        if rate <= 0 or self.done >= self.total:
            return None
        return timedelta(seconds=round((self.total - self.done) / rate))

    def update(self, _message: Message, status: Status) -> None:
        """Count one result (the dispatcher's `on_result` hook)."""
        self.done += 1
        if status is Status.sent:
            self.sent += 1
        elif status is Status.failed:
            self.failed += 1
        elif status is Status.unknown:
            self.unknown += 1
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task,
                completed=self.done,
                sent=self.sent,
                failed=self.failed,
                unknown=self.unknown,
                rate=f"{self.rate():.1f}",
            )
        elif self.done == self.total or (
            self.done % self._step == 0 and self.clock.now() - self._last_line >= LINE_EVERY
        ):
            self._line()

    def _line(self) -> None:
        self._last_line = self.clock.now()
        eta = self.eta()
        left = _(", about {eta} left").format(eta=eta) if eta is not None else ""
        stderr().print(
            _(
                "{label}: {done}/{total} done, sent {sent}, failed {failed}, "
                "unknown {unknown}, {rate:.1f}/s"
            ).format(
                label=self.label,
                done=self.done,
                total=self.total,
                sent=self.sent,
                failed=self.failed,
                unknown=self.unknown,
                rate=self.rate(),
            )
            + left,
            markup=False,
            highlight=False,
        )

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
