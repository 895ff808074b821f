"""`reminder serve`: an ASGI app that receives Twilio status callbacks and inbound messages.

Every request must carry a valid `X-Twilio-Signature` computed over the configured public URL;
an unsigned or forged request gets 403 and changes nothing. Status callbacks move messages
forward only (see `reminder.delivery.receipts`); an inbound STOP-family keyword or 退订 adds
the sender to the suppression list.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from reminder.clock import Clock
from reminder.delivery.gateways.base import Receipt
from reminder.delivery.receipts import apply_receipt
from reminder.errors import MissingExtraError
from reminder.phones import mask, normalise
from reminder.store import Store

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

STATUS_PATH = "/twilio/status"
INBOUND_PATH = "/twilio/inbound"
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TD", "退订", "退订短信"}
)
MAX_BODY = 64 * 1024


class ReceiptApp:
    """The ASGI application; `public_url` is the address Twilio is configured to call."""

    def __init__(
        self, store: Store, clock: Clock, auth_token: str, public_url: str, region: str = "CN"
    ) -> None:
        try:
            from twilio.request_validator import RequestValidator
        except ImportError:
            raise MissingExtraError(
                "receiving Twilio callbacks needs the twilio package: "
                "pip install 'reminder[twilio]'"
            ) from None
        self.store = store
        self.clock = clock
        self.validator = RequestValidator(auth_token)
        self.public_url = public_url.rstrip("/")
        self.region = region

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if scope["method"] == "GET" and path == "/healthz":
            await _respond(send, 200, b"ok", "text/plain")
            return
        if scope["method"] != "POST" or path not in (STATUS_PATH, INBOUND_PATH):
            await _respond(send, 404, b"not found", "text/plain")
            return
        body = await _read_body(receive)
        if body is None:
            await _respond(send, 413, b"too large", "text/plain")
            return
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not self._signed(scope, params):
            log.warning("rejected an unsigned or forged request to %s", path)
            await _respond(send, 403, b"forbidden", "text/plain")
            return
        if path == STATUS_PATH:
            self._status(params)
            await _respond(send, 204, b"", "text/plain")
        else:
            self._inbound(params)
            await _respond(send, 200, b"<Response/>", "text/xml")

    def _signed(self, scope: Scope, params: dict[str, str]) -> bool:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        signature = headers.get("x-twilio-signature")
        if not signature:
            return False
        url = self.public_url + scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        if query:
            url += "?" + query
        return bool(self.validator.validate(url, params, signature))

    def _status(self, params: dict[str, str]) -> None:
        sid = params.get("MessageSid") or params.get("SmsSid")
        status = params.get("MessageStatus") or params.get("SmsStatus")
        if not sid or not status:
            return
        receipt = Receipt(
            sid, status, params.get("ErrorCode") or None, params.get("ErrorMessage") or None
        )
        apply_receipt(self.store, receipt, self.clock.now(), "callback")

    def _inbound(self, params: dict[str, str]) -> None:
        sender, text = params.get("From", ""), params.get("Body", "")
        if text.strip().upper() not in OPT_OUT_WORDS:
            return
        try:
            number = normalise(sender, self.region)
        except ValueError:
            return
        if self.store.suppress(
            number, f"opted out by reply {text.strip()!r}", "inbound", self.clock.now()
        ):
            log.info("%s opted out", mask(number))


async def _read_body(receive: Receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
