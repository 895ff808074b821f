"""`reminder log`: what happened to each message, from the store."""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from reminder.cli.app import command, state, stdout
from reminder.errors import UsageError
from reminder.i18n import N_, _, ngettext
from reminder.phones import shown
from reminder.status import Status, label
from reminder.store import Message

COLUMNS = (
    N_("id"),
    N_("campaign/push"),
    N_("date"),
    N_("contact"),
    N_("to"),
    N_("status"),
    N_("tries"),
    N_("error"),
    N_("updated"),
)


@command(
    "log",
    help=N_(
        "List messages with their status, attempts and last error, and how many are in each status."
    ),
)
def log_messages(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Argument(help=N_("Only this campaign."))] = None,
    status: Annotated[
        list[str] | None, typer.Option(help=N_("Only messages in this status (repeatable)."))
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help=N_("At most this many, newest first."))] = 50,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print a JSON list."))] = False,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help=N_("Show phone numbers in full."))
    ] = False,
) -> None:
    """The command `log`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        wanted = _statuses(status or [])
        messages = app.messages(campaign, wanted, limit)
        if show_numbers:
            app.show_numbers("log", campaign, count=len(messages), via="cli")
        # Counted over every matching message, not only the newest shown: unknown or failed
        # ones further back are not hidden by --limit. (The JSON list is left as it is.)
        counts = app.status_counts(campaign) if not as_json else None
        zone_name = app.config.settings.timezone
    rows = [_row(m, ZoneInfo(zone_name), show_numbers) for m in messages]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    assert counts is not None
    stdout().print(_table(rows, counts, wanted, zone_name))


def _statuses(names: list[str]) -> list[Status]:
    wanted = []
    for name in names:
        try:
            wanted.append(Status(name))
        except ValueError:
            known = ", ".join(s.value for s in Status)
            raise UsageError(
                _("--status: unknown status {name!r}; statuses: {known}").format(
                    name=name, known=known
                )
            ) from None
    return wanted


def _row(m: Message, zone: ZoneInfo, show_numbers: bool) -> dict[str, Any]:
    return {
        "id": m.id,
        "campaign": m.campaign,
        "push": m.push,
        "occurrence": m.occurrence.isoformat(),
        "contact_id": m.contact_id,
        "to": shown(m.recipient, show_numbers=show_numbers),
        "status": m.status,
        "attempts": m.attempts,
        "segments": m.segments,
        "gateway": m.gateway,
        "provider_id": m.provider_id,
        "error_code": m.error_code,
        "error_text": m.error_text,
        "updated_at": m.updated_at.astimezone(zone).isoformat(timespec="seconds"),
    }


def _table(
    rows: list[dict[str, Any]], counts: Counter[str], wanted: list[Status], zone: str
) -> Table:
    """The messages as a table, times in `zone` (named in the heading of their column)."""
    by_status = [(s, counts[s.value]) for s in dict.fromkeys(wanted or Status) if counts[s.value]]
    total = sum(n for _, n in by_status)
    if len(rows) == total:
        title = ngettext("{count} message (newest first)", "{count} messages (newest first)", total)
    else:
        title = ngettext(
            "{count} of {total} message (newest first)",
            "{count} of {total} messages (newest first)",
            total,
        )
    table = Table(
        title=title.format(count=len(rows), total=total),
        title_justify="left",
        caption=_("by status: {counts}").format(
            counts=_(", ").join(f"{label(s)} {n}" for s, n in by_status)
        )
        if by_status
        else None,
        caption_justify="left",
    )
    for column in COLUMNS[:-1]:
        table.add_column(_(column), overflow="fold")
    table.add_column(_("updated ({zone})").format(zone=zone), overflow="fold")
    for row in rows:
        error = f"{row['error_code'] or ''} {row['error_text'] or ''}".strip()
        table.add_row(
            str(row["id"]),
            f"{row['campaign']}/{row['push']}",
            row["occurrence"],
            row["contact_id"],
            row["to"],
            label(row["status"]),
            str(row["attempts"]),
            error or "-",
            row["updated_at"][:16].replace("T", " "),
        )
    return table
