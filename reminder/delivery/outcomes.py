"""What a dispatch run writes for each message's outcome, and the counts it returns.

`Outcomes` is the dispatcher's one store writer for outcomes: acceptances buffered and written
in batches, failures, unknowns, skips, deferrals, messages given back, and a push whose
template the provider rejected (fail fast). `DispatchResult` carries the counts, and what an
operator must hear of: a gateway that stopped, a template rejected.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from reminder.clock import Clock
from reminder.delivery import owner
from reminder.delivery.gateways.base import Accepted, Gateway
from reminder.errors import GatewayError
from reminder.i18n import _
from reminder.phones import mask
from reminder.status import Status
from reminder.store import Message, Selection, SkipReason, Store

log = logging.getLogger("reminder.delivery.dispatch")

#: Acceptances are written in batches of this many, or when the oldest is this old.
FLUSH_SIZE = 256
FLUSH_AGE = timedelta(milliseconds=250)

#: One push's occurrence: (campaign, push, occurrence).
PushDay = tuple[str, str, date]


@dataclass
class DispatchResult:
    """Counts of one dispatch run (of every gateway it went through, with failover), and what
    the operator must be told."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    unknown: int = 0
    reconciled: int = 0
    #: Given back to `planned` with a not-before time (a provider's per-number limit).
    deferred: int = 0
    #: When the earliest of those falls due (the other nodes are told: `App.dispatch`).
    deferred_until: datetime | None = None
    #: Stopped by the operator (`should_stop`), not by a gateway.
    stopped: bool = False
    #: Messages sent through each gateway.
    by_gateway: Counter[str] = field(default_factory=Counter)
    #: Gateways that went down in this run (stopped by the provider, or out of attempts with a
    #: gateway to fail over to), with the reason.
    gateways_down: dict[str, str] = field(default_factory=dict)
    #: Gateways whose provider refused the credential, with the settings it points at (the
    #: gateway's `credential_codes`).
    credentials_refused: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Pushes whose template the provider rejected: "campaign/push date: [code] text".
    templates_rejected: list[str] = field(default_factory=list)
    #: Messages of those pushes failed without being sent (`reminder retry --failed` resends
    #: them once the template is fixed).
    held_back: int = 0

    def defer_until(self, moment: datetime) -> None:
        """Count `moment` as a deferred message's not-before time (the earliest is kept)."""
        if self.deferred_until is None or moment < self.deferred_until:
            self.deferred_until = moment

    def add(self, other: DispatchResult) -> None:
        """Add the counts of another run (the next gateway of a failover list)."""
        for name in ("sent", "failed", "skipped", "unknown", "reconciled", "deferred"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.held_back += other.held_back
        if other.deferred_until is not None:
            self.defer_until(other.deferred_until)
        self.stopped = self.stopped or other.stopped
        self.by_gateway.update(other.by_gateway)
        self.gateways_down.update(other.gateways_down)
        self.credentials_refused.update(other.credentials_refused)
        self.templates_rejected += other.templates_rejected


def rejected_detail(push_day: PushDay, exc: GatewayError) -> str:
    """Why the messages of a push whose template was rejected were not sent, and the remedy."""
    code = f" ({exc.code})" if exc.code else ""
    return (
        f"not sent: the provider rejected the template of this push{code}: {exc.text}; fix the "
        f"template or its registration, then `reminder retry --failed --campaign {push_day[0]}`"
    )


class Outcomes:
    """Writes outcomes to the store and counts them in `result` (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        gateway: Gateway,
        clock: Clock,
        on_result: Callable[[Message, Status], None] | None,
    ) -> None:
        self.store = store
        self.gateway = gateway
        self.clock = clock
        self.on_result = on_result
        self.result = DispatchResult()
        #: Push occurrences whose template the provider rejected, with the detail to write.
        self.rejected: dict[PushDay, str] = {}
        self._accepted: list[tuple[Message, Accepted, str]] = []
        self._oldest: datetime | None = None
        self._owner = str(owner.current())

    def accept(self, message: Message, accepted: Accepted) -> None:
        """Buffer an acceptance; the buffer is written in one transaction when it is full, old,
        or the run ends (a crash before that leaves the message `sending`: it is reconciled)."""
        detail = f"accepted ({accepted.status})" if accepted.status else "accepted"
        self._accepted.append((message, accepted, detail))
        now = self.clock.now()
        if self._oldest is None:
            self._oldest = now
        if len(self._accepted) >= FLUSH_SIZE or now - self._oldest >= FLUSH_AGE:
            self.flush()

    def flush(self) -> None:
        """Write the buffered acceptances."""
        if not self._accepted:
            return
        batch, self._accepted, self._oldest = self._accepted, [], None
        self.store.record_sent(
            [(i, a.provider_id, detail) for m, a, detail in batch if (i := m.id) is not None],
            self.clock.now(),
        )
        self.result.sent += len(batch)
        self.result.by_gateway[self.gateway.name] += len(batch)
        if self.on_result is not None:
            for message, _, _ in batch:
                self.on_result(message, Status.sent)

    def fail(self, message: Message, exc: GatewayError, kind: str) -> None:
        """Fail a message for good; the provider's 'unsubscribed' also suppresses its number."""
        self.finish(message, Status.failed, exc, kind)
        if exc.code in self.gateway.opted_out_codes:
            self.store.suppress(
                message.recipient,
                f"unsubscribed (provider {exc.code})",
                "gateway",
                self.clock.now(),
            )

    def finish(self, message: Message, status: Status, exc: GatewayError, kind: str) -> None:
        """Move a message to `failed` or `unknown` with the provider's code, counting the
        attempt."""
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
            _("message %s to %s through %s %s: %s %s"),
            message.id,
            mask(message.recipient),
            self.gateway.name,
            status.value,
            exc.code,
            exc.text,
        )
        self.report(message, status)

    def skip(self, message: Message, reason: SkipReason, detail: str) -> None:
        """Skip a message for `reason`."""
        assert message.id is not None
        self.store.skip(message.id, reason, self.clock.now(), source="dispatch", detail=detail)
        self.result.skipped += 1
        self.report(message, Status.skipped)

    def defer(
        self, message: Message, not_before: datetime, detail: str, code: str | None = None
    ) -> None:
        """Give a message back to `planned`, not to be claimed before `not_before`."""
        assert message.id is not None
        self.store.defer(
            message.id, self._owner, self.clock.now(), not_before, error_code=code, detail=detail
        )
        self.result.deferred += 1
        self.result.defer_until(not_before)
        log.info(
            _("message %s to %s deferred until %s: %s"),
            message.id,
            mask(message.recipient),
            not_before.isoformat(timespec="seconds"),
            detail,
        )

    def release(self, messages: Iterable[Message], reason: str) -> None:
        """Give back messages claimed but not sent (`sending → planned`)."""
        ids = [m.id for m in messages if m.id is not None]
        if ids:
            self.store.release(ids, self._owner, self.clock.now(), reason)

    def reject_template(self, message: Message, exc: GatewayError) -> None:
        """The provider rejected the template of `message`'s push: fail it, fail what is still
        planned of that push's occurrence (not sent: `held_back`), and tell the operator."""
        self.fail(message, exc, "template rejected")
        push_day = (message.campaign, message.push, message.occurrence)
        if push_day in self.rejected:
            return
        detail = rejected_detail(push_day, exc)
        self.rejected[push_day] = detail
        held = self.store.settle_planned(
            Selection(*push_day), Status.failed, self.clock.now(), source="dispatch", detail=detail
        )
        self.result.held_back += held
        self.result.failed += held
        what = f"{push_day[0]}/{push_day[1]} {push_day[2]}: [{exc.code}] {exc.text}"
        self.result.templates_rejected.append(what)
        log.error(
            _(
                "%s: the %s gateway rejected the template; the rest of this push's occurrence "
                "is not sent (%d messages failed unsent). Fix the template, then `reminder "
                "retry --failed --campaign %s`"
            ),
            what,
            self.gateway.name,
            held,
            push_day[0],
        )

    def hold_back(self, message: Message) -> bool:
        """Fail unsent a claimed message of a push whose template was rejected; False when its
        push's template was not rejected."""
        detail = self.rejected.get((message.campaign, message.push, message.occurrence))
        if detail is None:
            return False
        assert message.id is not None
        self.store.transition(
            message.id, Status.failed, self.clock.now(), source="dispatch", detail=detail
        )
        self.result.held_back += 1
        self.result.failed += 1
        self.report(message, Status.failed)
        return True

    def found(self, message: Message) -> None:
        """A message reconciliation found the provider has."""
        self.result.sent += 1
        self.report(message, Status.sent)

    def report(self, message: Message, status: Status) -> None:
        """Tell `on_result`."""
        if self.on_result is not None:
            self.on_result(message, status)
