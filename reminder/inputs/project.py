"""Loading and cross-checking everything a command needs: config, contacts, groups, cases,
templates and campaigns. All problems are collected and raised together, before anything is
sent or written (ARCHITECTURE.md invariant 8).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reminder.calendar.windows import resolve
from reminder.delivery.gateways.registry import gateway_class
from reminder.errors import MissingExtraError, Problem, UsageError
from reminder.i18n import _
from reminder.inputs.campaigns import (
    Campaign,
    CampaignFile,
    CaseSelection,
    Push,
    load_campaigns,
)
from reminder.inputs.cases import Case, load_cases
from reminder.inputs.config import Config
from reminder.inputs.contact_index import Condition
from reminder.inputs.contacts import Contact, ContactBook, load_contacts
from reminder.inputs.groups import GroupDef, audience_condition, load_groups
from reminder.inputs.templates import Templates
from reminder.inputs.yaml_source import raise_if


@dataclass(frozen=True)
class Project:
    """Everything loaded from the user's files, validated and cross-checked."""

    config: Config
    book: ContactBook
    groups: dict[str, GroupDef]
    cases: dict[str, Case]
    campaigns: dict[str, CampaignFile]
    templates: Templates
    _audiences: dict[tuple[str, str], Condition] = field(default_factory=dict, repr=False)
    _keeps_variables: dict[str, bool] = field(default_factory=dict, repr=False)

    def campaign(self, campaign_id: str) -> Campaign:
        """A campaign by id; an unknown id is a usage error listing the known ones."""
        if campaign_id not in self.campaigns:
            known = ", ".join(sorted(self.campaigns)) or "none"
            raise UsageError(
                _("no campaign {campaign_id!r}; campaigns: {known}").format(
                    campaign_id=campaign_id, known=known
                )
            )
        return self.campaigns[campaign_id].campaign

    def audience_condition(self, campaign_id: str, push_id: str) -> Condition:
        """The audience of one push as a SQL condition on the contact book (built once)."""
        key = (campaign_id, push_id)
        if key not in self._audiences:
            push = self.campaign(campaign_id).push(push_id)
            self._audiences[key] = audience_condition(push.audience, self.groups)
        return self._audiences[key]

    def audience(self, campaign_id: str, push_id: str) -> Iterator[Contact]:
        """The contacts one push reaches, ordered by id, streamed."""
        return self.book.matching(self.audience_condition(campaign_id, push_id))

    def reaches(self, campaign_id: str, push_id: str, contact_id: str) -> bool:
        """Whether one push reaches one contact."""
        condition = self.audience_condition(campaign_id, push_id)
        return self.book.index.meets(contact_id, condition)

    def sends_despite_suppression(self, contact_id: str) -> bool:
        """`overrides_suppression` for a contact of the book, by id (an unknown id: never)."""
        protect = self.config.settings.suppression.protect_cadres
        if not protect:
            return False
        contact = self.book.contacts.get(contact_id)
        return contact is not None and overrides_suppression(contact, protect)

    def keeps_template_variables(self) -> bool:
        """Whether planned messages keep their flat template variables: only when a gateway
        they may go through (the config's, or one a push names) sends template codes
        (`Gateway.uses_template_variables`; unknown: keep them)."""
        return any(self._keeps_variables_for(name) for name in self.gateway_names())

    def gateway_names(self) -> list[str]:
        """Every gateway a message may go through: the config's, and those pushes name."""
        names = [self.config.settings.gateway]
        for source in self.campaigns.values():
            for push in source.campaign.pushes:
                names += [n for n in push.gateways or () if n not in names]
        return names

    def _keeps_variables_for(self, name: str) -> bool:
        if name not in self._keeps_variables:
            try:
                keeps = gateway_class(name).uses_template_variables
            except (KeyError, MissingExtraError):
                keeps = True
            self._keeps_variables[name] = keeps
        return self._keeps_variables[name]

    def timezone(self, campaign: Campaign) -> str:
        """The zone a campaign runs in: its own, else the config's."""
        return campaign.timezone or self.config.settings.timezone


def overrides_suppression(contact: Contact, protect_cadres: bool) -> bool:
    """The one suppression rule, for planning and dispatch alike: whether a message to `contact`
    still goes to a suppressed number. A cadre's official reminders do when
    `suppression.protect_cadres` is set (an organisation may require it); a family member's
    opt-out is always honoured."""
    return protect_cadres and not contact.is_family


def load_project(config: Config) -> Project:
    """Load every file the config points at; raise one `InputError` with every problem."""
    problems: list[Problem] = []
    settings = config.settings
    book = load_contacts(config.folder("contacts"), settings.default_region, problems)
    groups = load_groups(book, problems)
    cases = load_cases(config.folder("cases"), problems)
    campaigns = load_campaigns(config.folder("campaigns"), problems)
    templates = Templates(config.folder("templates"))
    for source in campaigns.values():
        _check_campaign(source, config, groups, cases, templates, problems)
    raise_if(problems)
    return Project(config, book, groups, cases, campaigns, templates)


def _check_campaign(
    source: CampaignFile,
    config: Config,
    groups: dict[str, GroupDef],
    cases: dict[str, Case],
    templates: Templates,
    problems: list[Problem],
) -> None:
    campaign = source.campaign
    if campaign.timezone is not None:
        try:
            ZoneInfo(campaign.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Problem(
                    source.file,
                    _("timezone: unknown time zone {timezone!r}").format(
                        timezone=campaign.timezone
                    ),
                    line=source.line("timezone"),
                )
            )
    _check_window(source, problems)
    for index, push in enumerate(campaign.pushes):
        where = ("pushes", index)
        _check_audience(source, push, where, groups, problems)
        template_problem = templates.check(push.template)
        if template_problem is not None:
            if template_problem.line is None:
                template_problem = Problem(
                    source.file,
                    _("push {id!r}: {message}").format(
                        id=push.id, message=template_problem.message
                    ),
                    line=source.line(*where, "template"),
                )
            problems.append(template_problem)
        _check_cases(source, push, where, cases, problems)
        _check_send_time(source, push, where, config, problems)
        _check_gateways(source, push, where, config, problems)


def _check_gateways(
    source: CampaignFile,
    push: Push,
    where: tuple[str, int],
    config: Config,
    problems: list[Problem],
) -> None:
    """A push's `gateways:` name configured gateways only (the config's `gateway`, or one with
    settings under `gateways:`)."""
    configured = set(config.settings.gateways) | {config.settings.gateway}
    for position, name in enumerate(push.gateways or ()):
        if name not in configured:
            known = ", ".join(sorted(configured))
            problems.append(
                Problem(
                    source.file,
                    _(
                        "push {push!r}: gateway {name!r} is not configured (configured: "
                        "{known}); add its settings under `gateways:` in the config"
                    ).format(push=push.id, name=name, known=known),
                    line=source.line(*where, "gateways", position),
                )
            )


def _check_audience(
    source: CampaignFile,
    push: Push,
    where: tuple[str, int],
    groups: dict[str, GroupDef],
    problems: list[Problem],
) -> None:
    for position, name in enumerate(push.audience):
        if name not in groups:
            known = ", ".join(sorted(groups)) or "none defined"
            problems.append(
                Problem(
                    source.file,
                    _("push {id!r}: unknown group {name!r} (groups: {known})").format(
                        id=push.id, name=name, known=known
                    ),
                    line=source.line(*where, "audience", position),
                )
            )


def _check_cases(
    source: CampaignFile,
    push: Push,
    where: tuple[str, int],
    cases: dict[str, Case],
    problems: list[Problem],
) -> None:
    if push.cases is None:
        return
    missing = []
    if isinstance(push.cases, CaseSelection):
        missing = [i for i in push.cases.ids or () if i not in cases]
    if missing:
        message = "unknown case id(s) " + ", ".join(missing)
    elif not push.case_pool(cases):
        message = "no case matches its case selection"
    else:
        return
    line = source.line(*where, "cases")
    problems.append(
        Problem(
            source.file, _("push {id!r}: {message}").format(id=push.id, message=message), line=line
        )
    )


def _check_send_time(
    source: CampaignFile,
    push: Push,
    where: tuple[str, int],
    config: Config,
    problems: list[Problem],
) -> None:
    quiet = config.settings.quiet_hours
    first, last = push.times()
    if quiet.overlaps(first, last):
        when = f"{first:%H:%M}" if first == last else f"{first:%H:%M}–{last:%H:%M}"
        problems.append(
            Problem(
                source.file,
                _(
                    "push {id!r}: send_at {when} falls in the quiet hours {start:%H:%M}–{end:%H:%M}"
                ).format(id=push.id, when=when, start=quiet.start, end=quiet.end),
                line=source.line(*where, "send_at"),
            )
        )


#: Festival-relative windows are checked to resolve in each of these years when loaded.
CHECKED_YEARS = range(2020, 2041)


def _check_window(source: CampaignFile, problems: list[Problem]) -> None:
    campaign = source.campaign
    years = [campaign.window.fixed_year] if campaign.window.fixed_year else CHECKED_YEARS
    for year in years:
        assert year is not None
        try:
            campaign.window_for(year)
            for push in campaign.pushes:
                if isinstance(push.days, tuple):
                    for expr in push.days:
                        resolve(expr, campaign.festival, year)
        except ValueError as exc:
            problems.append(
                Problem(
                    source.file,
                    _("window ({year}): {exc}").format(year=year, exc=exc),
                    line=source.line("window"),
                )
            )
            return
