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
from reminder.delivery.gateways.registry import callback_gateways
from reminder.delivery.receipt_server import ReceiptServer
from reminder.delivery.receipts import SyncResult
from reminder.delivery.receipts import sync as poll
from reminder.errors import UsageError
from reminder.i18n import N_, _
from reminder.inputs.config import Config
from reminder.store import Store, open_store

#: Receipt batches written at once on a server database (SQLite has one write lock: one).
SERVER_DATABASE_WRITERS = 4


def receipt_server(config: Config, store: Store, clock: Clock) -> ReceiptServer:
    """The receipt server for this config: every configured gateway that receives callbacks."""
    gateways = callback_gateways(config)
    if not gateways:
        raise UsageError(
            _(
                "no configured gateway sends receipts or replies to a server "
                "(gateway: {gateway}); nothing to serve"
            ).format(gateway=config.settings.gateway)
        )
    public_url = config.settings.receipts.public_url
    if not public_url:
        raise UsageError(
            _(
                "set receipts.public_url in the config: providers sign their "
                "callbacks for the address they call, e.g. "
                "https://sms.example.org"
            )
        )
    writers = 1 if config.database_url.startswith("sqlite") else SERVER_DATABASE_WRITERS
    return ReceiptServer(
        store,
        clock,
        gateways,
        public_url,
        region=config.settings.default_region,
        writers=writers,
    )


@command(
    "serve",
    help=N_("Receive delivery receipts and replies from the providers (behind a reverse proxy)."),
)
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help=N_("Listen address (default: config)."))] = None,
    port: Annotated[int | None, typer.Option(help=N_("Port (default: config)."))] = None,
) -> None:
    """The command `serve`: its help, shown translated, is given where it is registered."""
    current = state(ctx)
    config = current.config()
    with open_store(config.database_url) as store:
        server = receipt_server(config, store, current.clock)
        settings = config.settings.receipts
        uvicorn.run(
            server.app,
            host=host or settings.host,
            port=port or settings.port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # providers sign public_url, not what a proxy forwards
        )


@command(
    "sync",
    help=N_("Ask the gateway for the status of messages sent but not yet final (no callbacks)."),
)
def sync(
    ctx: typer.Context,
    older_than: Annotated[
        int, typer.Option(min=0, help=N_("Poll messages sent more than this many minutes ago."))
    ] = 30,
) -> None:
    """The command `sync`: its help, shown translated, is given where it is registered."""
    current = state(ctx)
    loaded = load_everything(current)
    if not loaded.gateway.can_poll:
        raise UsageError(_("the {name} gateway cannot be polled").format(name=loaded.gateway.name))

    async def run(store: Store) -> SyncResult:
        try:
            return await poll(store, loaded.gateway, current.clock, timedelta(minutes=older_than))
        finally:
            await loaded.gateway.aclose()

    with open_store(loaded.config.database_url) as store:
        result = asyncio.run(run(store))
    stdout().print(
        _("checked {checked}, updated {moved}, errors {errors}").format(
            checked=result.checked, moved=result.moved, errors=result.errors
        ),
        markup=False,
    )
