"""The whole-project check behind `reminder validate`: resolve every window for this year and
next, find each push's days, and render every message of every push for one sample date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from reminder.calendar.windows import ResolvedWindow
from reminder.errors import InputError, Problem
from reminder.i18n import _
from reminder.inputs.campaigns import CampaignFile
from reminder.inputs.project import Project
from reminder.planning.case_checks import case_warnings
from reminder.planning.drafts import tally_push
from reminder.planning.history import CaseSource
from reminder.planning.occurrences import push_days
from reminder.planning.template_checks import ParamCheck, TemplateCodes
from reminder.store import Store


@dataclass
class PushCheck:
    """What validation found for one push."""

    push: str
    sample_day: date | None = None
    recipients: int = 0
    max_segments: int = 0
    days: dict[int, int] = field(default_factory=dict)  # festival year → number of days
    #: Where its case pool cannot keep the case rule for some recipient (nothing is refused).
    warnings: list[Problem] = field(default_factory=list)


@dataclass
class CampaignCheck:
    """What validation found for one campaign."""

    campaign: str
    windows: list[ResolvedWindow] = field(default_factory=list)
    pushes: list[PushCheck] = field(default_factory=list)


def check_project(
    project: Project,
    today: date,
    sample: date | None = None,
    codes: TemplateCodes | None = None,
    *,
    store: Store | None = None,
) -> list[CampaignCheck]:
    """Check every campaign (and, for a template-code gateway, its mapping `codes`); raise one
    `InputError` with every problem found. The sample messages carry the cases planning will
    choose (from what the store says was read, and what will have been by then from `today`
    on)."""
    problems: list[Problem] = []
    results = []
    cases = CaseSource(project, store, today)
    for campaign_id in sorted(project.campaigns):
        results.append(
            _check_campaign(
                project, project.campaigns[campaign_id], today, sample, problems, cases, codes
            )
        )
    if problems:
        raise InputError(problems)
    return results


def _check_campaign(
    project: Project,
    source: CampaignFile,
    today: date,
    sample: date | None,
    problems: list[Problem],
    cases: CaseSource,
    codes: TemplateCodes | None = None,
) -> CampaignCheck:
    campaign = source.campaign
    result = CampaignCheck(campaign.id)
    result.windows = _windows(source, today, problems)
    if not result.windows:
        return result
    for index, push in enumerate(campaign.pushes):
        check = PushCheck(push.id)
        result.pushes.append(check)
        check.warnings = case_warnings(project, cases.casebook, source, push)
        line = source.line("pushes", index, "days")
        try:
            per_window = {w.year: push_days(campaign, push, w) for w in result.windows}
        except ValueError as exc:
            problems.append(
                Problem(source.file, _("push {id!r}: {exc}").format(id=push.id, exc=exc), line=line)
            )
            continue
        check.days = {year: len(days) for year, days in per_window.items()}
        for year, days in per_window.items():
            if not days:
                problems.append(
                    Problem(
                        source.file,
                        _("push {id!r} fires on no day of the {year} window").format(
                            id=push.id, year=year
                        ),
                        line=line,
                    )
                )
        window, day = _sample(result.windows, per_window, sample)
        if window is None or day is None:
            continue
        check.sample_day = day
        unmapped = codes.unmapped(campaign.id, push) if codes else None
        if unmapped is not None:
            problems.append(unmapped)
        params = ParamCheck(codes, push) if codes and unmapped is None else None
        try:
            tally = tally_push(project, campaign.id, push, window, day, cases, params)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        finally:
            problems.extend(params.problems.values() if params else [])
        check.recipients = tally.messages
        check.max_segments = tally.largest
    return result


def _windows(source: CampaignFile, today: date, problems: list[Problem]) -> list[ResolvedWindow]:
    """The campaign's window this year and next (or its fixed year's)."""
    campaign = source.campaign
    years = (
        [campaign.window.fixed_year] if campaign.window.fixed_year else [today.year, today.year + 1]
    )
    windows = []
    for year in years:
        assert year is not None
        try:
            windows.append(campaign.window_for(year))
        except ValueError as exc:
            text = _("window ({year}): {exc}").format(year=year, exc=exc)
            problems.append(Problem(source.file, text, line=source.line("window")))
    return windows


def _sample(
    windows: list[ResolvedWindow], per_window: dict[int, dict[date, bool]], sample: date | None
) -> tuple[ResolvedWindow | None, date | None]:
    if sample is not None:
        for window in windows:
            if sample in window:
                return window, sample
        return windows[0], sample  # outside every window: render it anyway, as asked
    for window in windows:
        days = per_window.get(window.year)
        if days:
            return window, next(iter(days))
    return None, None
