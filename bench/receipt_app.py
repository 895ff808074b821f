"""The receipt server under load, in its own process: `python -m bench.receipt_app --url DB
--port P --mode ours|baseline`.

`ours` is `reminder serve`'s server (`ReceiptServer`: a bare ASGI app on uvicorn with uvloop and
httptools, receipts written in batches off the event loop). `baseline` is the server it
replaced, kept here as the yardstick: a plain ASGI app on uvicorn's plain stack (asyncio, h11)
that handles each callback on the event loop with two synchronous transactions (find the message
by its provider id, then move it or note it), one request at a time.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from twilio.request_validator import RequestValidator

from reminder.clock import SystemClock
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.delivery.receipt_server import ReceiptServer
from reminder.status import Status
from reminder.store import Store, open_store

ACCOUNT = "AC" + "b" * 32
TOKEN = "bench-token"
PUBLIC = "https://sms.example.org"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def twilio() -> TwilioGateway:
    """The gateway whose callbacks the storm carries."""
    return TwilioGateway(
        TwilioSettings.model_validate(
            {"account_sid": ACCOUNT, "auth_token": TOKEN, "from_number": "+15005550006"}
        )
    )


class BaselineApp:
    """The replaced server's way: validate, then two synchronous transactions on the loop."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.validator = RequestValidator(TOKEN)
        self.gateway = twilio()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/healthz":
            await _answer(send, 200, b"ok")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        signature = headers.get("x-twilio-signature", "")
        if not self.validator.validate(PUBLIC + scope["path"], params, signature):
            await _answer(send, 403, b"forbidden")
            return
        self._apply(params["MessageSid"], params["MessageStatus"], datetime.now().astimezone())
        await _answer(send, 204, b"")

    def _apply(self, sid: str, word: str, now: datetime) -> None:
        message = self.store.by_provider_id(sid)
        if message is None or message.id is None:
            return
        status = self.gateway.status_of(word)
        detail = f"callback: {word}"
        if (
            status is not None
            and status is not Status(message.status)
            and self.store.transition(message.id, status, now, source="callback", detail=detail)
        ):
            return
        self.store.note(message.id, now, source="callback", detail=f"{detail} (no change)")


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["ours", "baseline"], required=True)
    parser.add_argument("--writers", type=int, default=1)
    args = parser.parse_args()
    store = open_store(args.url)
    app: Any
    if args.mode == "ours":
        server = ReceiptServer(
            store, SystemClock(), {"twilio": twilio()}, PUBLIC, writers=args.writers
        )
        app = server.app
    else:
        app = BaselineApp(store)
    # The old server ran on uvicorn's plain stack (asyncio's loop, h11): the package did not
    # depend on uvloop or httptools, which `reminder serve` now does.
    plain = args.mode == "baseline"
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="error",
        access_log=False,
        proxy_headers=not plain,
        lifespan="off" if plain else "on",
        loop="asyncio" if plain else "auto",
        http="h11" if plain else "auto",
    )


if __name__ == "__main__":
    main()
