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

from reminder.cases import Case


@lru_cache(maxsize=4096)
def _sorted_pool(pool: tuple[Case, ...]) -> tuple[Case, ...]:
    return tuple(sorted(pool, key=lambda c: c.id))


@lru_cache(maxsize=256)
def _steps(size: int) -> tuple[int, ...]:
    """The steps that walk a pool of `size` cases without repeating (coprime with `size`)."""
    return tuple(s for s in range(1, size + 1) if gcd(s, size) == 1) or (1,)


def _affine(campaign: str, cadre_id: str, size: int) -> tuple[int, int]:
    digest = hashlib.sha256(f"{campaign}\x00{cadre_id}".encode()).digest()
    offset = int.from_bytes(digest[:8], "big") % size
    steps = _steps(size)
    return offset, steps[int.from_bytes(digest[8:16], "big") % len(steps)]


def case_order(pool: Sequence[Case], campaign: str, cadre_id: str) -> list[Case]:
    """The cadre's own fixed order of the pool (sorted by id first, so file order is irrelevant)."""
    ordered = _sorted_pool(tuple(pool))
    offset, step = _affine(campaign, cadre_id, len(ordered))
    return [ordered[(offset + k * step) % len(ordered)] for k in range(len(ordered))]


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
    """
    if not pool:
        return None
    order = case_order(pool, campaign, cadre_id)
    start = day_index + family_rank
    for extra in range(len(order)):
        case = order[(start + extra) % len(order)]
        if case.id not in avoid:
            return case
    return order[start % len(order)]
