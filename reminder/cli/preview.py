"""`reminder preview`: the rendered messages of one occurrence, as recipients will read them;
with `--contact` and no `--date`, which case each of that person's upcoming occurrences will
carry, and why."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import command, parse_day, state, stdout
from reminder.core.app import App
from reminder.core.sending import Preview
from reminder.errors import UsageError
from reminder.i18n import N_, _, ngettext
from reminder.phones import shown
from reminder.planning.rotation import Choice, Why


def why(choice: Choice | None) -> str:
    """Why a case was chosen, in words."""
    if choice is None:
        return "-"
    if choice.why is Why.fresh:
        return _("fresh: never read")
    assert choice.last_read is not None
    return _("least recently read (last on {day})").format(day=choice.last_read[0])


@command(
    help=N_(
        "Show the rendered messages with recipient (masked), segment count and case. Sends nothing."
    )
)
def preview(
    ctx: typer.Context,
    campaign: Annotated[
        str | None,
        typer.Argument(help=N_("Campaign id (with --contact alone: every campaign).")),
    ] = None,
    push: Annotated[str | None, typer.Option(help=N_("Only this push."))] = None,
    date: Annotated[
        str | None,
        typer.Option(
            help=N_("Occurrence date (YYYY-MM-DD; default today, else the window's first day).")
        ),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "Only this contact id; without --date, the case each upcoming occurrence "
                "will carry, and why."
            )
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(help=N_("With --contact alone: the last date (default a year from today).")),
    ] = None,
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
        if contact is not None and date is None:
            _upcoming(app, contact, campaign, parse_day(to, "--to"))
            return
        if campaign is None:
            raise UsageError(_("name a campaign (or give --contact alone for upcoming cases)"))
        day = parse_day(date)
        previewed = app.preview(campaign, day, push, contact=contact, limit=limit)
        if show_numbers:
            app.show_numbers("preview", campaign, day, push=push, contact=contact, via="cli")
        # What the phone shows: a template-code gateway's own template, filled.
        texts = {
            id(item): app.phone_text(item) for result in previewed.results for item in result.sample
        }
    _print_messages(previewed, texts, campaign, contact, show_numbers)


def _print_messages(
    previewed: Preview,
    texts: dict[int, str],
    campaign: str,
    contact: str | None,
    show_numbers: bool,
) -> None:
    """One table per push: each sample message as the phone will show it."""
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
                f"{item.case.id}\n{why(item.choice)}" if item.case else "-",
                texts[id(item)],
            )
        out.print(table)
        if total > len(drafts):
            out.print(
                _("… and {count} more (use --limit)").format(count=total - len(drafts)),
                markup=False,
            )


def _upcoming(app: App, contact: str, campaign: str | None, last: dt.date | None) -> None:
    """Print the case of each upcoming occurrence of one contact, and why."""
    first = app.today()
    until = last if last is not None else first + dt.timedelta(days=365)
    if until < first:
        raise UsageError(
            _("--to {until} is before today ({first})").format(until=until, first=first)
        )
    rows = app.upcoming_cases(contact, first, until, campaign)
    person = app.project.book.contacts[contact]
    table = Table(
        title=ngettext(
            "{id} {name}: {count} occurrence from {first} to {until}",
            "{id} {name}: {count} occurrences from {first} to {until}",
            len(rows),
        ).format(id=person.id, name=person.name, count=len(rows), first=first, until=until),
        title_justify="left",
    )
    for column in (_("date"), _("time"), _("campaign"), _("push"), _("case"), _("why")):
        table.add_column(column, overflow="fold")
    for row in rows:
        o = row.occurrence
        case = row.choice.case if row.choice else None
        table.add_row(
            o.day.isoformat(),
            o.at.strftime("%H:%M"),
            o.campaign,
            o.push,
            f"{case.id} {case.title}" if case else "-",
            why(row.choice),
        )
    stdout().print(table)
