"""`reminder serve` (status callbacks and inbound messages) and `reminder sync` (polling)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer
import uvicorn

from reminder.cli.app import command, state, stdout
from reminder.cli.loading import load_everything
from reminder.clock import Clock
from reminder.delivery.gateways.registry import build_gateway
from reminder.delivery.receipt_server import ReceiptApp
from reminder.delivery.receipts import SyncResult
from reminder.delivery.receipts import sync as poll
from reminder.errors import UsageError
from reminder.inputs.config import Config
from reminder.store import Store, open_store


def receipt_app(config: Config, store: Store, clock: Clock) -> ReceiptApp:
    """The ASGI app for this config (needs the twilio gateway's auth token and a public URL)."""
    public_url = config.settings.receipts.public_url
    if not public_url:
        raise UsageError(
            "set receipts.public_url in the config: Twilio signs its callbacks "
            "for the address it calls, e.g. https://sms.example.org"
        )
    gateway = build_gateway(config, "twilio")
    token = gateway.settings.auth_token.get_secret_value()  # type: ignore[attr-defined]
    return ReceiptApp(store, clock, token, public_url, config.settings.default_region)


@command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Listen address (default: config).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: config).")] = None,
) -> None:
    """Receive Twilio status callbacks and inbound messages (put it behind a reverse proxy)."""
    current = state(ctx)
    config = current.config()
    with open_store(config.database_url) as store:
        app = receipt_app(config, store, current.clock)
        settings = config.settings.receipts
        uvicorn.run(
            app,
            host=host or settings.host,
            port=port or settings.port,
            log_level="warning",
            access_log=False,
        )


@command("sync")
def sync(
    ctx: typer.Context,
    older_than: Annotated[
        int, typer.Option(min=0, help="Poll messages sent more than this many minutes ago.")
    ] = 30,
) -> None:
    """Ask the gateway for the status of messages sent but not yet final (no callbacks)."""
    current = state(ctx)
    loaded = load_everything(current)
    if not loaded.gateway.can_poll:
        raise UsageError(f"the {loaded.gateway.name} gateway cannot be polled")

    async def run(store: Store) -> SyncResult:
        try:
            return await poll(store, loaded.gateway, current.clock, timedelta(minutes=older_than))
        finally:
            await loaded.gateway.aclose()

    with open_store(loaded.config.database_url) as store:
        result = asyncio.run(run(store))
    stdout().print(
        f"checked {result.checked}, updated {result.moved}, errors {result.errors}", markup=False
    )
