"""The `console` gateway: prints each message with a masked number. Needs no account."""

from __future__ import annotations

import sys
from typing import ClassVar, TextIO

from reminder.delivery.gateways.base import Accepted, Gateway, GatewaySettings, OutgoingMessage
from reminder.i18n import ngettext
from reminder.phones import mask


class ConsoleSettings(GatewaySettings):
    """Settings of the console gateway."""

    show_body: bool = True


class ConsoleGateway(Gateway):
    """Writes one block per message to standard output; the quickstart's default."""

    name: ClassVar[str] = "console"
    Settings = ConsoleSettings

    def __init__(
        self, settings: GatewaySettings, *, stream: TextIO | None = None, **kwargs: object
    ) -> None:
        super().__init__(settings, **kwargs)  # type: ignore[arg-type]
        self._stream = stream
        self._count = 0

    async def send(self, message: OutgoingMessage) -> Accepted:
        stream = self._stream or sys.stdout
        self._count += 1
        settings = self.settings
        assert isinstance(settings, ConsoleSettings)
        header = ngettext(
            "[console #{id}] to {to} ({contact}, {count} segment)",
            "[console #{id}] to {to} ({contact}, {count} segments)",
            message.segments,
        ).format(
            id=message.message_id,
            to=mask(message.to),
            contact=message.contact_id,
            count=message.segments,
        )
        stream.write(header + "\n")
        if settings.show_body:
            stream.write("    " + message.body.replace("\n", "\n    ") + "\n")
        stream.flush()
        return Accepted(provider_id=f"console-{message.message_id}", status="sent")
