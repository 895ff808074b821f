"""`reminder preview`: the rendered messages of one occurrence, as recipients will read them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import command, parse_day, state, stdout
from reminder.i18n import N_, _, ngettext
from reminder.phones import shown


@command(
    help=N_(
        "Show the rendered messages with recipient (masked), segment count and case. Sends nothing."
    )
)
def preview(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))],
    push: Annotated[str | None, typer.Option(help=N_("Only this push."))] = None,
    date: Annotated[
        str | None,
        typer.Option(
            help=N_("Occurrence date (YYYY-MM-DD; default today, else the window's first day).")
        ),
    ] = None,
    contact: Annotated[str | None, typer.Option(help=N_("Only this contact id."))] = None,
    limit: Annotated[
        int, typer.Option(min=1, help=N_("At most this many messages per push."))
    ] = 10,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help=N_("Show phone numbers in full."))
    ] = False,
) -> None:
    """The command `preview`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        app.load()
        previewed = app.preview(campaign, parse_day(date), push, contact=contact, limit=limit)
    day = previewed.day
    out = stdout()
    for result in previewed.results:
        drafts = result.sample
        total = len(drafts) if contact is not None else result.audience
        table = Table(
            title=ngettext(
                "{campaign} / {push} on {day}: {count} message",
                "{campaign} / {push} on {day}: {count} messages",
                total,
            ).format(campaign=campaign, push=result.push, day=day, count=total),
            show_lines=True,
            title_justify="left",
        )
        for column in (_("contact"), _("to"), _("segments"), _("case"), _("message")):
            table.add_column(column, overflow="fold")
        for item in drafts:
            table.add_row(
                f"{item.contact.id} {item.contact.name}",
                shown(item.contact.phone, show_numbers=show_numbers),
                f"{item.count.segments} ({item.count.units} {item.count.encoding})",
                item.case.id if item.case else "-",
                item.body,
            )
        out.print(table)
        if total > len(drafts):
            out.print(
                _("… and {count} more (use --limit)").format(count=total - len(drafts)),
                markup=False,
            )
