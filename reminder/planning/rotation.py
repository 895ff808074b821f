"""Which case each recipient reads on each day of a campaign.

Every cadre has a fixed, pseudo-random order of the case pool (sorted by id), derived from a hash
of (campaign, cadre id): an offset and a step coprime with the pool size, so entry k of the order
is case `(offset + k * step) mod n`. The choice is the same on every run and on every machine,
costs one hash, and on day k of the window the cadre reads entry k (wrapping round once the pool
is used up, so no case repeats before the pool is exhausted). The i-th family member of a cadre
(by id) reads entry k + i of the cadre's order: never the cadre's case of the day while the pool
has more than `family size` cases, and likewise never repeating. When a family push draws on
another pool than the cadre's push, the family member's case steps forward past any case the
cadre reads that day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from functools import lru_cache
from math import gcd

from reminder.inputs.cases import Case


@lru_cache(maxsize=256)
def _steps(size: int) -> tuple[int, ...]:
    """The steps that walk a pool of `size` cases without repeating (coprime with `size`)."""
    return tuple(s for s in range(1, size + 1) if gcd(s, size) == 1) or (1,)


class Rotation:
    """One pool of cases, sorted by id once, and each cadre's walk through it."""

    def __init__(self, pool: Sequence[Case]) -> None:
        self.ordered = tuple(sorted(pool, key=lambda c: c.id))
        self._steps = _steps(len(self.ordered)) if self.ordered else (1,)

    def _affine(self, campaign: str, cadre_id: str) -> tuple[int, int]:
        digest = hashlib.sha256(f"{campaign}\x00{cadre_id}".encode()).digest()
        offset = int.from_bytes(digest[:8], "big") % len(self.ordered)
        return offset, self._steps[int.from_bytes(digest[8:16], "big") % len(self._steps)]

    def order(self, campaign: str, cadre_id: str) -> list[Case]:
        """The cadre's own fixed order of the pool."""
        offset, step = self._affine(campaign, cadre_id)
        size = len(self.ordered)
        return [self.ordered[(offset + k * step) % size] for k in range(size)]

    def pick(
        self,
        campaign: str,
        cadre_id: str,
        day_index: int,
        family_rank: int = 0,
        avoid: Collection[str] = (),
    ) -> Case | None:
        """Entry `day_index + family_rank` of the cadre's order, stepping past `avoid`."""
        if not self.ordered:
            return None
        offset, step = self._affine(campaign, cadre_id)
        size = len(self.ordered)
        start = day_index + family_rank
        for extra in range(size if avoid else 1):
            case = self.ordered[(offset + (start + extra) * step) % size]
            if case.id not in avoid:
                return case
        return self.ordered[(offset + start * step) % size]


def case_order(pool: Sequence[Case], campaign: str, cadre_id: str) -> list[Case]:
    """The cadre's own fixed order of the pool (sorted by id first, so file order is irrelevant)."""
    return Rotation(pool).order(campaign, cadre_id) if pool else []


def case_for(
    pool: Sequence[Case],
    campaign: str,
    cadre_id: str,
    day_index: int,
    family_rank: int = 0,
    avoid: Collection[str] = (),
) -> Case | None:
    """The case for day `day_index` (0 = first day of the window).

    `family_rank` is 0 for the cadre and 1, 2, … for the cadre's family members in id order;
    `avoid` holds the ids of the cases the cadre reads that day (skipped when possible).
    Planning keeps one `Rotation` per pool instead of calling this for every message.
    """
    return Rotation(pool).pick(campaign, cadre_id, day_index, family_rank, avoid)
