"""`reminder preview`: the rendered messages of one occurrence, as recipients will read them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import command, parse_day, state, stdout
from reminder.cli.loading import default_day, first_day_from, load_everything, pick_pushes
from reminder.errors import UsageError
from reminder.phones import shown
from reminder.planning.plan import survey_occurrence


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
    current = state(ctx)
    project = load_everything(current).project
    chosen = project.campaign(campaign)
    day = parse_day(date) or first_day_from(chosen, default_day(project, chosen, current))
    if contact is not None and contact not in project.book.contacts:
        raise UsageError(f"no contact has id {contact!r}")
    results = survey_occurrence(
        project,
        campaign,
        pick_pushes(chosen, push),
        day,
        explicit=push is not None,
        sample=limit,
        contact=contact,
    )
    out = stdout()
    for result in results:
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
                item.body,
            )
        out.print(table)
        if total > len(drafts):
            out.print(f"… and {total - len(drafts)} more (use --limit)", markup=False)
