import pytest

from reminder.contacts import Contact, ContactBook
from reminder.errors import Problem
from reminder.groups import audience, load_groups, resolve
from reminder.ranks import Rank
from reminder.sources import LineDict


def book_of(*contacts: Contact, groups: dict) -> ContactBook:
    book = ContactBook()
    for contact in contacts:
        book.contacts[contact.id] = contact
    mapping = LineDict(groups)
    mapping.key_lines = {name: i + 2 for i, name in enumerate(groups)}
    book.group_sources.append(("groups.yaml", mapping))
    return book


PEOPLE = (
    Contact(
        id="c1",
        name="甲",
        phone="+8613800000001",
        rank=Rank.bureau,
        unit="财政局",
        tags=frozenset({"key_post"}),
    ),
    Contact(id="c2", name="乙", phone="+8613800000002", rank=Rank.deputy_division, unit="教育局"),
    Contact(id="c3", name="丙", phone="+8613800000003", rank=Rank.section, unit="财政局"),
    Contact(id="f1", name="丁", phone="+8613900000001", family_of="c1", relation="spouse"),
    Contact(id="f2", name="戊", phone="+8613900000002", family_of="c1", relation="child"),
    Contact(id="f3", name="己", phone="+8613900000003", family_of="c3", relation="spouse"),
)


def ids(contacts: list[Contact]) -> list[str]:
    return [c.id for c in contacts]


def test_filters_select_cadres_only() -> None:
    book = book_of(
        *PEOPLE,
        groups={
            "leading": {"rank": ">= deputy_division"},
            "finance": {"units": ["财政局"]},
            "key": {"tags": ["key_post"]},
            "finance_leading": {"units": ["财政局"], "rank": ">= division"},
        },
    )
    problems: list[Problem] = []
    groups = load_groups(book, problems)
    assert problems == []
    assert ids(resolve("leading", groups, book)) == ["c1", "c2"]
    assert ids(resolve("finance", groups, book)) == ["c1", "c3"]
    assert ids(resolve("key", groups, book)) == ["c1"]
    assert ids(resolve("finance_leading", groups, book)) == ["c1"]


def test_family_of_a_group_with_relations() -> None:
    book = book_of(
        *PEOPLE,
        groups={
            "leading": {"rank": ">= deputy_division"},
            "leading_spouses": {"family_of": "leading", "relations": ["spouse"]},
            "leading_families": {"family_of": "leading"},
        },
    )
    groups = load_groups(book, [])
    assert ids(resolve("leading_spouses", groups, book)) == ["f1"]
    assert ids(resolve("leading_families", groups, book)) == ["f1", "f2"]


def test_union_and_audience_give_each_person_once() -> None:
    book = book_of(
        *PEOPLE,
        groups={
            "finance": {"units": ["财政局"]},
            "leading": {"rank": ">= deputy_division"},
            "both": {"union": ["finance", "leading"]},
            "named": {"ids": ["c3", "f3"]},
        },
    )
    groups = load_groups(book, [])
    assert ids(resolve("both", groups, book)) == ["c1", "c2", "c3"]
    assert ids(audience(("finance", "leading", "named"), groups, book)) == ["c1", "c2", "c3", "f3"]


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ({"a": {"union": ["missing"]}}, "unknown group 'missing'"),
        ({"a": {"family_of": "nobody"}}, "unknown group 'nobody'"),
        ({"a": {"union": ["b"]}, "b": {"union": ["a"]}}, "includes itself"),
        ({"a": {"ids": ["c1"], "rank": ">= section"}}, "exactly one of"),
        ({"a": {}}, "exactly one of"),
        ({"a": {"rank": ">= colonel"}}, "unknown rank"),
        ({"a": {"ids": ["c9"]}}, "no contact has id 'c9'"),
        ({"a": {"rank": ">= section", "relations": ["spouse"]}}, "relations only goes with"),
        ({"a": {"colour": "red"}}, "unknown field"),
    ],
)
def test_bad_groups_are_located_errors(groups: dict, message: str) -> None:
    book = book_of(*PEOPLE, groups=groups)
    problems: list[Problem] = []
    load_groups(book, problems)
    assert problems, "expected a problem"
    assert any(message in str(p) for p in problems), [str(p) for p in problems]
    assert all(str(p).startswith("groups.yaml:") for p in problems)
