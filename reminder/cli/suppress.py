"""`reminder suppress add|remove|list`: the numbers that must not be messaged."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import app as main_app
from reminder.cli.app import boundary, state, stdout
from reminder.phones import shown

suppress_app = typer.Typer(
    help="The suppression list: numbers that must not be messaged.", no_args_is_help=True
)
main_app.add_typer(suppress_app, name="suppress")


@suppress_app.command("add")
@boundary
def add(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="Phone number.")],
    reason: Annotated[str, typer.Option(help="Why.")] = "added by an operator",
) -> None:
    """Add a number to the suppression list."""
    with state(ctx).app() as app:
        added = app.suppress(number, reason)
    stdout().print(
        f"{shown(added.number, show_numbers=False)} "
        f"{'suppressed' if added.changed else 'was already suppressed'}",
        markup=False,
    )


@suppress_app.command("remove")
@boundary
def remove(
    ctx: typer.Context, number: Annotated[str, typer.Argument(help="Phone number.")]
) -> None:
    """Remove a number from the suppression list."""
    with state(ctx).app() as app:
        removed = app.unsuppress(number)
    stdout().print(
        f"{shown(removed.number, show_numbers=False)} "
        f"{'removed' if removed.changed else 'was not suppressed'}",
        markup=False,
    )


@suppress_app.command("list")
@boundary
def list_(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    show_numbers: Annotated[
        bool, typer.Option("--show-numbers", help="Show phone numbers in full.")
    ] = False,
) -> None:
    """List the suppressed numbers (masked unless --show-numbers)."""
    with state(ctx).app() as app:
        entries = app.suppressions()
    rows = [
        {
            "number": shown(e.number, show_numbers=show_numbers),
            "reason": e.reason,
            "source": e.source,
            "since": e.created_at.isoformat(timespec="seconds"),
        }
        for e in entries
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    table = Table(
        title=f"{len(rows)} suppressed number{'s' if len(rows) != 1 else ''}", title_justify="left"
    )
    for column in ("number", "reason", "source", "since"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["number"], row["reason"], row["source"], row["since"])
    stdout().print(table)
