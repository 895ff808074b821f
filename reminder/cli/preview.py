"""`reminder preview`: the rendered messages of one occurrence, as recipients will read them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import command, parse_day, state, stdout
from reminder.phones import shown


@command()
def preview(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    push: Annotated[str | None, typer.Option(help="Only this push.")] = None,
    date: Annotated[
        str | None,
        typer.Option(
            help="Occurrence date (YYYY-MM-DD; default today, else the window's first day)."
        ),
    ] = None,
    contact: Annotated[str | None, typer.Option(help="Only this contact id.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many messages per push.")] = 10,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help="Show phone numbers in full.")
    ] = False,
) -> None:
    """Show the rendered messages with recipient (masked), segment count and case. Sends nothing."""
    with state(ctx).app() as app:
        app.load()
        previewed = app.preview(campaign, parse_day(date), push, contact=contact, limit=limit)
        # What the phone shows: a template-code gateway's own template, filled.
        texts = {
            id(item): app.phone_text(item) for result in previewed.results for item in result.sample
        }
    day = previewed.day
    out = stdout()
    for result in previewed.results:
        drafts = result.sample
        total = len(drafts) if contact is not None else result.audience
        table = Table(
            title=f"{campaign} / {result.push} on {day}: {total} messages",
            show_lines=True,
            title_justify="left",
        )
        for column in ("contact", "to", "segments", "case", "message"):
            table.add_column(column, overflow="fold")
        for item in drafts:
            table.add_row(
                f"{item.contact.id} {item.contact.name}",
                shown(item.contact.phone, show_numbers=show_numbers),
                f"{item.count.segments} ({item.count.units} {item.count.encoding})",
                item.case.id if item.case else "-",
                texts[id(item)],
            )
        out.print(table)
        if total > len(drafts):
            out.print(f"… and {total - len(drafts)} more (use --limit)", markup=False)
