"""`reminder validate`: load everything, resolve every window for this year and next, and
render every message of every push for one sample date."""

from __future__ import annotations

from typing import Annotated

import typer

from reminder.calendar.windows import ResolvedWindow
from reminder.cli.app import command, parse_day, state, stderr, stdout


def describe_window(window: ResolvedWindow) -> str:
    """One line about a resolved window, its festival and its holiday period."""
    text = (
        f"{window.year}: {window.start} to {window.end} ({len(window.days())} days), "
        f"{window.festival.label} {window.festival_day}"
    )
    if window.holiday is not None:
        text += f"; holiday {window.holiday.start} to {window.holiday.end}"
        if window.holiday.provisional:
            text += " (provisional: not yet published)"
    if window.provisional:
        text += "; window provisional"
    return text


@command()
def validate(
    ctx: typer.Context,
    date: Annotated[
        str | None,
        typer.Option(help="Sample date to render (YYYY-MM-DD; default: each push's first day)."),
    ] = None,
) -> None:
    """Check config, contacts, groups, cases, templates and campaigns; render every message.

    Exit 0 when everything is valid; exit 2 with one `file:line: message` per problem.
    """
    with state(ctx).app() as app:
        app.load()
        checks = app.check(parse_day(date))
    project = app.project
    out = stdout()

    def say(text: str, style: str | None = None) -> None:
        out.print(text, style=style, markup=False, highlight=False)

    cadres, family = project.book.counts()
    say(
        f"config {app.config.source_name}: gateway {app.gateway.name}, "
        f"zone {app.config.settings.timezone}"
    )
    say(
        f"contacts: {cadres} cadres, {family} family members; {len(project.groups)} groups; "
        f"{len(project.cases)} cases"
    )
    for check in checks:
        campaign = project.campaign(check.campaign)
        say(f"campaign {campaign.id} “{campaign.name}” (zone {project.timezone(campaign)})")
        for window in check.windows:
            say("  window " + describe_window(window))
        for push in check.pushes:
            days = ", ".join(f"{n} in {year}" for year, n in push.days.items())
            say(
                f"  push {push.push}: {push.recipients} recipients, days: {days}; up to "
                f"{push.max_segments} segments on {push.sample_day}"
            )
    warnings = [w for check in checks for push in check.pushes for w in push.warnings]
    for warning in warnings:
        stderr().print(f"warning: {warning}", style="yellow", markup=False, highlight=False)
    say("everything is valid", style="green")
