"""Dispatch: send planned messages through a gateway, concurrently, throttled, exactly once.

The rules, in the order a message meets them:

- **Claims.** Messages are claimed in small batches with a conditional update (`planned →
  sending`, owner and gateway recorded), so two dispatchers never send the same message; memory
  stays bounded by the batch. A message deferred past now (`not_before`) is not claimed.
- **Suppression.** Each claimed batch is checked against the suppression list: a number
  suppressed since its message was planned (a STOP reply, `suppress add`, the provider's
  opted-out code) is skipped with the reason.
- **Per-number limits** (`reminder.delivery.limits`): the stricter of the config's
  `per_number_cap` (24 h, every campaign) and the gateway's `per_number_limits` holds in each
  window; over a window of a day or more the message is skipped, over a shorter one deferred
  until the window has passed.
- **Requests.** Up to `concurrency` requests are in flight; the event loop's thread is the one
  store writer. A gateway with `max_batch > 1` gets groups of up to `max_batch` messages of one
  push's occurrence (one template) in one `send_batch` request, one outcome per message; others
  one message a request. Each request, retries included, first waits for the rate limiter for
  all its messages and segments: the provider counts every message against its rate. On a
  store several nodes share, the rate is the total of all nodes (`reminder.delivery.shared_rate`).
- **Outcomes**, per message (a failure of a whole batch request is every message's outcome):
  accepted → `sent` (written `FLUSH_SIZE` at a time); transient → retried with exponential
  backoff and jitter, within a count and a deadline (no request starts after it), only the
  messages not accepted, as one batch again; permanent → `failed` with the provider's code (a
  code in `opted_out_codes` also suppresses the number); ambiguous (the request may have
  arrived) → `unknown`, resolved later by asking the provider, never by resending blindly.
- **Template rejected** (`TemplateRejectedError`): the message fails, and so does everything
  of that push's occurrence not sent yet — still planned, or claimed and not yet requested —
  with a detail naming the provider's code and the remedy: fix the template, then
  `reminder retry --failed --campaign …` requeues them. (Left `planned`, the daemon's next
  sweep would burn one more message on the same rejection each time.) The occurrence is done;
  the result's `templates_rejected` tells the operator.
- **Deferred** (`DeferredGatewayError`, a provider's per-number daily limit): the message goes
  back to `planned` with `not_before` = now + `retry_after`, or the next midnight in the
  campaign's zone; this run does not try it again. The occurrence is not done while it waits:
  the daemon's sweeps send it once that time has passed, as long as the occurrence is inside
  its grace period; past that it expires like every message of a missed occurrence.
- **Gateway stopped** (`GatewayStoppedError`: quota, balance, account suspended): nothing more
  goes through this gateway in this run. The message and every claimed message not sent yet go
  back to `planned`; the result's `gateways_down` names it and the reason. With a gateway to
  fail over to (`failover=True`, see `reminder.delivery.failover`), a message out of attempts
  on transient errors (connection refused, repeated 5xx) takes the gateway down the same way
  instead of failing.
- **Crash safety.** A message is `sending` from its claim to its outcome, batch or not. Before
  sending, messages left `sending` by a dead process, and `unknown` ones, are reconciled with
  the provider that carried them (`reminder.delivery.reconcile`); a message another provider
  carried is never resolved by this one.
- **Stopping.** `should_stop` is asked before each request and while messages wait to retry:
  the requests in flight finish, claimed messages not yet sent and messages waiting to retry
  are released back to `planned`. The run returns when no message it holds is sending or
  waiting.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

from reminder.clock import Clock
from reminder.delivery import owner
from reminder.delivery.gateways.base import DeliveryPolicy, Gateway
from reminder.delivery.limits import PerNumberLimits
from reminder.delivery.outcomes import DispatchResult, Outcomes
from reminder.delivery.reconcile import GatewayFinder, Heartbeats, Reconciler, outgoing
from reminder.delivery.sending import GroupSending
from reminder.delivery.shared_rate import SharedRateLimiter
from reminder.delivery.throttle import Limiter, RateLimiter, Sleep
from reminder.heap import settled_objects_frozen
from reminder.status import Status
from reminder.store import Message, Selection, SkipReason, Store

log = logging.getLogger(__name__)

#: Messages held at once (sending, or waiting to retry) per concurrency slot: bounds memory,
#: and how many messages a provider outage takes through their attempts before claiming stops.
HELD_PER_SLOT = 16
#: Messages claimed at once per concurrency slot: one transaction (claim and its events) serves
#: this many sends; after a crash at most this many per slot are asked of the provider.
CLAIMED_PER_SLOT = 4
#: Reserves a span of a gateway's timeline shared by every node (gateway, now, seconds,
#: catch-up seconds → the span's start): `reminder.store.nodes.NodeBoard.reserve`.
SharedTimeline = Callable[[str, datetime, float, float], datetime]
#: The zone of a deferral's "next day" when the caller names none (the config's default).
DEFAULT_ZONE = "Asia/Shanghai"


class Dispatcher(GroupSending):
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
        failover: bool = False,
        gateways: GatewayFinder | None = None,
        zone_of: Callable[[str], str] = lambda _campaign: DEFAULT_ZONE,
        shared_rate: SharedTimeline | None = None,
        heartbeats: Heartbeats | None = None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.clock = clock
        self.policy: DeliveryPolicy = gateway.settings.delivery
        self.should_stop = should_stop
        self.sleep = sleep
        self.jitter = jitter or random.Random()
        self.sends_despite_suppression = sends_despite_suppression
        self.failover = failover
        self.gateways = gateways
        self.zone_of = zone_of
        self.heartbeats = heartbeats
        self.limiter = _limiter(clock, self.policy, gateway.name, shared_rate, sleep)
        self.limits = PerNumberLimits(store, clock, per_number_cap, gateway.per_number_limits)
        self.outcomes = Outcomes(store, gateway, clock, on_result)
        self.result: DispatchResult = self.outcomes.result
        self.batch_size = max(1, gateway.max_batch)
        self.retry_window = timedelta(seconds=self.policy.retry_deadline_seconds)
        self._halt = asyncio.Event()  # set once a stop or a gateway down is seen

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
                self.outcomes.flush()
        return self.result

    async def _claim_and_send(
        self, selection: Selection, slots: asyncio.Semaphore, running: set[asyncio.Task[None]]
    ) -> None:
        # `held` is taken before a slot: a group waiting to retry holds one of `held` but no
        # slot, and needs a slot again to go on; taking them the other way round could deadlock.
        per_slot = max(1, HELD_PER_SLOT // self.batch_size)
        held = asyncio.Semaphore(self.policy.concurrency * per_slot)
        me = str(owner.current())

        def done(task: asyncio.Task[None]) -> None:
            running.discard(task)
            held.release()

        while not self._halted():
            batch = self.store.claim_batch(
                selection,
                self.gateway.name,
                me,
                self.clock.now(),
                limit=self.policy.concurrency * CLAIMED_PER_SLOT * self.batch_size,
                claimed_at=self.clock.wall_now(),
            )
            if not batch:
                break
            batch = self._without_suppressed(batch)
            self.limits.load(batch)
            groups = self._groups(batch)
            for index, group in enumerate(groups):
                await held.acquire()
                await slots.acquire()
                if self._halted():
                    slots.release()
                    held.release()
                    rest = [m for later in groups[index:] for m in later]
                    self.outcomes.release(rest, self._why_halted("before sending"))
                    break
                # The task owns the slot from here: it gives it back while waiting to retry.
                task = asyncio.create_task(self._deliver(group, slots))
                running.add(task)
                task.add_done_callback(done)

    def _groups(self, batch: list[Message]) -> list[list[Message]]:
        """The claimed messages in requests: one each, or for a batching gateway up to
        `max_batch` of one push's occurrence, in claim order."""
        if self.batch_size == 1:
            return [[m] for m in batch]
        by_push: dict[tuple[str, str, date], list[Message]] = {}
        for message in batch:
            by_push.setdefault((message.campaign, message.push, message.occurrence), []).append(
                message
            )
        size = self.batch_size
        return [ms[i : i + size] for ms in by_push.values() for i in range(0, len(ms), size)]

    def _without_suppressed(self, batch: list[Message]) -> list[Message]:
        """Skip the messages to numbers suppressed since they were planned (a STOP reply, an
        operator's `suppress add`, the provider's opted-out code earlier in this run), unless
        the contact's messages go out regardless (`sends_despite_suppression`); the rest, in
        order."""
        # Numbers read only when the list has any (a generator: usually it has none).
        suppressed = self.store.suppressed(m.recipient for m in batch)
        if not suppressed:
            return batch
        keep = []
        for message in batch:
            reason = suppressed.get(message.recipient)
            if reason is None or self.sends_despite_suppression(message.contact_id):
                keep.append(message)
                continue
            self.outcomes.skip(message, SkipReason.suppressed, f"suppressed: {reason}")
        return keep

    # --- reconciliation ---------------------------------------------------------------------

    async def reconcile(self, selection: Selection) -> None:
        """Resolve messages left `sending` by a process that is gone, and `unknown` ones, by
        asking the provider that carried each; never by sending blindly (see
        `reminder.delivery.reconcile`)."""
        reconciler = Reconciler(
            self.store,
            self.gateway,
            self.clock,
            on_found=self.outcomes.found,
            peers=self.gateways,
            heartbeats=self.heartbeats,
        )
        self.result.reconciled += await reconciler.run(selection)


def _limiter(
    clock: Clock,
    policy: DeliveryPolicy,
    gateway: str,
    shared: SharedTimeline | None,
    sleep: Sleep,
) -> Limiter:
    """The gateway's rate: shared by every node when the store is (`shared`), else this
    process's own."""
    rates = (policy.messages_per_second, policy.segments_per_second)
    if shared is None:
        return RateLimiter(clock, *rates, sleep)
    return SharedRateLimiter(
        clock, lambda now, seconds, catch_up: shared(gateway, now, seconds, catch_up), *rates, sleep
    )


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
