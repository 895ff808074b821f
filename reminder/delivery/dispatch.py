"""Dispatch: send planned messages through a gateway, concurrently, throttled, exactly once.

- Messages are claimed in small batches with a conditional update (`planned → sending`, owner
  recorded), so two dispatchers never send the same message; memory stays bounded by the batch.
- Each claimed batch is checked against the suppression list: a number suppressed since its
  message was planned (a STOP reply, `suppress add`, the provider's opted-out code) is skipped
  with the reason.
- Up to `concurrency` requests are in flight; the event loop's thread is the one store writer.
- Each message counts once against the per-number cap (across all campaigns, default 3 per
  24 h); each request, retries included, waits for the rate limiter (messages and segments per
  second): the provider counts every request against its rate.
- Transient errors retry with exponential backoff and jitter, within a count and a deadline (no
  request starts after it). A message waiting to retry gives its slot back, so the others keep
  every slot busy; it stays `sending` meanwhile (if the process dies, it is reconciled). At most
  `concurrency * HELD_PER_SLOT` messages are held at once, sending or waiting.
- Permanent errors fail the message at once with the provider's code (a code the gateway names
  in `opted_out_codes` also suppresses the number); an ambiguous outcome (the request may have
  arrived) leaves the message `unknown`.
- Before sending, messages left `sending` by a dead process, and `unknown` ones, are reconciled
  with the provider when it can be asked; otherwise they wait as `unknown` for an operator.
- `should_stop` is asked before each request and while messages wait to retry: the requests in
  flight finish, claimed messages not yet sent and messages waiting to retry are released back
  to `planned`. The run returns when no message it holds is sending or waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reminder import i18n
from reminder.clock import Clock
from reminder.delivery import owner
from reminder.delivery.gateways.base import Accepted, DeliveryPolicy, Gateway
from reminder.delivery.reconcile import Reconciler, outgoing
from reminder.delivery.throttle import RateLimiter, Sleep
from reminder.errors import AmbiguousGatewayError, GatewayError
from reminder.heap import settled_objects_frozen
from reminder.phones import mask
from reminder.status import Status
from reminder.store import Message, Selection, SkipReason, Store

log = logging.getLogger(__name__)

#: Acceptances are written in batches of this many, or when the oldest is this old.
FLUSH_SIZE = 64
FLUSH_AGE = timedelta(milliseconds=250)
#: Messages held at once (sending, or waiting to retry) per concurrency slot: bounds memory,
#: and how many messages a provider outage takes through their attempts before claiming stops.
HELD_PER_SLOT = 16
#: `should_stop` is a flag another thread sets: while messages wait to retry it is looked at this
#: often (event-loop time), since nothing else may ask it until one wakes.
STOP_POLL_SECONDS = 0.5


@dataclass
class DispatchResult:
    """Counts of one dispatch run."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    reconciled: int = 0
    stopped: bool = False


class Dispatcher:
    """Sends the planned messages of a selection through one gateway (see the module doc)."""

    def __init__(
        self,
        store: Store,
        gateway: Gateway,
        clock: Clock,
        *,
        per_number_cap: int | None = 3,
        should_stop: Callable[[], bool] = lambda: False,
        sleep: Sleep = asyncio.sleep,
        jitter: random.Random | None = None,
        on_result: Callable[[Message, Status], None] | None = None,
        sends_despite_suppression: Callable[[str], bool] = lambda _contact_id: False,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.clock = clock
        self.policy: DeliveryPolicy = gateway.settings.delivery
        self.per_number_cap = per_number_cap
        self.should_stop = should_stop
        self.sleep = sleep
        self.jitter = jitter or random.Random()
        self.on_result = on_result
        self.sends_despite_suppression = sends_despite_suppression
        self.limiter = RateLimiter(
            clock, self.policy.messages_per_second, self.policy.segments_per_second, sleep
        )
        self.result = DispatchResult()
        self._stop = asyncio.Event()  # set once a stop is seen: wakes messages waiting to retry
        self._accepted: list[tuple[Message, Accepted, str]] = []
        self._oldest: datetime | None = None
        self._recent: dict[str, int] = {}

    async def run(self, selection: Selection) -> DispatchResult:
        """Reconcile what earlier runs left, then send every planned message of `selection`."""
        await self.reconcile(selection)
        slots = asyncio.Semaphore(self.policy.concurrency)
        running: set[asyncio.Task[None]] = set()
        with settled_objects_frozen():
            try:
                await self._claim_and_send(selection, slots, running)
            finally:
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
                self._flush()
        return self.result

    async def _claim_and_send(
        self, selection: Selection, slots: asyncio.Semaphore, running: set[asyncio.Task[None]]
    ) -> None:
        # `held` is taken before a slot: a message waiting to retry holds one of `held` but no
        # slot, and needs a slot again to go on; taking them the other way round could deadlock.
        held = asyncio.Semaphore(self.policy.concurrency * HELD_PER_SLOT)
        while not self._stopping():
            batch = self.store.claim_batch(
                selection,
                self.gateway.name,
                str(owner.current()),
                self.clock.now(),
                limit=self.policy.concurrency * 2,
                claimed_at=self.clock.wall_now(),
            )
            if not batch:
                break
            batch = self._without_suppressed(batch)
            self._count_recent(batch)
            for index, message in enumerate(batch):
                await held.acquire()
                await slots.acquire()
                if self._stopping():
                    slots.release()
                    held.release()
                    self._release(batch[index:], "stopped before sending")
                    break
                # The task owns the slot from here: it gives it back while waiting to retry.
                task = asyncio.create_task(self._deliver(message, slots))
                running.add(task)
                task.add_done_callback(running.discard)
                task.add_done_callback(lambda _t: held.release())

    def _stopping(self) -> bool:
        if not self.result.stopped and self.should_stop():
            self.result.stopped = True
            self._stop.set()
        return self.result.stopped

    def _release(self, messages: list[Message], reason: str) -> None:
        ids = [m.id for m in messages if m.id is not None]
        self.store.release(ids, str(owner.current()), self.clock.now(), reason)

    # --- one message ------------------------------------------------------------------------

    async def _deliver(self, message: Message, slots: asyncio.Semaphore) -> None:
        """Send one message, retrying transient errors. Called holding one of `slots`, which it
        gives back while it waits to retry and takes again to send, and releases at the end."""
        assert message.id is not None
        holding = True
        try:
            if self._over_cap(message):
                return
            request = outgoing(message)
            deadline = None
            error: GatewayError | None = None
            for attempt in range(1, self.policy.max_attempts + 1):
                await self.limiter.acquire(message.segments)
                if self._stopping():
                    self._release([message], f"stopped before {'retrying' if error else 'sending'}")
                    return
                now = self.clock.now()
                if deadline is None:
                    deadline = now + timedelta(seconds=self.policy.retry_deadline_seconds)
                elif error is not None and now > deadline:
                    # Waiting for a slot and the limiter took the retry past the deadline.
                    self._fail(message, error, "transient, out of time")
                    return
                try:
                    accepted = await self.gateway.send(request)
                except AmbiguousGatewayError as exc:
                    self._finish(message, Status.unknown, exc, "the request may have arrived")
                    return
                except GatewayError as exc:
                    delay = self._backoff(attempt)
                    out_of_time = self.clock.now() + timedelta(seconds=delay) > deadline
                    if not exc.transient or attempt == self.policy.max_attempts or out_of_time:
                        kind = "permanent" if not exc.transient else "transient, out of attempts"
                        self._fail(message, exc, kind)
                        return
                    error = exc
                    self.store.record_attempt(
                        message.id, self.clock.now(), error_code=exc.code, error_text=exc.text
                    )
                    slots.release()
                    holding = False
                    if not await self._wait_to_retry(delay):
                        self._release([message], "stopped while waiting to retry")
                        return
                    await slots.acquire()
                    holding = True
                    continue
                self._accept(message, accepted)
                return
        finally:
            if holding:
                slots.release()

    async def _wait_to_retry(self, delay: float) -> bool:
        """Wait `delay` seconds (the injected sleep); False as soon as a stop is seen."""
        sleeper = asyncio.ensure_future(self.sleep(delay))
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            while not self._stopping():
                done, _ = await asyncio.wait(
                    {sleeper, stopped},
                    timeout=STOP_POLL_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if sleeper in done:
                    sleeper.result()  # a failing sleep fails the message's task, as before
                    return not self._stopping()
            return False
        finally:
            sleeper.cancel()
            stopped.cancel()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(
            self.policy.retry_max_seconds, self.policy.retry_base_seconds * 2 ** (attempt - 1)
        )
        return self.jitter.uniform(ceiling / 2, ceiling)

    def _without_suppressed(self, batch: list[Message]) -> list[Message]:
        """Skip the messages to numbers suppressed since they were planned (a STOP reply, an
        operator's `suppress add`, the provider's opted-out code earlier in this run), unless
        the contact's messages go out regardless (`sends_despite_suppression`); the rest, in
        order."""
        suppressed = self.store.suppressed({m.recipient for m in batch})
        if not suppressed:
            return batch
        keep = []
        for message in batch:
            reason = suppressed.get(message.recipient)
            if reason is None or self.sends_despite_suppression(message.contact_id):
                keep.append(message)
                continue
            self._skip(message, SkipReason.suppressed, f"suppressed: {reason}")
        return keep

    def _count_recent(self, batch: list[Message]) -> None:
        """Load the 24-hour counts of this batch's numbers not yet seen in this run."""
        if self.per_number_cap is None:
            return
        new = [m.recipient for m in batch if m.recipient not in self._recent]
        if new:
            since = self.clock.now() - timedelta(hours=24)
            claimed = [m.id for m in batch if m.id is not None]
            counts = self.store.recent_counts(new, since, exclude=claimed)
            for number in new:
                self._recent[number] = counts.get(number, 0)

    def _over_cap(self, message: Message) -> bool:
        if self.per_number_cap is None:
            return False
        assert message.id is not None
        recent = self._recent.get(message.recipient, 0)
        if recent < self.per_number_cap:
            self._recent[message.recipient] = recent + 1
            return False
        self._skip(
            message,
            SkipReason.per_number_cap,
            f"per-number cap: {recent} messages to this number in 24 h",
        )
        return True

    def _skip(self, message: Message, reason: SkipReason, detail: str) -> None:
        assert message.id is not None
        self.store.skip(message.id, reason, self.clock.now(), source="dispatch", detail=detail)
        self.result.skipped += 1
        self._report(message, Status.skipped)

    def _accept(self, message: Message, accepted: Accepted) -> None:
        """Buffer an acceptance; the buffer is written in one transaction when it is full, old,
        or the run ends (a crash before that leaves the message `sending`: it is reconciled)."""
        detail = f"accepted ({accepted.status})" if accepted.status else "accepted"
        self._accepted.append((message, accepted, detail))
        now = self.clock.now()
        if self._oldest is None:
            self._oldest = now
        if len(self._accepted) >= FLUSH_SIZE or now - self._oldest >= FLUSH_AGE:
            self._flush()

    def _flush(self) -> None:
        if not self._accepted:
            return
        batch, self._accepted, self._oldest = self._accepted, [], None
        self.store.record_sent(
            [(m.id, a.provider_id, detail) for m, a, detail in batch if m.id is not None],
            self.clock.now(),
        )
        for message, _, _ in batch:
            self.result.sent += 1
            self._report(message, Status.sent)

    def _fail(self, message: Message, exc: GatewayError, kind: str) -> None:
        """Fail a message for good; the provider's 'unsubscribed' also suppresses its number."""
        self._finish(message, Status.failed, exc, kind)
        if exc.code in self.gateway.opted_out_codes:
            self.store.suppress(
                message.recipient,
                f"unsubscribed (provider {exc.code})",
                "gateway",
                self.clock.now(),
            )

    def _finish(self, message: Message, status: Status, exc: GatewayError, kind: str) -> None:
        assert message.id is not None
        self.store.transition(
            message.id,
            status,
            self.clock.now(),
            source="gateway",
            error_code=exc.code,
            detail=f"{exc.text} ({kind})",
            count_attempt=True,
        )
        if status is Status.unknown:
            self.result.unknown += 1
        else:
            self.result.failed += 1
        log.warning(
            i18n._("message %s to %s %s: %s %s"),
            message.id,
            mask(message.recipient),
            status.value,
            exc.code,
            exc.text,
        )
        self._report(message, status)

    def _report(self, message: Message, status: Status) -> None:
        if self.on_result is not None:
            self.on_result(message, status)

    # --- reconciliation ---------------------------------------------------------------------

    async def reconcile(self, selection: Selection) -> None:
        """Resolve messages left `sending` by a process that is gone, and `unknown` ones, by
        asking the provider; never by sending blindly (see `reminder.delivery.reconcile`)."""
        reconciler = Reconciler(self.store, self.gateway, self.clock, on_found=self._found)
        self.result.reconciled += await reconciler.run(selection)

    def _found(self, message: Message) -> None:
        self.result.sent += 1
        self._report(message, Status.sent)


async def dispatch_occurrence(
    store: Store,
    gateway: Gateway,
    clock: Clock,
    *,
    campaign: str,
    push: str | None = None,
    occurrence: date | None = None,
    per_number_cap: int | None = 3,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Sleep = asyncio.sleep,
    on_result: Callable[[Message, Status], None] | None = None,
    sends_despite_suppression: Callable[[str], bool] = lambda _contact_id: False,
) -> DispatchResult:
    """Send every planned message of one occurrence (or a whole campaign); see `Dispatcher`."""
    dispatcher = Dispatcher(
        store,
        gateway,
        clock,
        per_number_cap=per_number_cap,
        should_stop=should_stop,
        sleep=sleep,
        on_result=on_result,
        sends_despite_suppression=sends_despite_suppression,
    )
    return await dispatcher.run(Selection(campaign, push, occurrence))


__all__ = ["DispatchResult", "Dispatcher", "dispatch_occurrence", "outgoing"]
