"""The rule that picks a reader's case (`reminder.planning.rotation.Pool.choose`)."""

from __future__ import annotations

from datetime import date, timedelta

from reminder.inputs.cases import Case
from reminder.planning.rotation import Pool, ReadAt, Why, seed_of

DAY = date(2027, 1, 30)


def pool(size: int, prefix: str = "k", surnames: dict[int, str] | None = None) -> list[Case]:
    surnames = surnames or {}
    return [
        Case(
            id=f"{prefix}{i:02d}",
            title=f"t{i}",
            summary=f"某局处长{surnames[i]}某违规。" if i in surnames else "某单位违规。",
            year=2024,
        )
        for i in range(size)
    ]


def read_for(
    cases: Pool, days: int, reader: str = "c001", surnames: frozenset[str] = frozenset()
) -> list[str]:
    """What a reader reads over `days` days of one daily push, starting with nothing read."""
    read: dict[str, ReadAt] = {}
    got = []
    for i in range(days):
        day = DAY + timedelta(days=i)
        choice = cases.choose(seed_of(reader, "spring", "daily", day), read, surnames)
        assert choice is not None
        read[choice.case.id] = (day, "spring", "daily")
        got.append(choice.case.id)
    return got


def test_same_inputs_give_the_same_case_whatever_the_file_order() -> None:
    cases = pool(8)
    seed = seed_of("c001", "spring", "daily", DAY)
    one = Pool(cases).choose(seed, {})
    other = Pool(list(reversed(cases))).choose(seed, {})
    assert one == other and one is not None and one.why is Why.fresh


def test_readers_start_at_different_cases() -> None:
    cases = Pool(pool(10))
    first = {read_for(cases, 1, reader=f"c{i:03d}")[0] for i in range(40)}
    assert len(first) > 5


def test_no_case_repeats_until_every_case_is_read_then_the_oldest_comes_first() -> None:
    cases = Pool(pool(7))
    for reader in ("c001", "c002", "c003"):
        days = read_for(cases, 22, reader)
        for start in range(len(days) - 6):
            assert len(set(days[start : start + 7])) == 7, (reader, days)
        assert days[7:14] == days[:7], "after the first round: least recently read first"


def test_least_recently_read_says_when() -> None:
    cases = Pool(pool(2))
    earlier = DAY - timedelta(days=200)
    read: dict[str, ReadAt] = {"k00": (DAY, "spring", "daily"), "k01": (earlier, "mid", "daily")}
    choice = cases.choose(seed_of("c001", "spring", "daily", DAY), read)
    assert choice is not None
    assert (choice.case.id, choice.why, choice.last_read) == (
        "k01",
        Why.least_recent,
        (earlier, "mid", "daily"),
    )


def test_a_case_about_the_readers_surname_is_never_chosen_while_others_remain() -> None:
    cases = Pool(pool(5, surnames={2: "朱", 4: "欧阳"}))
    got = read_for(cases, 12, surnames=frozenset({"朱"}))
    assert "k02" not in got and "k04" in got
    got = read_for(cases, 12, surnames=frozenset({"朱", "欧阳"}))
    assert not {"k02", "k04"} & set(got)


def test_a_pool_about_nothing_but_the_readers_surname_still_sends() -> None:
    cases = Pool(pool(2, surnames={0: "朱", 1: "朱"}))
    assert cases.allowed(frozenset({"朱"})) == cases.ordered
    assert set(read_for(cases, 2, surnames=frozenset({"朱"}))) == {"k00", "k01"}


def test_avoided_cases_are_skipped_when_another_is_left() -> None:
    cases = Pool(pool(3))
    seed = seed_of("f001", "spring", "family", DAY)
    for avoided in ("k00", "k01", "k02"):
        choice = cases.choose(seed, {}, avoid={avoided})
        assert choice is not None and choice.case.id != avoided
    only = Pool(pool(1)).choose(seed, {}, avoid={"k00"})
    assert only is not None and only.case.id == "k00"


def test_fresh_beats_avoided_and_stale() -> None:
    cases = Pool(pool(3))
    read: dict[str, ReadAt] = {"k00": (DAY, "spring", "daily")}
    choice = cases.choose(seed_of("f001", "spring", "family", DAY), read, avoid={"k01"})
    assert choice is not None and (choice.case.id, choice.why) == ("k02", Why.fresh)


def test_empty_pool_gives_no_case() -> None:
    assert Pool([]).choose(seed_of("c001", "spring", "daily", DAY), {}) is None
