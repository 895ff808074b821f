"""Acknowledgement questions: a push may ask its readers to answer (`ack:` in a campaign file),
and the words an answer is compared in.

A reply and a keyword are compared after `normalise_reply`: NFKC (full-width digits and letters
become half-width), case folded, and every space, punctuation mark and control character left
out, so " 1 。", "１" and "1" are the same answer.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reminder.i18n import _

#: The longest time a question stays open: matching reads no further back than this.
LONGEST_WITHIN = timedelta(days=7)

#: The default instruction: part of the message, so in the messages' language (the templates'),
#: not the operator's.
DEFAULT_INSTRUCTION = "回复{keyword}确认"

_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any) -> timedelta:
    """`"24h"`, `"90m"`, `"2d"` as a timedelta (ValueError for anything else)."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(_("write a duration such as '30m', '4h' or '2d'"))
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{_UNITS[unit]: amount})


def normalise_reply(text: str) -> str:
    """`text` as answers are compared: NFKC, case folded, without spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PZC")


class Ack(BaseModel):
    """`ack: {keywords: [...], within: "24h"}`: the push asks for an answer; a reply that is one
    of `keywords` within `within` of the message acknowledges it. `instruction` is what the
    template shows (its `ack` variable); by default it names the first keyword. `commitment`
    makes an answer a signed commitment (节日廉洁承诺) kept once per `family` (a cadre and their
    family members) or per `person` (`reminder commitments`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: tuple[str, ...] = Field(min_length=1)
    within: timedelta = timedelta(hours=24)
    instruction: str | None = None
    commitment: Literal["family", "person"] | None = None

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, keywords: tuple[str, ...]) -> tuple[str, ...]:
        for keyword in keywords:
            if not normalise_reply(keyword):
                raise ValueError(
                    _("keyword {keyword!r} is only spaces or punctuation").format(keyword=keyword)
                )
        return keywords

    @field_validator("within", mode="before")
    @classmethod
    def _within(cls, value: Any) -> timedelta:
        within = parse_duration(value)
        if not timedelta(0) < within <= LONGEST_WITHIN:
            raise ValueError(_("an answer may be awaited for up to 7 days"))
        return within

    @model_validator(mode="after")
    def _distinct(self) -> Ack:
        if len(self.normalised) != len(self.keywords):
            raise ValueError(_("two keywords are the same once spaces and width are ignored"))
        return self

    @property
    def normalised(self) -> frozenset[str]:
        """The keywords as replies are compared with them."""
        return frozenset(normalise_reply(k) for k in self.keywords)

    def instruction_text(self) -> str:
        """What the template's `ack` variable says."""
        if self.instruction is not None:
            return self.instruction
        return DEFAULT_INSTRUCTION.format(keyword=self.keywords[0])
