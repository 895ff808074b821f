"""`reminder run`: the scheduling daemon."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Annotated

import typer
import uvicorn

from reminder.cli.app import command, state
from reminder.cli.serve import receipt_server
from reminder.clock import Clock, ScaledClock
from reminder.core.app import App
from reminder.daemon.scheduler import Daemon
from reminder.errors import UsageError
from reminder.i18n import N_, _
from reminder.inputs.config import Config
from reminder.logsetup import configure_logging, engine_time
from reminder.store import Store
from reminder.store.leader import leadership_for
from reminder.web.routes import create_app


@command(
    "run",
    help=N_(
        "Run every push of every campaign on time until stopped (SIGTERM/SIGINT; SIGHUP reloads)."
    ),
)
def run(
    ctx: typer.Context,
    clock_start: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "Simulate: start the clock at this time (ISO 8601 with "
                "offset, e.g. 2027-01-30T08:00+08:00). Use with the file or "
                "console gateway."
            )
        ),
    ] = None,
    clock_speed: Annotated[
        float, typer.Option(min=0.001, help=N_("Simulate: how many times faster than real time."))
    ] = 1.0,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve", help=N_("Also receive receipts and replies (as `reminder serve`).")
        ),
    ] = False,
    web: Annotated[
        bool,
        typer.Option(
            "--web",
            help=N_("Also serve the web console (as `reminder web`, on web.host:web.port)."),
        ),
    ] = False,
) -> None:
    """The command `run`: its help, shown translated, is given where it is registered."""
    current = state(ctx)
    if not current.debug and logging.getLogger().level > logging.INFO:
        configure_logging(logging.INFO)
    with current.app(_simulated(current.clock, clock_start, clock_speed)) as app:
        app.load()
        leadership = leadership_for(app.config.database_url)
        try:
            daemon = Daemon(app, leadership)
            daemon.install_signal_handlers()
            server = _receipt_server(app.config, app.store, app.clock) if serve else None
            console = web_console(app) if web else None
            zones = {app.project.timezone(f.campaign) for f in app.project.campaigns.values()}
            zone = zones.pop() if len(zones) == 1 else app.config.settings.timezone
            try:
                with engine_time(app.clock, zone):
                    code = daemon.run()
            finally:
                if server is not None:
                    server.should_exit = True
                if console is not None:
                    console.should_exit = True
        finally:
            leadership.close()
    raise typer.Exit(code)


def _simulated(clock: Clock, start_text: str | None, speed: float) -> Clock:
    """The clock the daemon runs on: `clock`, or a simulation from `--clock-start` on."""
    if start_text is None:
        return clock
    try:
        start = datetime.fromisoformat(start_text)
    except ValueError:
        raise UsageError(
            _("--clock-start: {start_text!r} is not an ISO 8601 time").format(start_text=start_text)
        ) from None
    if start.tzinfo is None:
        raise UsageError(_("--clock-start needs a UTC offset, e.g. 2027-01-30T08:00+08:00"))
    return ScaledClock(start, speed, real=clock)


def _receipt_server(config: Config, store: Store, clock: Clock) -> uvicorn.Server:
    """Start the receipt app in a thread beside the scheduler; the caller stops it."""
    settings = config.settings.receipts
    server = uvicorn.Server(
        uvicorn.Config(
            receipt_server(config, store, clock).app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # providers sign public_url, not what a proxy forwards
        )
    )
    threading.Thread(target=server.run, name="receipts", daemon=True).start()
    return server


def web_console(app: App) -> uvicorn.Server:
    """Start the web console in a thread beside the scheduler, on web.host:web.port; the caller
    stops it. It has its own application core on the daemon's config, clock and store (its own
    gateways: a resume from the console dispatches as `reminder resume` would, without closing
    the connections of the daemon's loop)."""
    core = App(app.config, app.clock, store=app.store)
    core.load()
    settings = app.config.settings.web
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(core, secure_cookies=settings.secure_cookies),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            proxy_headers=True,
        )
    )
    threading.Thread(target=server.run, name="web", daemon=True).start()
    logging.getLogger(__name__).info(
        _("web console on http://%s:%s/"), settings.host, settings.port
    )
    return server
