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
from reminder.phones import shown
from reminder.status import Status
from reminder.store import Message

COLUMNS = ("id", "campaign/push", "date", "contact", "to", "status", "tries", "error", "updated")


@command("log")
def log_messages(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Argument(help="Only this campaign.")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="Only messages in this status (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help="Show phone numbers in full.")
    ] = False,
) -> None:
    """List messages with their status, attempts and last error, and how many are in each
    status."""
    with state(ctx).app() as app:
        wanted = _statuses(status or [])
        messages = app.messages(campaign, wanted, limit)
        # Counted over every matching message, not only the newest shown: unknown or failed
        # ones further back are not hidden by --limit. (The JSON list is left as it is.)
        counts = app.status_counts(campaign) if not as_json else None
        zone = ZoneInfo(app.config.settings.timezone)
    rows = [_row(m, zone, show_numbers) for m in messages]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    assert counts is not None
    stdout().print(_table(rows, counts, wanted))


def _statuses(names: list[str]) -> list[Status]:
    wanted = []
    for name in names:
        try:
            wanted.append(Status(name))
        except ValueError:
            known = ", ".join(s.value for s in Status)
            raise UsageError(f"--status: unknown status {name!r}; statuses: {known}") from None
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


def _table(rows: list[dict[str, Any]], counts: Counter[str], wanted: list[Status]) -> Table:
    by_status = [(s, counts[s.value]) for s in dict.fromkeys(wanted or Status) if counts[s.value]]
    total = sum(n for _, n in by_status)
    shown_of = f"{len(rows)}" if len(rows) == total else f"{len(rows)} of {total}"
    table = Table(
        title=f"{shown_of} message{'s' if total != 1 else ''} (newest first)",
        title_justify="left",
        caption="by status: " + ", ".join(f"{s.value} {n}" for s, n in by_status)
        if by_status
        else None,
        caption_justify="left",
    )
    for column in COLUMNS:
        table.add_column(column, overflow="fold")
    for row in rows:
        error = f"{row['error_code'] or ''} {row['error_text'] or ''}".strip()
        table.add_row(
            str(row["id"]),
            f"{row['campaign']}/{row['push']}",
            row["occurrence"],
            row["contact_id"],
            row["to"],
            row["status"],
            str(row["attempts"]),
            error or "-",
            row["updated_at"][:16].replace("T", " "),
        )
    return table
