"""The receipt server: providers' delivery receipts and the messages people send, for every
gateway that receives callbacks.

Routes: `POST /receipts/{gateway}` and `POST /inbound/{gateway}` go to the gateway named in the
path (`/twilio/status` and `/twilio/inbound` stay as aliases of Twilio's, so no deployed
callback URL breaks), `GET /healthz` answers without touching the database. The gateway
verifies each request (its provider's signature over `public_url` + the path called) and parses
it; an unsigned or forged request gets 403 and changes nothing, a malformed one 400. Receipts
move messages forward only (`reminder.delivery.receipts`), written in batches off the event loop
(`reminder.delivery.receipt_writer`); a request is answered once its receipts are durable, 503
when the database could not take them. A reply is recorded and matched to the question it
answers; an opt-out suppresses the sender (`reminder.delivery.inbound`).

The app is a bare ASGI callable, not a framework's: five fixed routes need no router, and a
receipt storm is answered at the rate the CPU allows only without a middleware stack on every
request (bench/README.md, "Receipt storm").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from reminder.clock import Clock
from reminder.delivery.gateways.base import CallbackKind, CallbackRequest, Gateway
from reminder.delivery.inbound import take_inbound
from reminder.delivery.receipt_writer import ReceiptWriter
from reminder.delivery.receipts import updates_of
from reminder.i18n import _
from reminder.store import Store

log = logging.getLogger(__name__)

_PLAIN = "text/plain; charset=utf-8"

#: A callback larger than this is refused (413): providers send a few hundred bytes.
MAX_BODY = 64 * 1024

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: Fixed paths → (gateway, kind); `/receipts/<name>` and `/inbound/<name>` are matched by prefix.
ALIASES: dict[str, tuple[str, CallbackKind]] = {
    "/twilio/status": ("twilio", "receipts"),
    "/twilio/inbound": ("twilio", "inbound"),
}
PREFIXES: tuple[tuple[str, CallbackKind], ...] = (
    ("/receipts/", "receipts"),
    ("/inbound/", "inbound"),
)


class ReceiptServer:
    """The server's state and its ASGI app (`.app`); `gateways` are those that may call it, by
    name, and `public_url` is the address providers are configured to call."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        gateways: Mapping[str, Gateway],
        public_url: str,
        *,
        region: str = "CN",
        writers: int = 1,
    ) -> None:
        self.store = store
        self.clock = clock
        self.gateways = {name: g for name, g in gateways.items() if g.receives_callbacks}
        self.public_url = public_url.rstrip("/")
        self.region = region
        self.writer = ReceiptWriter(store, clock, writers=writers)

    @property
    def app(self) -> ReceiptServer:
        """The ASGI application: the server itself."""
        return self

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI connection (`lifespan` starts and stops the writer)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            status, body, content_type = await self._route(scope, receive)
            await _answer(send, status, body, content_type)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.writer.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.writer.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: Scope, receive: Receive) -> tuple[int, bytes, str]:
        path: str = scope["path"]
        method: str = scope["method"]
        if path == "/healthz":
            return (200, b"ok", _PLAIN) if method in ("GET", "HEAD") else _NOT_ALLOWED
        target = _target(path)
        if target is None:
            return 404, b"not found", _PLAIN
        if method != "POST":
            return _NOT_ALLOWED
        return await self._callback(scope, receive, *target)

    async def _callback(
        self, scope: Scope, receive: Receive, name: str, kind: CallbackKind
    ) -> tuple[int, bytes, str]:
        gateway = self.gateways.get(name)
        if gateway is None:
            return 404, b"not found", _PLAIN
        body = await _body(receive)
        if body is None:
            return 413, b"too large", _PLAIN
        callback = self._callback_request(scope, body)
        if not gateway.verify_callback(callback):
            log.warning(_("rejected an unsigned or forged request to %s"), scope["path"])
            return 403, b"forbidden", _PLAIN
        try:
            if kind == "receipts":
                receipts = gateway.parse_receipts(callback)
                await self.writer.apply(updates_of(gateway, receipts, "callback"))
            else:
                messages = gateway.parse_inbound(callback)
                await self.writer.call(
                    take_inbound,
                    self.store,
                    messages,
                    self.region,
                    self.clock.now(),
                    gateway.name,
                )
        except ValueError as exc:
            log.warning(_("rejected a malformed request to %s: %s"), scope["path"], exc)
            return 400, b"bad request", _PLAIN
        except Exception as exc:  # the database: the provider should try again later
            log.warning(_("cannot take a callback to %s: %s"), scope["path"], type(exc).__name__)
            return 503, b"try again", _PLAIN
        answer = gateway.callback_answer(kind)
        return answer.status, answer.body, answer.content_type

    def _callback_request(self, scope: Scope, body: bytes) -> CallbackRequest:
        url = self.public_url + scope["path"]
        query: bytes = scope.get("query_string", b"")
        if query:
            url += "?" + query.decode("latin-1")
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope["headers"]
        }
        return CallbackRequest(scope["method"], url, headers, body)


_NOT_ALLOWED = (405, b"method not allowed", _PLAIN)


def _target(path: str) -> tuple[str, CallbackKind] | None:
    """The gateway and kind a path names, or None."""
    if path in ALIASES:
        return ALIASES[path]
    for prefix, kind in PREFIXES:
        if path.startswith(prefix):
            name = path[len(prefix) :]
            return (name, kind) if name and "/" not in name else None
    return None


async def _body(receive: Receive) -> bytes | None:
    """The request's body, or None past `MAX_BODY` (read no further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [] if status in (204, 304) else [(b"content-length", str(len(body)).encode())]
    if body:
        headers.append((b"content-type", content_type.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
