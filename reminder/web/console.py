"""The console's machinery: the Starlette app, the one guard every route passes (session,
role, CSRF), and rendering. What each page does is in `pages`; which role each route needs is
in `routes.ROUTES`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from reminder.core.app import App
from reminder.core.people import allows
from reminder.errors import ReminderError
from reminder.i18n import _, current_language, ngettext, use_language
from reminder.phones import mask
from reminder.store import User
from reminder.web.security import (
    COOKIE,
    CSP,
    HEADERS,
    Session,
    Sessions,
    Throttle,
    same_token,
)

HERE = Path(__file__).parent


@dataclass
class Console:
    """What every request shares: the application core, the sessions, the throttle and the
    templates."""

    app: App
    secure_cookies: bool = True
    sessions: Sessions = field(init=False)
    throttle: Throttle = field(init=False)
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        minutes = self.app.config.settings.approval.session_minutes
        self.sessions = Sessions(self.app.store, self.app.clock, timedelta(minutes=minutes))
        self.throttle = Throttle(self.app.clock)
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(_=_, ngettext=ngettext, mask=mask, lang=current_language)


@dataclass
class Ctx:
    """One request as a page handler sees it."""

    console: Console
    request: Request
    session: Session | None
    user: User | None
    form: dict[str, str] = field(default_factory=dict)

    @property
    def app(self) -> App:
        """The application core."""
        return self.console.app

    @property
    def actor(self) -> str:
        """Who acts (a page behind the guard always has a user)."""
        assert self.user is not None
        return self.user.name

    def param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A page from its template, with the user and the CSRF token."""
        page = self.console.env.get_template(template).render(
            user=self.user,
            csrf=self.session.csrf if self.session else "",
            request=self.request,
            **values,
        )
        return HTMLResponse(page, status_code=status)


Handler = Callable[[Ctx], Response]


def finish(console: Console, response: Response, session: Session | None = None) -> Response:
    """Add the security headers, and the session cookie when one was started."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP)
    if session is not None:
        response.set_cookie(
            COOKIE,
            session.token,
            httponly=True,
            secure=console.secure_cookies,
            samesite="strict",
            path="/",
        )
    return response


def refused(ctx: Ctx, status: int, message: str) -> Response:
    """A page saying why the request was refused."""
    return ctx.render("refused.html", status=status, message=message)


def guarded(console: Console, handler: Handler, role: str | None) -> Callable[..., Any]:
    """The endpoint of a route: session (unless `role` is None: a public page), role and, for
    a POST, the CSRF token; then the handler, off the event loop (the core blocks)."""

    async def endpoint(request: Request) -> Response:
        session = console.sessions.get(request.cookies.get(COOKIE))
        form: dict[str, str] = {}
        if request.method == "POST":
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        return await run_in_threadpool(_run, console, handler, role, request, session, form)

    return endpoint


def _run(
    console: Console,
    handler: Handler,
    role: str | None,
    request: Request,
    session: Session | None,
    form: dict[str, str],
) -> Response:
    use_language(console.app.config.settings.language)
    user = console.app.store.user(session.user) if session and session.user else None
    ctx = Ctx(console, request, session, user, form)
    if role is not None:
        if user is None or user.disabled:
            return finish(console, RedirectResponse("/login", status_code=303))
        if not allows(user.role, role):
            console.app.audit(
                user.name,
                "access.denied",
                request.url.path,
                needed=role,
                role=user.role,
                **{k: str(v) for k, v in request.path_params.items()},
            )
            return finish(console, refused(ctx, 403, _("Your role does not allow this.")))
    if request.method == "POST" and (
        session is None or not same_token(form.get("csrf"), session.csrf)
    ):
        return finish(console, refused(ctx, 403, _("The form has expired; open it again.")))
    try:
        response = handler(ctx)
    except ReminderError as exc:
        status = 403 if type(exc).__name__ == "PermissionDeniedError" else 409
        response = refused(ctx, status, str(exc))
    return finish(console, response)


def build(console: Console, routes: list[tuple[str, str, Handler, str | None]]) -> Starlette:
    """The Starlette app of `routes`: (path, method, handler, role)."""
    table: list[Route | Mount] = [
        Route(path, guarded(console, handler, role), methods=[method])
        for path, method, handler, role in routes
    ]
    table.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    # Browsers ask for it on every page that names none (the report).
    table.append(Route("/favicon.ico", lambda _request: FileResponse(HERE / "static/favicon.svg")))
    return Starlette(routes=table)
