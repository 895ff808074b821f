"""Campaign files (`campaigns/*.yaml`): a festival, a window around it, and its pushes.

The window's `start` and `end` are dates or festival-relative expressions (`little_new_year`,
`-3d`, `holiday_end`); a push fires daily, on listed days, or on a random subset of days, at a
fixed time or a random minute in a range (see `reminder.planning.occurrences`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from reminder.calendar.festivals import FIRST_YEAR, LAST_YEAR, Festival
from reminder.calendar.windows import DateExpr, ResolvedWindow, parse_date_expr, resolve_window
from reminder.errors import Problem, display_path
from reminder.i18n import _
from reminder.inputs.acks import LONGEST_WITHIN, Ack, parse_duration
from reminder.inputs.cases import Case
from reminder.inputs.yaml_source import LineDict, line_of, parse_model, yaml_files

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def _slug(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(_("use lower-case letters, digits, '-' and '_'"))
    return value


#: An id of a campaign or push: lower-case letters, digits, '-' and '_'.
Slug = Annotated[str, AfterValidator(_slug)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseSelection(_Strict):
    """Which cases a push rotates through: all, some tags, or a list of ids."""

    tags: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one(self) -> CaseSelection:
        if (self.tags is None) == (self.ids is None):
            raise ValueError(_("give either tags or ids (or write 'cases: all')"))
        return self

    def pick(self, cases: dict[str, Case]) -> list[Case]:
        """The selected cases, ordered by id."""
        if self.ids is not None:
            chosen = [cases[i] for i in self.ids if i in cases]
        else:
            wanted = set(self.tags or ())
            chosen = [c for c in cases.values() if c.tags & wanted]
        return sorted(chosen, key=lambda c: c.id)


class RandomDays(_Strict):
    """`{random: N}`: N days of the window, chosen pseudo-randomly but the same on every run."""

    random: int = Field(ge=1)


class TimeRange(_Strict):
    """`{between: ["08:00", "11:30"]}`: a pseudo-random minute in the range, the same on every
    run for a given date."""

    between: tuple[time, time]

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.between[1] <= self.between[0]:
            raise ValueError(_("the end of the time range must be after its start"))
        return self


class FollowUp(_Strict):
    """`audience: {not_acknowledged: P, after: "4h"}`: the push goes to those push P of the same
    campaign asked who have not acknowledged, at least `after` past P's occurrence."""

    not_acknowledged: Slug
    after: timedelta = timedelta(hours=4)

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, value: Any) -> timedelta:
        after = parse_duration(value)
        if not timedelta(0) <= after <= LONGEST_WITHIN:
            raise ValueError(_("a follow-up may come up to 7 days after its question"))
        return after


class Push(_Strict):
    """One kind of message of a campaign: who gets it, which words, on which days, at what time."""

    id: Slug
    description: str = ""
    #: Group names; a follow-up's are those of the push it follows (set by `Campaign`).
    audience: tuple[str, ...] = ()
    #: Set when the audience is `{not_acknowledged: P, after: …}` (a follow-up of push P).
    follow_up: FollowUp | None = None
    template: str
    cases: Literal["all"] | CaseSelection | None = None
    days: Literal["daily"] | RandomDays | tuple[DateExpr, ...] = "daily"
    send_at: time | TimeRange = time(8, 30)
    max_segments: int | None = Field(default=None, ge=1)
    #: The gateways this push goes through, in order: the first sends, each next one takes
    #: what is left when the one before is down (failover). None: the config's `gateway`.
    gateways: tuple[str, ...] | None = Field(default=None, min_length=1)
    #: The push asks its readers to answer (`reminder.inputs.acks`); None: it does not.
    ack: Ack | None = None

    @model_validator(mode="before")
    @classmethod
    def _follow_up(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("audience"), dict):
            return {**data, "audience": (), "follow_up": data["audience"]}
        return data

    @field_validator("audience", mode="before")
    @classmethod
    def _audience(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _some_audience(self) -> Push:
        if not self.audience and self.follow_up is None:
            raise ValueError(_("push {id!r}: list at least one group").format(id=self.id))
        return self

    @field_validator("gateways", mode="before")
    @classmethod
    def _gateways(cls, value: Any) -> Any:
        value = (value,) if isinstance(value, str) else value
        if isinstance(value, list | tuple) and len(set(value)) != len(value):
            raise ValueError("a gateway is named twice")
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if not value:
                raise ValueError(_("list at least one day, or write 'daily'"))
            return tuple(parse_date_expr(item) for item in value)
        return value

    def case_pool(self, cases: dict[str, Case]) -> list[Case]:
        """The cases this push rotates through (empty when it sends none)."""
        if self.cases is None:
            return []
        if self.cases == "all":
            return sorted(cases.values(), key=lambda c: c.id)
        assert isinstance(self.cases, CaseSelection)
        return self.cases.pick(cases)

    def times(self) -> tuple[time, time]:
        """The earliest and latest time of day this push may send at."""
        if isinstance(self.send_at, TimeRange):
            return self.send_at.between
        return self.send_at, self.send_at


class Window(_Strict):
    """The first and last day (inclusive) on which the campaign sends: dates, or expressions
    relative to the festival (see `reminder.calendar.windows`)."""

    start: DateExpr
    end: DateExpr

    @field_validator("start", "end", mode="before")
    @classmethod
    def _expression(cls, value: Any) -> DateExpr:
        return value if isinstance(value, DateExpr) else parse_date_expr(value)

    @property
    def fixed_year(self) -> int | None:
        """The year of a window given as dates (None for a festival-relative window)."""
        if self.start.fixed is not None:
            return self.start.fixed.year
        return self.end.fixed.year if self.end.fixed is not None else None


class CampaignApproval(_Strict):
    """A campaign's own approval rule, on top of the config's: `required: true` makes its
    occurrences need approval even through the console or file gateway (a rehearsal that must
    be approved as the real sending will be). A campaign cannot waive what the config requires."""

    required: bool = False

    @field_validator("required")
    @classmethod
    def _only_adds(cls, value: bool) -> bool:
        if not value:
            raise ValueError(
                _("a campaign can only add approval (required: true); the config decides the rest")
            )
        return value


class Campaign(_Strict):
    """A validated campaign file."""

    id: Slug
    name: str
    festival: Festival
    timezone: str | None = None
    window: Window
    pushes: tuple[Push, ...] = Field(min_length=1)
    approval: CampaignApproval = Field(default_factory=CampaignApproval)

    @field_validator("pushes")
    @classmethod
    def _unique_pushes(cls, pushes: tuple[Push, ...]) -> tuple[Push, ...]:
        seen: set[str] = set()
        for push in pushes:
            if push.id in seen:
                raise ValueError(_("two pushes have the id {id!r}").format(id=push.id))
            seen.add(push.id)
        return tuple(_followed(push, pushes) for push in pushes)

    def push(self, push_id: str) -> Push:
        """One push by id (KeyError when there is none)."""
        for push in self.pushes:
            if push.id == push_id:
                return push
        raise KeyError(push_id)

    def window_for(self, year: int) -> ResolvedWindow:
        """The window of festival year `year` (a window given as dates has only its own year)."""
        return resolve_window(
            self.window.start, self.window.end, self.festival, self.window.fixed_year or year
        )

    def windows_between(self, first: date, last: date) -> list[ResolvedWindow]:
        """Every window that overlaps the dates from `first` to `last`."""
        if self.window.fixed_year is not None:
            candidates = [self.window_for(self.window.fixed_year)]
        else:
            years = range(max(first.year - 1, FIRST_YEAR), min(last.year + 1, LAST_YEAR) + 1)
            candidates = [self.window_for(year) for year in years]
        seen: dict[date, ResolvedWindow] = {}
        for window in candidates:
            if window.end >= first and window.start <= last:
                seen.setdefault(window.start, window)
        return [seen[key] for key in sorted(seen)]

    def window_containing(self, day: date) -> ResolvedWindow | None:
        """The window that `day` falls in, if any."""
        windows = self.windows_between(day, day)
        return windows[0] if windows else None


def _followed(push: Push, pushes: tuple[Push, ...]) -> Push:
    """A follow-up with the audience of the push it follows (which must ask for an answer)."""
    if push.follow_up is None:
        return push
    name = push.follow_up.not_acknowledged
    asked = next((p for p in pushes if p.id == name), None)
    if asked is None or asked.ack is None or asked.follow_up is not None:
        raise ValueError(
            _(
                "push {id!r} follows {name!r}, which is no push of this campaign that asks "
                "for an answer"
            ).format(id=push.id, name=name)
        )
    return push.model_copy(update={"audience": asked.audience})


@dataclass(frozen=True)
class CampaignFile:
    """A campaign with the file it came from, for locating later problems."""

    campaign: Campaign
    file: str
    data: LineDict

    def line(self, *loc: Any) -> int | None:
        """The line of a field of the file, e.g. `line("pushes", 0, "template")`."""
        return line_of(self.data, loc)


def load_campaigns(folder: Path, problems: list[Problem]) -> dict[str, CampaignFile]:
    """Every campaign file of `folder`, by campaign id; problems are appended, not raised."""
    campaigns: dict[str, CampaignFile] = {}
    if not folder.is_dir():
        problems.append(Problem(display_path(folder), _("campaigns folder does not exist")))
        return campaigns
    for name, data in yaml_files(folder, problems):
        if not isinstance(data, LineDict):
            problems.append(Problem(name, _("a campaign file is a mapping"), line=1))
            continue
        campaign = parse_model(Campaign, data, name, problems)
        if campaign is None:
            continue
        if campaign.id in campaigns:
            other = campaigns[campaign.id].file
            problems.append(
                Problem(
                    name,
                    _("campaign id {id!r} is also used by {other}").format(
                        id=campaign.id, other=other
                    ),
                    line=data.key_lines.get("id"),
                )
            )
            continue
        campaigns[campaign.id] = CampaignFile(campaign, name, data)
    return campaigns
