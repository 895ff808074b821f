"""Campaign files (`campaigns/*.yaml`): a festival, a window around it, and its pushes.

The window's `start` and `end` are dates in this version. The field is a mapping so that
festival-relative bounds (`festival: mid_autumn`, `start: -3d`) can be added without a format break.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reminder.cases import Case
from reminder.errors import InputError, Problem, display_path
from reminder.festivals import Festival, nearest_festival_date
from reminder.sources import LineDict, line_of, load_yaml, parse_model

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseSelection(_Strict):
    """Which cases a push rotates through: all, some tags, or a list of ids."""

    tags: tuple[str, ...] | None = None
    ids: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one(self) -> CaseSelection:
        if (self.tags is None) == (self.ids is None):
            raise ValueError("give either tags or ids (or write 'cases: all')")
        return self

    def pick(self, cases: dict[str, Case]) -> list[Case]:
        """The selected cases, ordered by id."""
        if self.ids is not None:
            chosen = [cases[i] for i in self.ids if i in cases]
        else:
            wanted = set(self.tags or ())
            chosen = [c for c in cases.values() if c.tags & wanted]
        return sorted(chosen, key=lambda c: c.id)


class Push(_Strict):
    """One kind of message of a campaign: who gets it, which words, at what time of day."""

    id: str
    description: str = ""
    audience: tuple[str, ...] = Field(min_length=1)
    template: str
    cases: Literal["all"] | CaseSelection | None = None
    send_at: time = time(8, 30)
    max_segments: int | None = Field(default=None, ge=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_'")
        return value

    @field_validator("audience", mode="before")
    @classmethod
    def _audience(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    def case_pool(self, cases: dict[str, Case]) -> list[Case]:
        """The cases this push rotates through (empty when it sends none)."""
        if self.cases is None:
            return []
        if self.cases == "all":
            return sorted(cases.values(), key=lambda c: c.id)
        assert isinstance(self.cases, CaseSelection)
        return self.cases.pick(cases)


class Window(_Strict):
    """The first and last date (inclusive) on which the campaign sends."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError("window end is before its start")
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def days(self) -> list[date]:
        """Every date of the window."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


class Campaign(_Strict):
    """A validated campaign file."""

    id: str
    name: str
    festival: Festival
    timezone: str | None = None
    window: Window
    pushes: tuple[Push, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '-' and '_'")
        return value

    @field_validator("pushes")
    @classmethod
    def _unique_pushes(cls, pushes: tuple[Push, ...]) -> tuple[Push, ...]:
        seen: set[str] = set()
        for push in pushes:
            if push.id in seen:
                raise ValueError(f"two pushes have the id {push.id!r}")
            seen.add(push.id)
        return pushes

    @property
    def festival_date(self) -> date:
        """The date of the festival this campaign's window is built around."""
        return nearest_festival_date(self.festival, self.window.start, self.window.end)

    def push(self, push_id: str) -> Push:
        """One push by id (KeyError when there is none)."""
        for push in self.pushes:
            if push.id == push_id:
                return push
        raise KeyError(push_id)


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
        problems.append(Problem(display_path(folder), "campaigns folder does not exist"))
        return campaigns
    for path in sorted(folder.glob("*.y*ml")):
        name = display_path(path)
        try:
            data = load_yaml(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(data, LineDict):
            problems.append(Problem(name, "a campaign file is a mapping", line=1))
            continue
        campaign = parse_model(Campaign, data, name, problems)
        if campaign is None:
            continue
        if campaign.id in campaigns:
            other = campaigns[campaign.id].file
            problems.append(
                Problem(
                    name,
                    f"campaign id {campaign.id!r} is also used by {other}",
                    line=data.key_lines.get("id"),
                )
            )
            continue
        campaigns[campaign.id] = CampaignFile(campaign, name, data)
    return campaigns
