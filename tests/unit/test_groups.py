import random
import threading
from collections.abc import Iterable

import pytest

from reminder.errors import Problem
from reminder.inputs.contacts import Contact, ContactBook, Located
from reminder.inputs.groups import audience, load_groups, resolve
from reminder.inputs.ranks import Rank
from reminder.inputs.yaml_source import LineDict


def book_of(*contacts: Contact, groups: dict) -> ContactBook:
    book = ContactBook()
    for line, contact in enumerate(contacts, start=2):
        book.add(contact, Located("contacts.yaml", line))
    book.seal()
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


def ids(contacts: Iterable[Contact]) -> list[str]:
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


def reference_members(name: str, specs: dict, people: dict[str, Contact]) -> set[str]:
    """The group rules of `reminder.inputs.groups`' module doc, read literally, in plain Python."""
    spec = specs[name]
    if "ids" in spec:
        return set(spec["ids"])
    if "union" in spec:
        return set().union(*(reference_members(g, specs, people) for g in spec["union"]))
    if "family_of" in spec:
        cadres = reference_members(spec["family_of"], specs, people)
        return {
            c.id
            for c in people.values()
            if c.family_of in cadres
            and ("relations" not in spec or c.relation in spec["relations"])
        }
    low = Rank[spec["rank"].removeprefix(">= ")] if "rank" in spec else None
    return {
        c.id
        for c in people.values()
        if c.family_of is None
        and (low is None or (c.rank is not None and c.rank >= low))
        and ("units" not in spec or c.unit in spec["units"])
        and ("tags" not in spec or bool(c.tags & set(spec["tags"])))
    }


@pytest.mark.parametrize("seed", range(12))
def test_sql_groups_match_the_rules_on_random_books(seed: int) -> None:
    rng = random.Random(seed)
    units, tags, ranks = ["财政局", "教育局", "公安局"], ["key_post", "new", "audit"], list(Rank)
    people: dict[str, Contact] = {}
    for i in range(60):
        people[f"c{i:02d}"] = Contact(
            id=f"c{i:02d}",
            name=f"干部{i}",
            phone=f"+86138{i:08d}",
            rank=rng.choice([*ranks, None]),
            unit=rng.choice(units),
            tags=frozenset(rng.sample(tags, rng.randint(0, 2))),
        )
    for i in range(40):
        people[f"f{i:02d}"] = Contact(
            id=f"f{i:02d}",
            name=f"家属{i}",
            phone=f"+86139{i:08d}",
            family_of=f"c{rng.randrange(60):02d}",
            relation=rng.choice(["spouse", "child"]),
        )
    specs = {
        "senior": {"rank": f">= {rng.choice(ranks).name}"},
        "unit": {"units": rng.sample(units, 2)},
        "tagged": {"tags": rng.sample(tags, 1), "rank": f">= {rng.choice(ranks).name}"},
        "named": {"ids": rng.sample(sorted(people), 8)},
        "either": {"union": ["senior", "named"]},
        "spouses": {"family_of": "either", "relations": ["spouse"]},
        "families": {"family_of": "tagged"},
        "all": {"union": ["unit", "spouses", "families"]},
    }
    book = book_of(*people.values(), groups=specs)
    problems: list[Problem] = []
    groups = load_groups(book, problems)
    assert problems == []
    for name in specs:
        expected = sorted(reference_members(name, specs, people))
        assert ids(resolve(name, groups, book)) == expected, name
    union = reference_members("senior", specs, people) | reference_members("spouses", specs, people)
    assert ids(audience(("senior", "spouses"), groups, book)) == sorted(union)


def test_a_book_is_read_from_other_threads() -> None:
    book = book_of(*PEOPLE, groups={"leading": {"rank": ">= deputy_division"}})
    groups = load_groups(book, [])
    found: list[list[str]] = []
    worker = threading.Thread(target=lambda: found.append(ids(resolve("leading", groups, book))))
    worker.start()
    worker.join()
    assert found == [["c1", "c2"]]
    assert [c.id for c in book.family_of("c1")] == ["f1", "f2"]
    assert book.cadre_of(book.contacts["f3"]) == PEOPLE[2]
    assert "f3" in book.contacts and "zz" not in book.contacts
    assert book.counts() == (3, 3)


def test_contacts_read_back_equal_the_validated_ones() -> None:
    """Contacts rebuilt from the index (without re-validation) behave like validated ones."""
    book = book_of(*PEOPLE, groups={})
    for person in PEOPLE:
        again = book.contacts[person.id]
        assert again == person and hash(again) == hash(person)
        assert again.model_dump() == person.model_dump()
        assert again.is_family == person.is_family
    assert list(book.contacts) == sorted(p.id for p in PEOPLE)
    assert len(book.contacts) == len(PEOPLE)
