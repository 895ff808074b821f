"""Which case each recipient reads on each day of a campaign.

Every cadre has a fixed, pseudo-random order of the case pool, derived from a hash of
(campaign, cadre id), so the choice is the same on every run and on every machine. On day k of
the window the cadre reads entry k of that order (wrapping round once the pool is used up, so no
case repeats before the pool is exhausted). The i-th family member of a cadre (by id) reads entry
k + i of the cadre's order: never the cadre's case of the day while the pool has more than
`family size` cases, and likewise never repeating. When a family push draws on another pool than
the cadre's push, the family member's case steps forward past any case the cadre reads that day.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Sequence

from reminder.cases import Case


def case_order(pool: Sequence[Case], campaign: str, cadre_id: str) -> list[Case]:
    """The cadre's own fixed order of the pool (sorted by id first, so file order is irrelevant)."""
    ordered = sorted(pool, key=lambda c: c.id)
    seed = hashlib.sha256(f"{campaign}\x00{cadre_id}".encode()).digest()
    random.Random(seed).shuffle(ordered)
    return ordered


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
    for step in range(len(order)):
        case = order[(start + step) % len(order)]
        if case.id not in avoid:
            return case
    return order[start % len(order)]
