from reminder.inputs.cases import Case
from reminder.planning.rotation import case_for, case_order


def pool(size: int, prefix: str = "k") -> list[Case]:
    return [Case(id=f"{prefix}{i:02d}", title=f"t{i}", summary="s", year=2024) for i in range(size)]


def test_same_inputs_give_the_same_case() -> None:
    cases = pool(8)
    assert case_for(cases, "spring", "c001", 3) == case_for(
        list(reversed(cases)), "spring", "c001", 3
    )


def test_recipients_get_different_orders() -> None:
    cases = pool(10)
    orders = {tuple(c.id for c in case_order(cases, "spring", f"c{i:03d}")) for i in range(20)}
    assert len(orders) > 15


def test_no_case_repeats_until_the_pool_is_exhausted() -> None:
    cases = pool(7)
    for cadre in ("c001", "c002", "c003"):
        for rank in (0, 1, 2):
            days = [case_for(cases, "spring", cadre, day, rank).id for day in range(22)]
            for start in range(len(days) - 6):
                window = days[start : start + 7]
                assert len(set(window)) == 7, (cadre, rank, days)


def test_a_spouse_never_reads_the_cadres_case_of_the_day() -> None:
    cases = pool(5)
    for day in range(30):
        cadre_case = case_for(cases, "spring", "c001", day, 0)
        spouse_case = case_for(cases, "spring", "c001", day, 1)
        child_case = case_for(cases, "spring", "c001", day, 2)
        assert len({cadre_case.id, spouse_case.id, child_case.id}) == 3


def test_a_family_pool_skips_the_case_the_cadre_reads() -> None:
    everything = pool(6)
    family_pool = everything[:3]
    for day in range(30):
        cadre_case = case_for(everything, "spring", "c001", day, 0)
        spouse_case = case_for(family_pool, "spring", "c001", day, 1, avoid={cadre_case.id})
        assert spouse_case.id != cadre_case.id


def test_empty_pool_gives_no_case() -> None:
    assert case_for([], "spring", "c001", 0) is None
