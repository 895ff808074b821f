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
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import cached_property

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from reminder.clock import Clock
from reminder.delivery.gateways.base import CallbackKind, CallbackRequest, Gateway
from reminder.delivery.inbound import take_inbound
from reminder.delivery.receipt_writer import ReceiptWriter
from reminder.delivery.receipts import updates_of
from reminder.i18n import _
from reminder.store import Store

log = logging.getLogger(__name__)

#: A callback larger than this is refused (413): providers send a few hundred bytes.
MAX_BODY = 64 * 1024


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

    @cached_property
    def app(self) -> Starlette:
        """The ASGI application."""
        return Starlette(
            routes=[
                Route("/healthz", _healthz, methods=["GET"]),
                Route("/receipts/{gateway}", self._receipts, methods=["POST"]),
                Route("/inbound/{gateway}", self._inbound, methods=["POST"]),
                Route("/twilio/status", self._twilio_status, methods=["POST"]),
                Route("/twilio/inbound", self._twilio_inbound, methods=["POST"]),
            ],
            lifespan=self._lifespan,
        )

    @asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        await self.writer.start()
        try:
            yield
        finally:
            await self.writer.stop()

    async def _receipts(self, request: Request) -> Response:
        return await self._callback(request, request.path_params["gateway"], "receipts")

    async def _inbound(self, request: Request) -> Response:
        return await self._callback(request, request.path_params["gateway"], "inbound")

    async def _twilio_status(self, request: Request) -> Response:
        return await self._callback(request, "twilio", "receipts")

    async def _twilio_inbound(self, request: Request) -> Response:
        return await self._callback(request, "twilio", "inbound")

    async def _callback(self, request: Request, name: str, kind: CallbackKind) -> Response:
        gateway = self.gateways.get(name)
        if gateway is None:
            return PlainTextResponse("not found", 404)
        body = await _body(request)
        if body is None:
            return PlainTextResponse("too large", 413)
        callback = self._callback_request(request, body)
        if not gateway.verify_callback(callback):
            log.warning(_("rejected an unsigned or forged request to %s"), request.url.path)
            return PlainTextResponse("forbidden", 403)
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
            log.warning(_("rejected a malformed request to %s: %s"), request.url.path, exc)
            return PlainTextResponse("bad request", 400)
        except Exception as exc:  # the database: the provider should try again later
            log.warning(_("cannot take a callback to %s: %s"), request.url.path, type(exc).__name__)
            return PlainTextResponse("try again", 503)
        answer = gateway.callback_answer(kind)
        return Response(answer.body, answer.status, media_type=answer.content_type)

    def _callback_request(self, request: Request, body: bytes) -> CallbackRequest:
        url = self.public_url + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        headers = {key.lower(): value for key, value in request.headers.items()}
        return CallbackRequest(request.method, url, headers, body)


async def _healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


async def _body(request: Request) -> bytes | None:
    """The request's body, or None past `MAX_BODY` (read no further)."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return b""
    return b"".join(chunks)
