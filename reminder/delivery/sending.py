"""Sending one group of claimed messages: one message, or one batch for a gateway that takes
them (`max_batch`), with its retries and the outcome of each message.

A part of `reminder.delivery.dispatch.Dispatcher` (its rules are in that module's docstring):
the claim loop there hands each group to `_deliver`, holding a concurrency slot.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminder.clock import Clock
from reminder.delivery.gateways.base import Accepted, DeliveryPolicy, Gateway, OutgoingMessage
from reminder.delivery.limits import PerNumberLimits
from reminder.delivery.outcomes import DispatchResult, Outcomes
from reminder.delivery.reconcile import outgoing
from reminder.delivery.throttle import Limiter, Sleep
from reminder.errors import (
    AmbiguousGatewayError,
    DeferredGatewayError,
    GatewayError,
    GatewayStoppedError,
    TemplateRejectedError,
)
from reminder.i18n import _
from reminder.status import Status
from reminder.store import Message, SkipReason, Store

log = logging.getLogger("reminder.delivery.dispatch")

#: `should_stop` is a flag another thread sets: while messages wait to retry it is looked at this
#: often (event-loop time), since nothing else may ask it until one wakes.
STOP_POLL_SECONDS = 0.5

#: What one request brought back for the messages that must be tried again.
Retry = list[tuple[Message, GatewayError]]


class GroupSending:
    """Sends groups of claimed messages and applies their outcomes (a part of `Dispatcher`)."""

    store: Store
    gateway: Gateway
    clock: Clock
    policy: DeliveryPolicy
    should_stop: Callable[[], bool]
    sleep: Sleep
    jitter: random.Random
    failover: bool
    zone_of: Callable[[str], str]
    limiter: Limiter
    limits: PerNumberLimits
    outcomes: Outcomes
    result: DispatchResult
    batch_size: int
    #: `policy.retry_deadline_seconds`: no retry of a message starts this long after its first
    #: attempt.
    retry_window: timedelta
    _halt: asyncio.Event

    def _halted(self) -> bool:
        if not self.result.stopped and self.should_stop():
            self.result.stopped = True
            self._halt.set()
        return self._halt.is_set()

    def _why_halted(self, when: str) -> str:
        if self.result.stopped:
            return f"stopped {when}"
        reason = self.result.gateways_down.get(self.gateway.name, "")
        return f"the {self.gateway.name} gateway is down ({reason}): not sent"

    def _down(self, reason: str) -> None:
        """Send nothing more through this gateway in this run."""
        if self.gateway.name not in self.result.gateways_down:
            self.result.gateways_down[self.gateway.name] = reason
            self.outcomes.flush()
            log.error(
                _("the %s gateway is down: %s; nothing more goes through it in this run%s"),
                self.gateway.name,
                reason,
                _(" (the next gateway of the push takes the rest)") if self.failover else "",
            )
        self._halt.set()

    # --- one request's messages -------------------------------------------------------------

    async def _deliver(self, group: list[Message], slots: asyncio.Semaphore) -> None:
        """Send one group (one message, or one batch), retrying what failed transiently. Called
        holding one of `slots`, which it gives back while it waits to retry and takes again to
        send, and releases at the end."""
        holding = True
        try:
            pending = self._within_limits(group)
            requests = {request.message_id: request for request in map(outgoing, pending)}
            deadline: datetime | None = None
            error: GatewayError | None = None
            for attempt in range(1, self.policy.max_attempts + 1):
                pending = await self._ready(pending, error)
                if not pending:
                    return
                now = self.clock.now()
                if deadline is None:
                    deadline = now + self.retry_window
                elif error is not None and now > deadline:
                    # Waiting for a slot and the limiter took the retry past the deadline.
                    self._out_of_attempts([(m, error) for m in pending], "out of time")
                    return
                retry = await self._request(pending, requests)
                delay = self._backoff(attempt) if retry else 0.0
                if not retry or self._gives_up(retry, attempt, delay, deadline):
                    return
                pending, error = [m for m, _ in retry], retry[-1][1]
                slots.release()
                holding = False
                if not await self._wait_to_retry(delay):
                    self.outcomes.release(pending, self._why_halted("while waiting to retry"))
                    return
                await slots.acquire()
                holding = True
        finally:
            if holding:
                slots.release()

    async def _ready(self, pending: list[Message], error: GatewayError | None) -> list[Message]:
        """Wait for the rate limiter for all of `pending`, then what may be requested: nothing
        after a halt (given back), nor messages of a push whose template was rejected."""
        if not self.limiter.unlimited:  # no call at all when there is no rate to keep
            if len(pending) == 1:
                await self.limiter.acquire(pending[0].segments)
            elif pending:
                await self.limiter.acquire(sum(m.segments for m in pending), len(pending))
        if self._halted():
            when = "retrying" if error else "sending"
            self.outcomes.release(pending, self._why_halted(f"before {when}"))
            return []
        if self.outcomes.rejected:
            return [m for m in pending if not self.outcomes.hold_back(m)]
        return pending

    def _gives_up(self, retry: Retry, attempt: int, delay: float, deadline: datetime) -> bool:
        """After transient errors: True when they were the last attempt (or the back-off would
        pass the deadline) and the messages were settled; else each one's attempt is counted."""
        out_of_time = self.clock.now() + timedelta(seconds=delay) > deadline
        if attempt == self.policy.max_attempts or out_of_time:
            self._out_of_attempts(retry, "out of time" if out_of_time else "out of attempts")
            return True
        for message, error in retry:
            assert message.id is not None
            self.store.record_attempt(
                message.id, self.clock.now(), error_code=error.code, error_text=error.text
            )
        return False

    async def _request(self, pending: list[Message], requests: dict[int, OutgoingMessage]) -> Retry:
        """One request for `pending`; applies each message's outcome and returns those to
        retry. A failure of the whole request is the outcome of each of its messages."""
        outcomes: list[Accepted | GatewayError]
        try:
            if self.batch_size == 1:
                outcomes = [await self.gateway.send(requests[pending[0].id])]  # type: ignore[index]
            else:
                sent = [requests[m.id] for m in pending]  # type: ignore[index]
                outcomes = await self.gateway.send_batch(sent)
                if len(outcomes) != len(pending):
                    outcomes = [_miscounted(len(pending), len(outcomes))] * len(pending)
        except GatewayError as exc:
            outcomes = [exc] * len(pending)
        retry: Retry = []
        for message, outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, Accepted):
                self.outcomes.accept(message, outcome)
            elif outcome.transient:
                retry.append((message, outcome))
            else:
                self._settle(message, outcome)
        return retry

    def _settle(self, message: Message, exc: GatewayError) -> None:
        """Apply a final (not transient) error to one message."""
        if isinstance(exc, AmbiguousGatewayError):
            self.outcomes.finish(message, Status.unknown, exc, "the request may have arrived")
        elif isinstance(exc, GatewayStoppedError):
            if exc.code is not None and exc.code in self.gateway.credential_codes:
                fields = self.gateway.credential_codes[exc.code]
                self.result.credentials_refused[self.gateway.name] = fields
            self._down(f"[{exc.code}] {exc.text}" if exc.code else exc.text)
            self.outcomes.release([message], self._why_halted("by the provider"))
        elif isinstance(exc, DeferredGatewayError):
            self.outcomes.defer(
                message, self._not_before(message, exc.retry_after), exc.text, exc.code
            )
        elif isinstance(exc, TemplateRejectedError):
            self.outcomes.reject_template(message, exc)
        else:
            self.outcomes.fail(message, exc, "permanent")

    def _out_of_attempts(self, retry: Retry, why: str) -> None:
        """Transient errors to the end: the messages fail, or with a gateway to fail over to,
        this one is down and they go back to `planned` for the next."""
        if self.failover:
            _, last = retry[-1]
            self._down(f"transient errors {why}: [{last.code}] {last.text}")
            self.outcomes.release([m for m, _ in retry], self._why_halted(why))
            return
        for message, error in retry:
            self.outcomes.fail(message, error, f"transient, {why}")

    def _not_before(self, message: Message, retry_after: float | None) -> datetime:
        now = self.clock.now()
        if retry_after is not None:
            return now + timedelta(seconds=retry_after)
        zone = ZoneInfo(self.zone_of(message.campaign))
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        return datetime.combine(tomorrow, time(0), tzinfo=zone)

    def _within_limits(self, group: list[Message]) -> list[Message]:
        """The messages of `group` within the per-number limits; the rest are skipped or
        deferred (see `reminder.delivery.limits`)."""
        if not self.limits.active:
            return group
        keep = []
        for message in group:
            breach = self.limits.take(message)
            if breach is None:
                keep.append(message)
            elif breach.skips:
                self.outcomes.skip(message, SkipReason.per_number_cap, breach.describe())
            else:
                later = self.clock.now() + timedelta(seconds=breach.seconds)
                self.outcomes.defer(message, later, breach.describe())
        return keep

    async def _wait_to_retry(self, delay: float) -> bool:
        """Wait `delay` seconds (the injected sleep); False as soon as a halt is seen."""
        sleeper = asyncio.ensure_future(self.sleep(delay))
        halted = asyncio.ensure_future(self._halt.wait())
        try:
            while not self._halted():
                done, _ = await asyncio.wait(
                    {sleeper, halted},
                    timeout=STOP_POLL_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if sleeper in done:
                    sleeper.result()  # a failing sleep fails the group's task, as before
                    return not self._halted()
            return False
        finally:
            sleeper.cancel()
            halted.cancel()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(
            self.policy.retry_max_seconds, self.policy.retry_base_seconds * 2 ** (attempt - 1)
        )
        return self.jitter.uniform(ceiling / 2, ceiling)


def _miscounted(expected: int, got: int) -> GatewayError:
    """A batch answer with the wrong number of outcomes: nobody can tell which message went."""
    return AmbiguousGatewayError(
        f"the gateway answered {got} outcomes for a batch of {expected}: fate unknown"
    )
