"""Dispatch: send the planned messages of one occurrence through a gateway, recording each outcome.

Each message is claimed (`planned → sending`) with a conditional update before the request, so
two dispatchers never send the same message. Transient errors are retried a bounded number of
times; permanent errors fail the message at once with the provider's code and text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from reminder.clock import Clock
from reminder.errors import GatewayError
from reminder.gateways.base import Gateway, OutgoingMessage
from reminder.phones import mask
from reminder.status import Status
from reminder.store import Message, Store

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


@dataclass
class DispatchResult:
    """Counts of one dispatch run."""

    sent: int = 0
    failed: int = 0
    stopped: bool = False


def outgoing(message: Message) -> OutgoingMessage:
    """The gateway's view of a stored message."""
    assert message.id is not None
    return OutgoingMessage(
        message_id=message.id,
        campaign=message.campaign,
        push=message.push,
        occurrence=message.occurrence,
        contact_id=message.contact_id,
        to=message.recipient,
        body=message.body,
        segments=message.segments,
        template=message.template,
        variables=dict(message.variables),
    )


async def dispatch_occurrence(
    store: Store,
    gateway: Gateway,
    clock: Clock,
    *,
    campaign: str,
    push: str,
    occurrence: date,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_result: Callable[[Message, Status], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> DispatchResult:
    """Send every planned message of one occurrence; returns how many were sent and failed.

    `should_stop` is asked before each message: once it says yes, the message in flight is
    finished and the rest stay `planned` for the next run.
    """
    result = DispatchResult()
    for message_id in store.planned_ids(campaign, push, occurrence):
        if should_stop():
            result.stopped = True
            break
        message = store.claim(message_id, gateway.name, clock.now())
        if message is None:
            continue  # another dispatcher took it
        status = await _send_one(store, gateway, clock, message, max_attempts)
        if status is Status.sent:
            result.sent += 1
        else:
            result.failed += 1
        if on_result is not None:
            on_result(message, status)
    return result


async def _send_one(
    store: Store, gateway: Gateway, clock: Clock, message: Message, max_attempts: int
) -> Status:
    assert message.id is not None
    request = outgoing(message)
    for attempt in range(1, max_attempts + 1):
        try:
            accepted = await gateway.send(request)
        except GatewayError as exc:
            if exc.transient and attempt < max_attempts:
                store.record_attempt(
                    message.id, clock.now(), error_code=exc.code, error_text=exc.text
                )
                log.info(
                    "message %s to %s: retryable error %s, attempt %d of %d",
                    message.id,
                    mask(message.recipient),
                    exc.code,
                    attempt,
                    max_attempts,
                )
                continue
            kind = "transient, out of attempts" if exc.transient else "permanent"
            store.transition(
                message.id,
                Status.failed,
                clock.now(),
                source="gateway",
                error_code=exc.code,
                detail=f"{exc.text} ({kind})",
                count_attempt=True,
            )
            log.warning(
                "message %s to %s failed: %s %s",
                message.id,
                mask(message.recipient),
                exc.code,
                exc.text,
            )
            return Status.failed
        now = clock.now()
        store.transition(
            message.id,
            Status.sent,
            now,
            source="gateway",
            count_attempt=True,
            fields={
                "provider_id": accepted.provider_id,
                "sent_at": now,
                "error_code": None,
                "error_text": None,
            },
            detail=f"accepted ({accepted.status})" if accepted.status else "accepted",
        )
        return Status.sent
    raise AssertionError("unreachable: the last attempt always returns")
