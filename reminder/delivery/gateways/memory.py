"""The `memory` gateway: keeps every message in a list. For users' own tests.

Failures can be scripted: `gateway.fail_next(TransientGatewayError("busy", code="20429"))` makes
the next requests raise, in order (a batch request as a whole); `gateway.fail_number(number,
error, ...)` makes that number's next attempts fail, one error each, alone or inside a batch
(the other messages of the batch go through). A `PermanentGatewayError` with code `opted-out`
acts as a provider's "recipient unsubscribed".

`MemoryGateway(max_batch=100)` takes up to 100 messages a request (`send_batch`), like a
provider's batch API; `batches` records each request's messages. `name=` and
`per_number_limits=` stand in for another provider's (failover, per-number limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from reminder.delivery.gateways.base import Accepted, Gateway, GatewaySettings, OutgoingMessage
from reminder.errors import GatewayError


class MemoryGateway(Gateway):
    """Records what it was asked to send in `sent`; raises scripted errors first, if any."""

    name: ClassVar[str] = "memory"
    can_lookup: ClassVar[bool] = True
    uses_template_variables: ClassVar[bool] = True  # users' tests can assert on them
    opted_out_codes: ClassVar[frozenset[str]] = frozenset({"opted-out"})

    def __init__(
        self,
        settings: GatewaySettings | None = None,
        *,
        name: str | None = None,
        max_batch: int = 1,
        per_number_limits: tuple[tuple[int, float], ...] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(settings or GatewaySettings(), **kwargs)
        if max_batch < 1:
            raise ValueError("max_batch is at least 1")
        # Instance attributes shadow the class's provider facts: a test picks its own (a
        # second name stands for a second provider in failover tests).
        if name is not None:
            self.name = name  # type: ignore[misc]
        self.max_batch = max_batch  # type: ignore[misc]
        if per_number_limits is not None:
            self.per_number_limits = per_number_limits  # type: ignore[misc]
        self.sent: list[OutgoingMessage] = []
        self.attempts: list[OutgoingMessage] = []
        self.batches: list[list[OutgoingMessage]] = []
        self._failures: list[GatewayError] = []
        self._by_number: dict[str, list[GatewayError]] = {}

    def fail_next(self, *errors: GatewayError) -> None:
        """Make the next requests raise these errors, in order."""
        self._failures.extend(errors)

    def fail_number(self, number: str, *errors: GatewayError) -> None:
        """Make the next attempts to `number` (E.164) fail with these errors, in order."""
        self._by_number.setdefault(number, []).extend(errors)

    async def send(self, message: OutgoingMessage) -> Accepted:
        self.batches.append([message])
        if self._failures:
            self.attempts.append(message)
            raise self._failures.pop(0)
        outcome = self._one(message)
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome

    async def send_batch(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[Accepted | GatewayError]:
        """One request for up to `max_batch` messages: a scripted request failure is raised,
        each number's scripted failure is its message's outcome."""
        if len(messages) > self.max_batch:
            raise ValueError(f"a batch of {len(messages)} is over max_batch {self.max_batch}")
        self.batches.append(list(messages))
        if self._failures:
            self.attempts.extend(messages)
            raise self._failures.pop(0)
        return [self._one(message) for message in messages]

    def _one(self, message: OutgoingMessage) -> Accepted | GatewayError:
        self.attempts.append(message)
        scripted = self._by_number.get(message.to)
        if scripted:
            return scripted.pop(0)
        self.sent.append(message)
        return Accepted(provider_id=f"memory-{len(self.sent)}", status="sent")

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        """Whether this gateway sent a message with the same id."""
        for index, sent in enumerate(self.sent, start=1):
            if sent.message_id == message.message_id:
                return Accepted(provider_id=f"memory-{index}", status="sent")
        return None
