"""`reminder validate`: load everything and render every message of every push for one date."""

from __future__ import annotations

from typing import Annotated

import typer

from reminder.cli.app import command, parse_day, state, stdout
from reminder.cli.loading import load_everything
from reminder.errors import InputError, Problem
from reminder.messages import draft_push


@command()
def validate(
    ctx: typer.Context,
    date: Annotated[
        str | None,
        typer.Option(help="Sample date to render (YYYY-MM-DD; default: each window's first day)."),
    ] = None,
) -> None:
    """Check config, contacts, groups, cases, templates and campaigns; render every message.

    Exit 0 when everything is valid; exit 2 with one `file:line: message` per problem.
    """
    current = state(ctx)
    loaded = load_everything(current)
    project = loaded.project
    sample = parse_day(date)
    problems: list[Problem] = []
    lines: list[str] = []
    for campaign_id, source in sorted(project.campaigns.items()):
        campaign = source.campaign
        day = sample or campaign.window.start
        lines.append(
            f"campaign {campaign.id} “{campaign.name}”: window {campaign.window.start} to "
            f"{campaign.window.end}, {campaign.festival.label} {campaign.festival_date}, "
            f"zone {project.timezone(campaign)}"
        )
        for push in campaign.pushes:
            try:
                drafts = draft_push(project, campaign_id, push, day)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            most = max((d.count.segments for d in drafts), default=0)
            lines.append(
                f"  push {push.id}: {len(drafts)} recipients at {push.send_at:%H:%M}, template "
                f"{push.template}, up to {most} segment{'s' if most != 1 else ''} on {day}"
            )
    if problems:
        raise InputError(problems)
    cadres = sum(1 for c in project.book.contacts.values() if not c.is_family)
    family = len(project.book.contacts) - cadres
    out = stdout()
    out.print(
        f"config {loaded.config.source_name}: gateway {loaded.gateway.name}, "
        f"zone {loaded.config.settings.timezone}",
        markup=False,
        highlight=False,
    )
    out.print(
        f"contacts: {cadres} cadres, {family} family members; {len(project.groups)} groups;"
        f" {len(project.cases)} cases",
        markup=False,
        highlight=False,
    )
    for line in lines:
        out.print(line, markup=False, highlight=False)
    out.print("everything is valid", style="green", markup=False)
