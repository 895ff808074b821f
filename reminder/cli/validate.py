"""`reminder validate`: load everything, resolve every window for this year and next, and
render every message of every push for one sample date."""

from __future__ import annotations

from typing import Annotated

import typer

from reminder.calendar.windows import ResolvedWindow
from reminder.cli.app import command, parse_day, state, stderr, stdout
from reminder.i18n import N_, _, ngettext
from reminder.planning.checks import PushCheck


def describe_window(window: ResolvedWindow) -> str:
    """One line about a resolved window, its festival and its holiday period."""
    days = len(window.days())
    text = ngettext(
        "{year}: {start} to {end} ({count} day), {festival} {festival_day}",
        "{year}: {start} to {end} ({count} days), {festival} {festival_day}",
        days,
    ).format(
        year=window.year,
        start=window.start,
        end=window.end,
        count=days,
        festival=window.festival.label,
        festival_day=window.festival_day,
    )
    if window.holiday is not None:
        text += _("; holiday {start} to {end}").format(
            start=window.holiday.start, end=window.holiday.end
        )
        if window.holiday.provisional:
            text += _(" (provisional: not yet published)")
    if window.provisional:
        text += _("; window provisional")
    return text


@command(
    help=N_(
        "Check config, contacts, groups, cases, templates and campaigns; render "
        "every message.\n\n"
        "Exit 0 when everything is valid; exit 2 with one `file:line: message` "
        "per problem."
    )
)
def validate(
    ctx: typer.Context,
    date: Annotated[
        str | None,
        typer.Option(
            help=N_("Sample date to render (YYYY-MM-DD; default: each push's first day).")
        ),
    ] = None,
) -> None:
    """The command `validate`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        app.load()
        checks = app.check(parse_day(date))
    project = app.project
    out = stdout()

    def say(text: str, style: str | None = None) -> None:
        out.print(text, style=style, markup=False, highlight=False)

    cadres, family = project.book.counts()
    say(
        _("config {source_name}: gateway {name}, zone {timezone}").format(
            source_name=app.config.source_name,
            name=app.gateway.name,
            timezone=app.config.settings.timezone,
        )
    )
    say(
        _(
            "contacts: {cadres} cadres, {family} family members; {groups} groups; {cases} cases"
        ).format(cadres=cadres, family=family, groups=len(project.groups), cases=len(project.cases))
    )
    for check in checks:
        campaign = project.campaign(check.campaign)
        say(
            _("campaign {id} “{name}” (zone {timezone})").format(
                id=campaign.id, name=campaign.name, timezone=project.timezone(campaign)
            )
        )
        for window in check.windows:
            say(_("  window {window}").format(window=describe_window(window)))
        for push in check.pushes:
            say(_push_line(push))
    warnings = [w for check in checks for push in check.pushes for w in push.warnings]
    for warning in warnings:
        stderr().print(
            _("warning: {warning}").format(warning=warning),
            style="yellow",
            markup=False,
            highlight=False,
        )
    say(_("everything is valid"), style="green")


def _push_line(push: PushCheck) -> str:
    """One line about a checked push: recipients, days per window, largest message."""
    days = _(", ").join(
        _("{count} in {year}").format(count=n, year=year) for year, n in push.days.items()
    )
    recipients = ngettext("{count} recipient", "{count} recipients", push.recipients)
    segments = ngettext("up to {count} segment", "up to {count} segments", push.max_segments)
    return _("  push {push}: {recipients}, days: {days}; {segments} on {sample_day}").format(
        push=push.push,
        recipients=recipients.format(count=push.recipients),
        days=days,
        segments=segments.format(count=push.max_segments),
        sample_day=push.sample_day,
    )
