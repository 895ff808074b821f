import pytest

from reminder.inputs.ranks import Rank, RankRange, parse_rank, parse_rank_range


def test_ranks_are_ordered_by_seniority() -> None:
    assert Rank.clerk < Rank.section < Rank.deputy_division < Rank.division < Rank.bureau


def test_rank_from_id_or_chinese_label() -> None:
    assert parse_rank("deputy_division") is Rank.deputy_division
    assert parse_rank("副处级") is Rank.deputy_division
    with pytest.raises(ValueError, match="unknown rank"):
        parse_rank("general")


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        (">= deputy_division", [Rank.deputy_division, Rank.bureau], [Rank.section]),
        ("> deputy_division", [Rank.division], [Rank.deputy_division]),
        ("<= section", [Rank.clerk, Rank.section], [Rank.deputy_division]),
        ("< section", [Rank.deputy_section], [Rank.section]),
        ("== division", [Rank.division], [Rank.deputy_division, Rank.deputy_bureau]),
        ("division", [Rank.division], [Rank.bureau]),
        ("deputy_section..section", [Rank.deputy_section, Rank.section], [Rank.deputy_division]),
        (">= 副处级", [Rank.division], [Rank.section]),
    ],
)
def test_rank_ranges(text: str, inside: list[Rank], outside: list[Rank]) -> None:
    rank_range = parse_rank_range(text)
    assert all(rank in rank_range for rank in inside)
    assert not any(rank in rank_range for rank in outside)


def test_no_rank_is_outside_every_range() -> None:
    assert None not in RankRange(None, None)


@pytest.mark.parametrize("text", ["bureau..section", "> ministry", "< clerk", ">= nothing", "?!"])
def test_bad_rank_ranges_are_errors(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rank_range(text)
