"""What every campaign command loads first: config, project files and gateway, all checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reminder.cli.app import State
from reminder.clock import today_in
from reminder.delivery.gateways.base import Gateway
from reminder.delivery.gateways.registry import build_gateway
from reminder.errors import InputError, Problem, UsageError
from reminder.inputs.campaigns import Campaign
from reminder.inputs.config import Config
from reminder.inputs.project import Project, load_project


@dataclass(frozen=True)
class Loaded:
    """A checked project and the gateway it will send through."""

    config: Config
    project: Project
    gateway: Gateway


def load_everything(state: State) -> Loaded:
    """Load and check every file and the gateway settings; report all problems at once."""
    config = state.config()
    problems: list[Problem] = []
    project: Project | None = None
    gateway: Gateway | None = None
    try:
        project = load_project(config)
    except InputError as exc:
        problems.extend(exc.problems)
    try:
        gateway = build_gateway(config)
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    assert project is not None and gateway is not None
    return Loaded(config, project, gateway)


def pick_pushes(campaign: Campaign, push: str | None) -> list[str]:
    """All pushes of the campaign, or the one asked for (a usage error if it does not exist)."""
    if push is None:
        return [p.id for p in campaign.pushes]
    known = [p.id for p in campaign.pushes]
    if push not in known:
        raise UsageError(
            f"campaign {campaign.id!r} has no push {push!r}; pushes: " + ", ".join(known)
        )
    return [push]


def first_day_from(campaign: Campaign, today: date) -> date:
    """`today` when it is inside a window, else the first day of the next window."""
    if campaign.window_containing(today) is not None:
        return today
    upcoming = campaign.windows_between(today, today + timedelta(days=400))
    if upcoming:
        return upcoming[0].start
    past = campaign.windows_between(today - timedelta(days=400), today)
    return past[-1].start if past else today


def default_day(project: Project, campaign: Campaign, state: State) -> date:
    """Today in the campaign's time zone."""
    return today_in(state.clock, project.timezone(campaign))
