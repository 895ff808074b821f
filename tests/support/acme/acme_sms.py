"""A gateway written as a third party would: this one file plus one entry point
(`acme_sms-1.0.dist-info/entry_points.txt`), and nothing in `reminder` changed.

"Acme SMS" is an imagined provider shaped like the Chinese cloud platforms: JSON receipts in
arrays, an HMAC-SHA256 signature over the body, its own status words, a per-number daily limit
code and an opted-out code. It keeps what it accepted in memory (its "peer"), so the contract
suite can read it back, poll it and look messages up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import SecretStr

from reminder.delivery.gateways.base import (
    Accepted,
    CallbackAnswer,
    CallbackKind,
    CallbackRequest,
    Gateway,
    GatewaySettings,
    Inbound,
    OutgoingMessage,
    Receipt,
)
from reminder.errors import GatewayError
from reminder.status import Status


class AcmeSettings(GatewaySettings):
    """The account's signing secret (from the environment) and sender name."""

    secret: SecretStr
    sign_name: str = "测试"


class AcmeGateway(Gateway):
    """Acme SMS: accepts into `outbox`, reports `DELIVRD` when polled."""

    name: ClassVar[str] = "acme"
    real: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True
    can_poll: ClassVar[bool] = True
    confirms_delivery: ClassVar[bool] = True
    receives_callbacks: ClassVar[bool] = True
    Settings = AcmeSettings
    secret_fields: ClassVar[frozenset[str]] = frozenset({"secret"})
    default_delivery: ClassVar[dict[str, Any]] = {"messages_per_second": 50.0}
    opted_out_codes: ClassVar[frozenset[str]] = frozenset({"ACME.UNSUBSCRIBED"})
    status_words: ClassVar[dict[str, Status]] = {
        "accepted": Status.sent,
        "delivrd": Status.delivered,
        "undeliv": Status.undelivered,
        "rejectd": Status.failed,
    }

    def __init__(self, settings: GatewaySettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self.outbox: dict[str, OutgoingMessage] = {}
        self.failures: list[GatewayError] = []

    def _secret(self) -> bytes:
        assert isinstance(self.settings, AcmeSettings)
        return self.settings.secret.get_secret_value().encode()

    def sign(self, body: bytes) -> str:
        """The signature Acme puts in `X-Acme-Signature`."""
        return hmac.new(self._secret(), body, hashlib.sha256).hexdigest()

    async def send(self, message: OutgoingMessage) -> Accepted:
        if self.failures:
            raise self.failures.pop(0)
        provider_id = f"acme-{len(self.outbox) + 1}"
        self.outbox[provider_id] = message
        return Accepted(provider_id, "ACCEPTED")

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        for provider_id, sent in self.outbox.items():
            if sent.to == message.to and sent.body == message.body:
                return Accepted(provider_id, "ACCEPTED")
        return None

    async def fetch_status(self, provider_id: str) -> Receipt | None:
        return Receipt(provider_id, "DELIVRD") if provider_id in self.outbox else None

    def verify_callback(self, request: CallbackRequest) -> bool:
        signature = request.headers.get("x-acme-signature", "")
        return hmac.compare_digest(signature, self.sign(request.body))

    def parse_receipts(self, request: CallbackRequest) -> list[Receipt]:
        try:
            items = json.loads(request.body)
            return [Receipt(i["msg_id"], i["state"], i.get("err") or None) for i in items]
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"not an Acme receipt array: {type(exc).__name__}") from None

    def parse_inbound(self, request: CallbackRequest) -> list[Inbound]:
        try:
            items = json.loads(request.body)
            return [Inbound(i["mobile"], i["content"]) for i in items]
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"not an Acme reply array: {type(exc).__name__}") from None

    def callback_answer(self, kind: CallbackKind) -> CallbackAnswer:
        return CallbackAnswer(200, b'{"code":0,"msg":"ok"}', "application/json")
