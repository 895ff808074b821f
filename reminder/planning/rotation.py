"""Which case a person reads: the rule, for one pool of cases and one reader.

Of the cases of the pool the reader may be sent (`Pool.allowed`):
- none about the reader's surname — nor, for a family member, about their cadre's — while the
  pool has any other case (`Case.surnames`: "朱某" is not sent to 朱平 nor to 朱平's spouse);
- none the reader's cadre reads that day, and none the reader reads that day through an
  earlier push, while any other case is left (`avoid`);
the reader gets a case they have never read ("fresh"), chosen pseudo-randomly from a hash of
the seed (reader, campaign, push, date: the same on every run and every machine); once they
have read every allowed case, the one they read longest ago ("least recently read"). So no
case comes twice before every case the reader may be sent has come once, counted over all
they have received (`reminder.planning.history`), across pushes, campaigns and years.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache
from math import gcd
from typing import NamedTuple

from reminder.inputs.cases import Case

#: When a person read a case: (occurrence, campaign, push) of the message, in that order.
ReadAt = tuple[date, str, str]


class Why(StrEnum):
    """Why a case was chosen for a reader."""

    #: The reader has never read it.
    fresh = "fresh"
    #: The reader has read every case they may be sent; this one longest ago.
    least_recent = "least_recent"


class Choice(NamedTuple):
    """The case a reader gets, why, and when they last read it (None: never). A tuple: made for
    every message planned, and a frozen dataclass costs ~0.5 µs more to build."""

    case: Case
    why: Why
    last_read: ReadAt | None = None


@lru_cache(maxsize=256)
def _steps(size: int) -> tuple[int, ...]:
    """The steps that walk `size` items without repeating (coprime with `size`)."""
    return tuple(s for s in range(1, size + 1) if gcd(s, size) == 1) or (1,)


class Pool:
    """One push's cases, sorted by id once, and the choice of a reader's case from them."""

    def __init__(self, cases: Sequence[Case]) -> None:
        self.ordered = tuple(sorted(cases, key=lambda c: c.id))
        self._allowed: dict[frozenset[str], tuple[Case, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.ordered)

    def allowed(self, surnames: frozenset[str]) -> tuple[Case, ...]:
        """The cases a reader with `surnames` (theirs, and their cadre's) may be sent: none
        about those surnames, unless every case of the pool is."""
        found = self._allowed.get(surnames)
        if found is None:
            found = tuple(c for c in self.ordered if not c.surnames & surnames) or self.ordered
            self._allowed[surnames] = found
        return found

    def choose(
        self,
        seed: str,
        read: Mapping[str, ReadAt],
        surnames: frozenset[str] = frozenset(),
        avoid: Collection[str] = (),
    ) -> Choice | None:
        """The case for one reader (see the module docstring): `read` holds when they last read
        each case, `surnames` the surnames they must not be sent, `avoid` the cases of their
        day (their cadre's, their earlier pushes'). None for an empty pool."""
        candidates = self.allowed(surnames)
        if not candidates:
            return None
        if avoid:
            narrowed = tuple(c for c in candidates if c.id not in avoid)
            candidates = narrowed or candidates
        size = len(candidates)
        if size > len(read) or any(c.id not in read for c in candidates):
            # CRC-32, spread by a multiplicative hash: the same on every machine, and a fifth of
            # the cost of a cryptographic digest, per message planned.
            mixed = (zlib.crc32(seed.encode()) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
            steps = _steps(size)
            offset, step = (mixed >> 32) % size, steps[(mixed >> 8) % len(steps)]
            for k in range(size):
                case = candidates[(offset + k * step) % size]
                if case.id not in read:
                    return Choice(case, Why.fresh)
        oldest = min(candidates, key=lambda c: read[c.id])
        return Choice(oldest, Why.least_recent, read[oldest.id])


def seed_of(contact_id: str, campaign: str, push: str, day: date) -> str:
    """The seed of one reader's choice on one occurrence (the reader's id first: planning
    works out the rest once per occurrence)."""
    return f"{contact_id}\x00{campaign}\x00{push}\x00{day.isoformat()}"
