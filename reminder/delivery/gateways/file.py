"""The `file` gateway: appends one JSON line per message. The audit trail and the test double.

This file is the one place where full numbers are written on purpose: it stands in for the
provider. Keep it where the provider's own records would be kept.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from reminder.delivery.gateways.base import Accepted, Gateway, GatewaySettings, OutgoingMessage
from reminder.errors import PermanentGatewayError


class FileSettings(GatewaySettings):
    """Settings of the file gateway."""

    path: str = "outbox.jsonl"


class FileGateway(Gateway):
    """Appends `{message_id, campaign, push, occurrence, contact_id, to, body, segments, …}`."""

    name: ClassVar[str] = "file"
    Settings = FileSettings
    can_lookup: ClassVar[bool] = True
    uses_template_variables: ClassVar[bool] = True  # the audit trail records everything

    @property
    def path(self) -> Path:
        """The file the messages are appended to (relative paths: to the config file)."""
        settings = self.settings
        assert isinstance(settings, FileSettings)
        return (self.base_dir / settings.path).resolve()

    async def send(self, message: OutgoingMessage) -> Accepted:
        record = {
            "message_id": message.message_id,
            "campaign": message.campaign,
            "push": message.push,
            "occurrence": message.occurrence.isoformat(),
            "contact_id": message.contact_id,
            "to": message.to,
            "body": message.body,
            "segments": message.segments,
            "template": message.template,
            "variables": message.variables,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise PermanentGatewayError(
                f"cannot write {self.path.name}: {exc.strerror}", code="file-io"
            ) from None
        return Accepted(provider_id=f"file-{message.message_id}", status="sent")

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        """The file is the provider's record: a line with this message id means it was sent."""
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash was never completely written
                if record.get("message_id") == message.message_id:
                    return Accepted(provider_id=f"file-{message.message_id}", status="sent")
        return None
