"""The `memory` gateway: keeps every message in a list. For users' own tests.

Failures can be scripted: `gateway.fail_next(TransientGatewayError("busy", code="20429"))`; a
`PermanentGatewayError` with code `opted-out` acts as a provider's "recipient unsubscribed".
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from reminder.delivery.gateways.base import Accepted, Gateway, GatewaySettings, OutgoingMessage
from reminder.errors import GatewayError


class MemoryGateway(Gateway):
    """Records what it was asked to send in `sent`; raises scripted errors first, if any."""

    name: ClassVar[str] = "memory"
    can_lookup: ClassVar[bool] = True
    uses_template_variables: ClassVar[bool] = True  # users' tests can assert on them
    opted_out_codes: ClassVar[frozenset[str]] = frozenset({"opted-out"})

    def __init__(self, settings: GatewaySettings | None = None, **kwargs: object) -> None:
        super().__init__(settings or GatewaySettings(), **kwargs)  # type: ignore[arg-type]
        self.sent: list[OutgoingMessage] = []
        self.attempts: list[OutgoingMessage] = []
        self._failures: list[GatewayError] = []

    def fail_next(self, *errors: GatewayError) -> None:
        """Make the next sends raise these errors, in order."""
        self._failures.extend(errors)

    async def send(self, message: OutgoingMessage) -> Accepted:
        self.attempts.append(message)
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(message)
        return Accepted(provider_id=f"memory-{len(self.sent)}", status="sent")

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        """Whether this gateway sent a message with the same id."""
        for index, sent in enumerate(self.sent, start=1):
            if sent.message_id == message.message_id:
                return Accepted(provider_id=f"memory-{index}", status="sent")
        return None
