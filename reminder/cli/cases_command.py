"""`reminder cases usage`: how often each warning-education case went out, and who has read
every case of a pool (the office then knows to add cases)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import app as main_app
from reminder.cli.app import boundary, state, stdout
from reminder.i18n import N_, _

cases_app = typer.Typer(
    help=N_("Warning-education cases: how they are used."), no_args_is_help=True
)
main_app.add_typer(cases_app, name="cases")


@cases_app.command("usage")
@boundary
def usage(
    ctx: typer.Context,
    year: Annotated[
        int | None, typer.Option(help=N_("Occurrence year (default: this year)."))
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print one JSON object."))] = False,
) -> None:
    """How many messages sent each case this year, and per push the people who have read every
    case it may send them."""
    with state(ctx).app() as app:
        app.load()
        found = app.case_usage(year)
    if as_json:
        data = {
            "year": found.year,
            "cases": [
                {"id": u.case_id, "title": u.case.title if u.case else None, "sent": u.sent}
                for u in found.cases
            ],
            "exhausted": [
                {
                    "campaign": e.campaign,
                    "push": e.push,
                    "pool": e.pool,
                    "contacts": [c.id for c in e.readers],
                }
                for e in found.exhausted
            ],
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    out = stdout()
    table = Table(title=_("cases sent in {year}").format(year=found.year), title_justify="left")
    for column in (_("case"), _("title"), _("subject surname"), _("sent")):
        table.add_column(column)
    for use in found.cases:
        case = use.case
        table.add_row(
            use.case_id,
            case.title if case else _("(no longer in the case files)"),
            "、".join(sorted(case.surnames)) if case else "",
            str(use.sent),
        )
    out.print(table)
    for pool in found.exhausted:
        names = ", ".join(f"{c.id} {c.name}" for c in pool.readers)
        out.print(
            _(
                "{campaign} / {push} ({pool} cases): {count} people have read every case it "
                "may send them"
            ).format(
                campaign=pool.campaign, push=pool.push, pool=pool.pool, count=len(pool.readers)
            )
            + (f": {names}" if names else ""),
            markup=False,
            highlight=False,
        )
