"""`reminder schedule`: the calendar of upcoming occurrences, checked before a festival."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import command, parse_day, state, stdout
from reminder.errors import UsageError
from reminder.i18n import N_, _, ngettext
from reminder.planning.agenda import STATE_LABELS

#: The table's headings, translated where shown.
COLUMNS = (
    N_("date"),
    N_("time"),
    N_("zone"),
    N_("campaign"),
    N_("push"),
    N_("audience"),
    N_("segments"),
    N_("state"),
    N_("note"),
)


@command(
    "schedule",
    help=N_(
        "List every upcoming occurrence: date, time, zone, campaign, push, audience, segments."
    ),
)
def schedule(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option(help=N_("Only this campaign."))] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help=N_("First date (YYYY-MM-DD; default today)."))
    ] = None,
    to: Annotated[
        str | None, typer.Option(help=N_("Last date (YYYY-MM-DD; default a year after --from)."))
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print a JSON list."))] = False,
) -> None:
    """The command `schedule`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        app.load()
        if campaign is not None:
            app.project.campaign(campaign)
        first = parse_day(from_, "--from") or app.today()
        last = parse_day(to, "--to") or first + timedelta(days=365)
        if last < first:
            raise UsageError(
                _("--to {last} is before --from {first}").format(last=last, first=first)
            )
        rows = app.agenda(first, last, campaign)
    if as_json:
        sys.stdout.write(json.dumps([r.as_json() for r in rows], ensure_ascii=False) + "\n")
        return
    table = Table(
        title=ngettext(
            "{count} occurrence from {first} to {last}",
            "{count} occurrences from {first} to {last}",
            len(rows),
        ).format(count=len(rows), first=first, last=last),
        title_justify="left",
    )
    for column in COLUMNS:
        table.add_column(_(column))
    for row in rows:
        o = row.occurrence
        note = _("provisional holiday dates") if o.provisional else ""
        table.add_row(
            o.day.isoformat(),
            o.at.strftime("%H:%M"),
            row.timezone,
            o.campaign,
            o.push,
            str(row.audience),
            str(row.segments),
            _(STATE_LABELS[row.state]),
            note,
        )
    stdout().print(table)
    if any(r.occurrence.provisional for r in rows):
        stdout().print(
            _(
                "provisional: the official holiday period of that year is "
                "not published yet; dates follow the rule in the README"
            ),
            markup=False,
        )
