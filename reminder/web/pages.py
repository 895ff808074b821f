"""What each page of the console does: read the request, call the application core, render.
No policy here: who may do what is `routes.ROUTES` and the core's own checks."""

from __future__ import annotations

from datetime import date, timedelta

from starlette.responses import HTMLResponse, RedirectResponse, Response

from reminder.core.approval import explain
from reminder.errors import UsageError
from reminder.i18n import _
from reminder.views.report_html import as_html
from reminder.web.console import Ctx, refused
from reminder.web.security import COOKIE, CSP_REPORT

#: How far back and ahead a campaign page shows its dates.
BEFORE, AHEAD = timedelta(days=14), timedelta(days=120)


def _day(ctx: Ctx) -> date:
    try:
        return date.fromisoformat(ctx.param("day"))
    except ValueError:
        raise UsageError(_("not a date")) from None


def _see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _with_session(ctx: Ctx, response: Response, user: str | None) -> Response:
    """`response` with a new session (a new token at login: none carried over)."""
    ctx.console.sessions.end(ctx.session.token if ctx.session else None)
    session = ctx.console.sessions.start(user)
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        secure=ctx.console.secure_cookies,
        samesite="strict",
        path="/",
    )
    return response


def login_form(ctx: Ctx) -> Response:
    """The login page (with an anonymous session for the form's CSRF token)."""
    session = ctx.session or ctx.console.sessions.start(None)
    page = ctx.console.env.get_template("login.html").render(
        user=None, csrf=session.csrf, error=None
    )
    response = HTMLResponse(page)
    if ctx.session is None:
        response.set_cookie(
            COOKIE,
            session.token,
            httponly=True,
            secure=ctx.console.secure_cookies,
            samesite="strict",
            path="/",
        )
    return response


def login(ctx: Ctx) -> Response:
    """Check the password, unless this name or address has failed too often lately."""
    name = ctx.form.get("name", "")
    address = ctx.request.client.host if ctx.request.client else "?"
    keys = (f"user:{name}", f"address:{address}")
    throttle = ctx.console.throttle
    if throttle.blocked(*keys):
        ctx.app.audit(name or "?", "login.throttled", f"user/{name}")
        return ctx.render(
            "login.html", 429, error=_("Too many failed logins; try again in 15 minutes.")
        )
    user = ctx.app.authenticate(name, ctx.form.get("password", ""))
    if user is None:
        throttle.failed(*keys)
        ctx.app.audit(name or "?", "login.failed", f"user/{name}", via="web")
        return ctx.render("login.html", 401, error=_("Wrong user name or password."))
    ctx.app.audit(user.name, "login", f"user/{user.name}", via="web")
    return _with_session(ctx, _see("/"), user.name)


def logout(ctx: Ctx) -> Response:
    """End the session."""
    ctx.console.sessions.end(ctx.session.token if ctx.session else None)
    response = _see("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


def index(ctx: Ctx) -> Response:
    """Every campaign with its next dates."""
    today = ctx.app.today()
    campaigns = []
    for campaign_id in sorted(ctx.app.project.campaigns):
        rows = ctx.app.occurrence_board(campaign_id, today - BEFORE, today + AHEAD)
        upcoming = [r for r in rows if r.day >= today][:5] or rows[-3:]
        campaigns.append((ctx.app.project.campaign(campaign_id), upcoming))
    return ctx.render("index.html", campaigns=campaigns, today=today)


def campaign(ctx: Ctx) -> Response:
    """One campaign's dates and their state."""
    campaign_id = ctx.param("campaign")
    found = ctx.app.project.campaign(campaign_id)
    today = ctx.app.today()
    rows = ctx.app.occurrence_board(campaign_id, today - BEFORE, today + AHEAD)
    return ctx.render("campaign.html", campaign=found, rows=rows, today=today)


def occurrence(ctx: Ctx) -> Response:
    """One date: its messages (numbers masked), its approval and what may be done."""
    return _occurrence(ctx, full=False)


def occurrence_numbers(ctx: Ctx) -> Response:
    """The same page with the numbers in full: an approver's POST, in the audit trail."""
    return _occurrence(ctx, full=True)


def _occurrence(ctx: Ctx, *, full: bool) -> Response:
    campaign_id, day = ctx.param("campaign"), _day(ctx)
    found = ctx.app.project.campaign(campaign_id)
    rows = ctx.app.occurrence_board(campaign_id, day, day)
    if not rows:
        return refused(ctx, 404, _("No push of this campaign fires on that date."))
    if full:
        ctx.app.show_numbers("occurrence", campaign_id, day, user=ctx.actor, via="web")
    preview = ctx.app.preview(campaign_id, day, limit=20, only_sample=True)
    verdict = ctx.app.approval_verdict(campaign_id, day)
    why = None if verdict.may_send else explain(verdict, campaign_id, day)
    return ctx.render(
        "occurrence.html",
        campaign=found,
        row=rows[0],
        preview=preview,
        verdict=verdict,
        why=why,
        required=ctx.app.approval_required(campaign_id),
        full=full,
    )


def request_approval(ctx: Ctx) -> Response:
    """Ask for approval of what the date will send."""
    campaign_id, day = ctx.param("campaign"), _day(ctx)
    comment = ctx.form.get("comment", "")
    ctx.app.request_approval(campaign_id, day=day, actor=ctx.actor, comment=comment)
    return _see(f"/campaigns/{campaign_id}/{day}")


def _decide(ctx: Ctx, grant: bool) -> Response:
    try:
        approval_id = int(ctx.param("approval"))
    except ValueError:
        raise UsageError(_("not an approval")) from None
    decided = ctx.app.decide_approval(
        approval_id, actor=ctx.actor, grant=grant, comment=ctx.form.get("comment", "")
    )
    if decided.day is not None:
        return _see(f"/campaigns/{decided.campaign}/{decided.day}")
    return _see(f"/campaigns/{decided.campaign}")


def approve(ctx: Ctx) -> Response:
    """Grant a request for approval."""
    return _decide(ctx, True)


def reject(ctx: Ctx) -> Response:
    """Reject a request for approval."""
    return _decide(ctx, False)


def pause(ctx: Ctx) -> Response:
    """Stop dispatching the campaign."""
    ctx.app.pause(ctx.param("campaign"), actor=ctx.actor)
    return _see(f"/campaigns/{ctx.param('campaign')}")


def resume(ctx: Ctx) -> Response:
    """Resume the campaign (and send what is left of it)."""
    ctx.app.resume(ctx.param("campaign"), actor=ctx.actor)
    return _see(f"/campaigns/{ctx.param('campaign')}")


def cancel(ctx: Ctx) -> Response:
    """Cancel what is still waiting of the date."""
    campaign_id, day = ctx.param("campaign"), _day(ctx)
    ctx.app.cancel(campaign_id, day, actor=ctx.actor)
    return _see(f"/campaigns/{campaign_id}/{day}")


def report(ctx: Ctx) -> Response:
    """The coverage report of the campaign (numbers masked)."""
    page = as_html(ctx.app.report(ctx.param("campaign")), show_numbers=False)
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP_REPORT})


def report_numbers(ctx: Ctx) -> Response:
    """The report with the numbers in full (to follow up who was not reached): an approver's
    POST, in the audit trail."""
    campaign_id = ctx.param("campaign")
    built = ctx.app.report(campaign_id)
    ctx.app.show_numbers("report", campaign_id, user=ctx.actor, via="web")
    page = as_html(built, show_numbers=True)
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP_REPORT})


def approvals(ctx: Ctx) -> Response:
    """Every request for approval and decision, newest first."""
    return ctx.render("approvals.html", approvals=ctx.app.approvals())


def audit(ctx: Ctx) -> Response:
    """The newest entries of the audit trail, and whether the chain holds."""
    entries = list(reversed(ctx.app.audit_entries(newest=200)))
    return ctx.render("audit.html", entries=entries, verification=ctx.app.audit_state())


def suppressions(ctx: Ctx) -> Response:
    """The suppression list (numbers masked)."""
    return ctx.render("suppressions.html", entries=ctx.app.suppressions())
