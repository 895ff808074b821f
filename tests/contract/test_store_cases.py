"""The store contract's reads of cases (`case_readings`, `case_counts`), over every store: what
planning weighs to choose each person's next case, and what `reminder cases usage` counts."""

from __future__ import annotations

from datetime import date

import pytest

from reminder.status import Status
from reminder.store import CaseReading, NewMessage, SkipReason, Store
from reminder.store.values import ACCEPTED
from tests.contract import test_store as contract
from tests.contract.test_store import NOW, message

pytestmark = pytest.mark.postgres

#: The contract suite's stores: in memory, SQLite, and PostgreSQL when configured.
opener = contract.opener
store = contract.store


def number(contact: str) -> str:
    """The number `message` sends to for `contact`."""
    return message(contact).recipient


def with_case(
    contact: str, case: str | None, day: date, campaign: str = "spring", push: str = "daily"
) -> NewMessage:
    planned = message(contact, day=day, push=push, campaign=campaign)
    planned.case_id = case
    return planned


def test_case_readings_of_a_batch_of_contacts_across_campaigns_and_years(store: Store) -> None:
    skipped = with_case("c002", "k03", date(2027, 2, 1))
    skipped.status, skipped.skip_reason = Status.skipped, SkipReason.suppressed
    store.add_planned_batches(
        [
            [
                with_case("c001", "k02", date(2027, 2, 2)),
                with_case("c001", "k01", date(2027, 2, 1)),
                with_case("c001", "k05", date(2027, 9, 12), campaign="mid-autumn"),
                with_case("c001", None, date(2027, 2, 15), push="back-to-work"),
                with_case("c001", "k04", date(2028, 1, 18)),
                skipped,
                with_case("c003", "k01", date(2027, 2, 1)),
            ]
        ],
        NOW,
    )
    found = store.case_readings([number("c001"), number("c002"), number("c404")])
    assert set(found) == {"c001", "c002"}
    assert found["c001"] == [
        CaseReading("k01", date(2027, 2, 1), "spring", "daily", Status.planned),
        CaseReading("k02", date(2027, 2, 2), "spring", "daily", Status.planned),
        CaseReading("k05", date(2027, 9, 12), "mid-autumn", "daily", Status.planned),
        CaseReading("k04", date(2028, 1, 18), "spring", "daily", Status.planned),
    ]
    assert found["c002"] == [
        CaseReading("k03", date(2027, 2, 1), "spring", "daily", Status.skipped)
    ]
    assert store.case_readings([]) == {}


def test_case_readings_follow_the_number_and_keep_each_contact_apart(store: Store) -> None:
    """A number that passed from one contact to another: each reading stays its contact's."""
    before = with_case("c001", "k01", date(2027, 2, 1))
    after = with_case("c002", "k02", date(2028, 1, 20))
    after.recipient = before.recipient
    store.add_planned_batches([[before, after]], NOW)
    found = store.case_readings([before.recipient])
    assert {c: [r.case_id for r in rs] for c, rs in found.items()} == {
        "c001": ["k01"],
        "c002": ["k02"],
    }


def test_case_readings_read_many_contacts_at_once(store: Store) -> None:
    contacts = [f"c{i:04d}" for i in range(1203)]  # more than one chunk of `IN (…)`
    store.add_planned_batches([[with_case(c, "k01", date(2027, 2, 1)) for c in contacts]], NOW)
    found = store.case_readings([number(c) for c in contacts + contacts[:5]])
    assert len(found) == 1203 and all(len(r) == 1 for r in found.values())


def test_case_counts_count_the_messages_of_a_period_in_some_statuses(store: Store) -> None:
    store.add_planned_batches(
        [
            [
                with_case("c001", "k01", date(2027, 2, 1)),
                with_case("c002", "k01", date(2027, 2, 1)),
                with_case("c003", "k02", date(2027, 2, 1)),
                with_case("c001", "k01", date(2028, 1, 20)),
                with_case("c004", None, date(2027, 2, 1)),
            ]
        ],
        NOW,
    )
    year = (date(2027, 1, 1), date(2027, 12, 31))
    assert store.case_counts(*year, [Status.planned]) == {"k01": 2, "k02": 1}
    assert store.case_counts(*year, ACCEPTED) == {}
    assert store.case_counts(date(2028, 1, 1), date(2028, 12, 31), [Status.planned]) == {"k01": 1}
