"""The ordered scale of cadre ranks, and rank ranges such as `>= deputy_division`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from reminder.i18n import _


class Rank(IntEnum):
    """Civil-service leadership ranks, lowest first; comparison follows seniority."""

    clerk = 10
    section_member = 20
    deputy_section = 30
    section = 40
    deputy_division = 50
    division = 60
    deputy_bureau = 70
    bureau = 80
    deputy_ministry = 90
    ministry = 100

    @property
    def label(self) -> str:
        """The Chinese name of the rank, as written in personnel files."""
        return LABELS[self]


LABELS: dict[Rank, str] = {
    Rank.clerk: "办事员",
    Rank.section_member: "科员",
    Rank.deputy_section: "副科级",
    Rank.section: "正科级",
    Rank.deputy_division: "副处级",
    Rank.division: "正处级",
    Rank.deputy_bureau: "副厅级",
    Rank.bureau: "正厅级",
    Rank.deputy_ministry: "副部级",
    Rank.ministry: "正部级",
}
_BY_LABEL = {label: rank for rank, label in LABELS.items()}


def parse_rank(text: str) -> Rank:
    """A rank from its id (`deputy_division`) or its Chinese label (`副处级`)."""
    key = str(text).strip()
    if key in Rank.__members__:
        return Rank[key]
    if key in _BY_LABEL:
        return _BY_LABEL[key]
    names = ", ".join(Rank.__members__)
    raise ValueError(_("unknown rank {key!r}; ranks are: {names}").format(key=key, names=names))


@dataclass(frozen=True)
class RankRange:
    """An inclusive range of ranks; either end may be open."""

    low: Rank | None = None
    high: Rank | None = None

    def __contains__(self, rank: object) -> bool:
        if not isinstance(rank, Rank):
            return False
        return (self.low is None or rank >= self.low) and (self.high is None or rank <= self.high)


_COMPARISON = re.compile(r"^\s*(>=|<=|>|<|==)?\s*([\w\u4e00-\u9fff]+)\s*$")


def parse_rank_range(text: str) -> RankRange:
    """Parse `>= deputy_division`, `< bureau`, `== section`, `section..bureau` or a bare rank."""
    if ".." in text:
        low, high = (part.strip() for part in text.split("..", 1))
        rank_range = RankRange(parse_rank(low) if low else None, parse_rank(high) if high else None)
        if rank_range.low and rank_range.high and rank_range.low > rank_range.high:
            raise ValueError(_("rank range {text!r} is empty").format(text=text))
        return rank_range
    match = _COMPARISON.match(text)
    if not match:
        raise ValueError(
            _("cannot read rank condition {text!r}; write e.g. '>= deputy_division'").format(
                text=text
            )
        )
    operator, name = match.group(1) or "==", match.group(2)
    rank = parse_rank(name)
    ranks = sorted(Rank)
    index = ranks.index(rank)
    if operator == ">=":
        return RankRange(rank, None)
    if operator == "<=":
        return RankRange(None, rank)
    if operator == ">":
        if index + 1 == len(ranks):
            raise ValueError(_("no rank is above {name}").format(name=name))
        return RankRange(ranks[index + 1], None)
    if operator == "<":
        if index == 0:
            raise ValueError(_("no rank is below {name}").format(name=name))
        return RankRange(None, ranks[index - 1])
    return RankRange(rank, rank)
