"""`reminder approve`, `approvals`, `users` and `audit`: approval before sending, the people
who give it, and the audit trail (the use cases: `core.approval`, `core.people`, `core.audit`).

Who acts is named with `--as`; their password is asked (or read from `$REMINDER_PASSWORD`,
for scripts), so approving at the command line takes the approver's own password as the
console's login does.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import app as main_app
from reminder.cli.app import boundary, command, parse_day, state, stdout
from reminder.cli.helptext import TranslatedCommand, TranslatedGroup
from reminder.core.app import App
from reminder.errors import PermissionDeniedError, UsageError
from reminder.i18n import N_, _

PASSWORD_VARIABLE = "REMINDER_PASSWORD"


def _say(text: str) -> None:
    stdout().print(text, markup=False, highlight=False)


def _password(prompt: str, *, confirm: bool = False) -> str:
    given = os.environ.get(PASSWORD_VARIABLE)
    if given:
        return given
    entered: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return entered


def _login(app: App, name: str) -> str:
    """`name`, once their password is checked (a failed check is in the audit trail)."""
    if app.authenticate(name, _password(_("Password for {name}").format(name=name))) is None:
        app.audit(name, "login.failed", f"user/{name}", via="cli")
        raise PermissionDeniedError(_("wrong user name or password"))
    return name


@command(
    "approve",
    help=N_(
        "Approve what an occurrence (--date) or a campaign year (--year) will send; --request "
        "asks for it, --reject and --revoke take it back. The approver is not the requester."
    ),
)
def approve(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))],
    as_user: Annotated[str, typer.Option("--as", help=N_("Who you are (a user)."))],
    date: Annotated[str | None, typer.Option(help=N_("An occurrence date (YYYY-MM-DD)."))] = None,
    year: Annotated[int | None, typer.Option(help=N_("A whole campaign year."))] = None,
    request: Annotated[
        bool, typer.Option("--request", help=N_("Ask for approval instead of giving it."))
    ] = False,
    reject: Annotated[bool, typer.Option("--reject", help=N_("Reject the request."))] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help=N_("Withdraw the approval."))] = False,
    comment: Annotated[str, typer.Option(help=N_("A comment kept with the decision."))] = "",
) -> None:
    """Approve what an occurrence (--date) or a campaign year (--year) will send; --request
    asks for it, --reject and --revoke take it back. The approver is not the requester."""
    day = parse_day(date)
    if (day is None) == (year is None):
        raise UsageError(_("name either --date or --year"))
    if sum((request, reject, revoke)) > 1:
        raise UsageError(_("at most one of --request, --reject, --revoke"))
    with state(ctx).app() as app:
        actor = _login(app, as_user)
        if request:
            asked = app.request_approval(campaign, day=day, year=year, actor=actor, comment=comment)
            _say(_("approval {id} requested; an approver decides").format(id=asked.id))
            return
        wanted = "approved" if revoke else "requested"
        target = next(
            (
                a
                for a in app.approvals(campaign)
                if (a.day, a.year) == (day, year) and a.status == wanted
            ),
            None,
        )
        if target is None or target.id is None:
            raise UsageError(_("nothing to decide: request approval first (--request)"))
        if revoke:
            app.revoke_approval(target.id, actor=actor, comment=comment)
            _say(_("approval {id} revoked").format(id=target.id))
            return
        decided = app.decide_approval(target.id, actor=actor, grant=not reject, comment=comment)
        _say(_("approval {id}: {status}").format(id=decided.id, status=decided.status))


@command("approvals", help=N_("List requests for approval and decisions, newest first."))
def approvals(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help=N_("Only this campaign."))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print a JSON list."))] = False,
) -> None:
    """List requests for approval and decisions, newest first."""
    with state(ctx).app() as app:
        found = app.approvals(campaign)
    rows = [
        {
            "id": a.id,
            "campaign": a.campaign,
            "what": a.day.isoformat() if a.day else str(a.year),
            "status": a.status,
            "requested_by": a.requested_by,
            "decided_by": a.decided_by or "",
            "comment": a.comment,
            "fingerprint": a.fingerprint[:12],
        }
        for a in found
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    table = Table(title=_("Approvals"), title_justify="left")
    for column in rows[0] if rows else ("id",):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    stdout().print(table)


users_app = typer.Typer(
    cls=TranslatedGroup, help=N_("Users of the console and of approval."), no_args_is_help=True
)
main_app.add_typer(users_app, name="users")


@users_app.command(
    "add",
    help=N_("Add a user (the password is asked, or read from $REMINDER_PASSWORD)."),
    cls=TranslatedCommand,
)
@boundary
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=N_("User name."))],
    role: Annotated[str, typer.Option(help=N_("viewer, drafter, approver or admin."))],
) -> None:
    """Add a user (the password is asked, or read from $REMINDER_PASSWORD)."""
    with state(ctx).app() as app:
        app.add_user(name, role, _password(_("New password"), confirm=True))
    _say(_("user {name} added as {role}").format(name=name, role=role))


@users_app.command("list", help=N_("List the users with their roles."), cls=TranslatedCommand)
@boundary
def users_list(ctx: typer.Context) -> None:
    """List the users with their roles."""
    with state(ctx).app() as app:
        found = app.users()
    table = Table(title=_("Users"), title_justify="left")
    for column in ("name", "role", "disabled", "since"):
        table.add_column(column)
    for user in found:
        since = user.created_at.isoformat(timespec="seconds")
        table.add_row(user.name, user.role, _("yes") if user.disabled else "", since)
    stdout().print(table)


@users_app.command(
    "disable",
    help=N_("Disable a user: they can no longer log in or approve."),
    cls=TranslatedCommand,
)
@boundary
def users_disable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=N_("User name."))],
    enable: Annotated[bool, typer.Option("--enable", help=N_("Enable again."))] = False,
) -> None:
    """Disable a user: they can no longer log in or approve."""
    with state(ctx).app() as app:
        app.disable_user(name, disabled=not enable)
    _say((_("user {name} enabled") if enable else _("user {name} disabled")).format(name=name))


@users_app.command(
    "role",
    help=N_("Give a user another role (the last admin keeps theirs)."),
    cls=TranslatedCommand,
)
@boundary
def users_role(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help=N_("User name."))],
    role: Annotated[str, typer.Argument(help=N_("viewer, drafter, approver or admin."))],
) -> None:
    """Give a user another role (the last admin keeps theirs)."""
    with state(ctx).app() as app:
        app.set_role(name, role)
    _say(_("user {name} is now {role}").format(name=name, role=role))


@users_app.command("passwd", help=N_("Set a user's password."), cls=TranslatedCommand)
@boundary
def users_passwd(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help=N_("User name."))]
) -> None:
    """Set a user's password."""
    with state(ctx).app() as app:
        app.set_password(name, _password(_("New password"), confirm=True))
    _say(_("password of {name} changed").format(name=name))


audit_app = typer.Typer(
    cls=TranslatedGroup, help=N_("The audit trail."), invoke_without_command=True
)
main_app.add_typer(audit_app, name="audit")


@audit_app.callback()
def audit_default(ctx: typer.Context) -> None:
    """The audit trail: `show` (the default) lists entries, `verify` checks the hash chain."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(audit_show, ctx=ctx)


@audit_app.command("show", help=N_("List audit entries, oldest first."), cls=TranslatedCommand)
@boundary
def audit_show(
    ctx: typer.Context,
    actor: Annotated[str | None, typer.Option(help=N_("Only this actor."))] = None,
    action: Annotated[str | None, typer.Option(help=N_("Actions starting with this."))] = None,
    subject: Annotated[str | None, typer.Option(help=N_("Subjects starting with this."))] = None,
    last: Annotated[int | None, typer.Option(help=N_("Only the newest N entries."))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print a JSON list."))] = False,
) -> None:
    """List audit entries, oldest first."""
    with state(ctx).app() as app:
        entries = app.audit_entries(actor=actor, action=action, subject=subject, newest=last)
    rows = [
        {
            "id": e.id,
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "subject": e.subject,
            "details": e.details,
            "hash": e.hash,
        }
        for e in entries
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    table = Table(title=_("Audit trail"), title_justify="left")
    for column in ("id", "at", "actor", "action", "subject", "details"):
        table.add_column(column)
    for row in rows:
        details = json.dumps(row["details"], ensure_ascii=False)
        table.add_row(str(row["id"]), str(row["at"]), str(row["actor"]), str(row["action"]),
                      str(row["subject"]), details)  # fmt: skip
    stdout().print(table)


@audit_app.command(
    "verify",
    help=N_("Check the hash chain of the audit trail; exit 1 naming the first bad entry."),
    cls=TranslatedCommand,
)
@boundary
def audit_verify(ctx: typer.Context) -> None:
    """Check the hash chain of the audit trail; exit 1 naming the first bad entry."""
    with state(ctx).app() as app:
        found = app.verify_audit()
    if found.broken is not None:
        stdout().print(
            _("audit trail broken at entry {id}: {reason}").format(
                id=found.broken.id, reason=found.reason
            ),
            markup=False,
            style="red",
        )
        raise typer.Exit(1)
    _say(
        _("audit trail intact: {count} entries; newest hash {hash}").format(
            count=found.entries, hash=found.newest_hash or "-"
        )
    )
