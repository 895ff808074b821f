"""`reminder suppress add|remove|list`: the numbers that must not be messaged."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from reminder.cli.app import app as main_app
from reminder.cli.app import boundary, state, stdout
from reminder.cli.helptext import TranslatedCommand, TranslatedGroup
from reminder.i18n import N_, _, ngettext
from reminder.phones import shown

suppress_app = typer.Typer(
    cls=TranslatedGroup,
    help=N_("The suppression list: numbers that must not be messaged."),
    no_args_is_help=True,
)
main_app.add_typer(suppress_app, name="suppress")

#: Who put a number on the list, as a person reads it (`--json` keeps the code).
SOURCES = {
    "operator": N_("operator"),
    "gateway": N_("provider (unsubscribed)"),
    "inbound": N_("reply (opted out)"),
}


@suppress_app.command(
    "add", help=N_("Add a number to the suppression list."), cls=TranslatedCommand
)
@boundary
def add(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help=N_("Phone number."))],
    reason: Annotated[
        str | None, typer.Option(help=N_("Why (default: added by an operator)."))
    ] = None,
) -> None:
    """The command `add`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        added = app.suppress(number, reason or _("added by an operator"))
    stdout().print(
        (
            _("{number} suppressed") if added.changed else _("{number} was already suppressed")
        ).format(number=shown(added.number, show_numbers=False)),
        markup=False,
    )


@suppress_app.command(
    "remove", help=N_("Remove a number from the suppression list."), cls=TranslatedCommand
)
@boundary
def remove(
    ctx: typer.Context, number: Annotated[str, typer.Argument(help=N_("Phone number."))]
) -> None:
    """The command `remove`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        removed = app.unsuppress(number)
    stdout().print(
        (_("{number} removed") if removed.changed else _("{number} was not suppressed")).format(
            number=shown(removed.number, show_numbers=False)
        ),
        markup=False,
    )


@suppress_app.command(
    "list",
    help=N_("List the suppressed numbers (masked unless --show-numbers)."),
    cls=TranslatedCommand,
)
@boundary
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print a JSON list."))] = False,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help=N_("Show phone numbers in full."))
    ] = False,
) -> None:
    """The command `list`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        entries = app.suppressions()
        if show_numbers:
            app.show_numbers("suppressions", count=len(entries), via="cli")
        zone = app.config.settings.timezone
    rows = [
        {
            "number": shown(e.number, show_numbers=show_numbers),
            "reason": e.reason,
            "source": e.source,
            "since": _local(e.created_at, zone).isoformat(timespec="seconds"),
        }
        for e in entries
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    table = Table(
        title=ngettext("{count} suppressed number", "{count} suppressed numbers", len(rows)).format(
            count=len(rows)
        ),
        title_justify="left",
    )
    for column in (_("number"), _("reason"), _("source"), _("since ({zone})").format(zone=zone)):
        table.add_column(column)
    for row in rows:
        source = SOURCES.get(row["source"])
        shown_source = _(source) if source else row["source"]
        since = row["since"][:16].replace("T", " ")
        table.add_row(row["number"], row["reason"], shown_source, since)
    stdout().print(table)


def _local(moment: datetime, zone: str) -> datetime:
    """`moment` in `zone` (a store may hand back a naive UTC time)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone))
