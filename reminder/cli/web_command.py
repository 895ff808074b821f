"""`reminder web`: the web console (`reminder.web`)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from reminder.cli.app import command, state, stdout
from reminder.i18n import N_, _
from reminder.web.routes import create_app


@command(
    "web",
    help=N_(
        "Serve the web console (127.0.0.1 by default; put it behind a reverse proxy with TLS)."
    ),
)
def web(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help=N_("Address to listen on (default: the config's web.host)."))
    ] = None,
    port: Annotated[
        int | None, typer.Option(help=N_("Port to listen on (default: the config's web.port)."))
    ] = None,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            "--insecure-cookies",
            help=N_("Session cookies without the Secure flag: only for plain HTTP on 127.0.0.1."),
        ),
    ] = False,
) -> None:
    """Serve the web console (127.0.0.1 by default; put it behind a reverse proxy with TLS)."""
    with state(ctx).app() as app:
        app.load()
        settings = app.config.settings.web
        host = host or settings.host
        port = port or settings.port
        secure = settings.secure_cookies and not insecure_cookies
        console = create_app(app, secure_cookies=secure)
        stdout().print(
            _("web console on http://{host}:{port}/").format(host=host, port=port), markup=False
        )
        uvicorn.run(
            console, host=host, port=port, log_level="warning", access_log=False, proxy_headers=True
        )
