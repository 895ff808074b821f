"""Every route of the console and the role it needs — the one place roles are declared. None
means a public page (the login). A role allows what the ones below it allow
(`core.people.ROLES`: viewer < drafter < approver < admin)."""

from __future__ import annotations

from starlette.applications import Starlette

from reminder.core.app import App
from reminder.web import pages
from reminder.web.console import Console, Handler, build

ROUTES: list[tuple[str, str, Handler, str | None]] = [
    ("/login", "GET", pages.login_form, None),
    ("/login", "POST", pages.login, None),
    ("/logout", "POST", pages.logout, "viewer"),
    ("/", "GET", pages.index, "viewer"),
    ("/approvals", "GET", pages.approvals, "viewer"),
    ("/approvals/{approval}/approve", "POST", pages.approve, "approver"),
    ("/approvals/{approval}/reject", "POST", pages.reject, "approver"),
    ("/audit", "GET", pages.audit, "approver"),
    ("/suppressions", "GET", pages.suppressions, "viewer"),
    ("/campaigns/{campaign}", "GET", pages.campaign, "viewer"),
    ("/campaigns/{campaign}/report", "GET", pages.report, "viewer"),
    ("/campaigns/{campaign}/report/numbers", "POST", pages.report_numbers, "approver"),
    ("/campaigns/{campaign}/pause", "POST", pages.pause, "approver"),
    ("/campaigns/{campaign}/resume", "POST", pages.resume, "approver"),
    ("/campaigns/{campaign}/{day}", "GET", pages.occurrence, "viewer"),
    ("/campaigns/{campaign}/{day}/numbers", "POST", pages.occurrence_numbers, "approver"),
    ("/campaigns/{campaign}/{day}/request", "POST", pages.request_approval, "drafter"),
    ("/campaigns/{campaign}/{day}/cancel", "POST", pages.cancel, "approver"),
]


def create_app(app: App, *, secure_cookies: bool = True) -> Starlette:
    """The console on the application core `app`. `secure_cookies=False` only for plain HTTP
    on 127.0.0.1 without a proxy (a browser test)."""
    return build(Console(app, secure_cookies=secure_cookies), ROUTES)
