"""The case rule, checked from outside over every message a rehearsal planned: what a test
asserts about who read which warning-education case."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from reminder.inputs.project import Project
from reminder.store import Message

NEVER_READ = {"skipped", "expired", "canceled"}
#: "X某" in a summary: the subject's (single-character) surname; a 某 that opens a phrase
#: ("某局") has no character before it.
SUBJECT = re.compile(r"([\u4e00-\u9fff])某")
NOT_SURNAMES = set("在对向与和及给被将把从为由是有于某")


def subject_surnames(summary: str) -> set[str]:
    return {s for s in SUBJECT.findall(summary) if s not in NOT_SURNAMES}


def check_case_rule(project: Project, messages: Iterable[Message]) -> int:
    """Assert, for every reader: no case about their surname (nor their cadre's) while the pool
    has another; a family member never reads their cadre's case of the day; no case twice
    before every case they may be sent that day was read, and then the least recently read.
    Returns how many readings were checked."""
    read = sorted(
        (m for m in messages if m.case_id is not None and m.status not in NEVER_READ),
        key=lambda m: (m.occurrence, m.campaign, m.push),
    )
    of_day: dict[tuple[str, date], set[str]] = defaultdict(set)
    for m in read:
        of_day[(m.contact_id, m.occurrence)].add(m.case_id)  # type: ignore[arg-type]
    book = project.book
    last: dict[str, dict[str, tuple[date, str, str]]] = defaultdict(dict)
    for m in read:
        contact = book.contacts[m.contact_id]
        cadre = book.cadre_of(contact)
        surnames = {contact.name[0]} | ({cadre.name[0]} if cadre else set())
        pool = project.campaign(m.campaign).push(m.push).case_pool(project.cases)
        allowed = {c.id for c in pool if not subject_surnames(c.summary) & surnames}
        assert allowed, f"{m.contact_id}: every case of {m.push} is about {surnames}"
        assert m.case_id in allowed, (m.contact_id, contact.name, m.case_id, m.occurrence)
        if cadre is not None:
            cadre_cases = of_day[(cadre.id, m.occurrence)]
            assert m.case_id not in cadre_cases, (m.contact_id, m.occurrence, m.case_id)
            allowed = (allowed - cadre_cases) or allowed
        mine = last[m.contact_id]
        if m.case_id in mine:
            fresh = allowed - set(mine)
            assert not fresh, f"{m.contact_id} read {m.case_id} again before {sorted(fresh)}"
            oldest = min(allowed, key=lambda c: mine[c])
            assert m.case_id == oldest, (m.contact_id, m.occurrence, m.case_id, oldest)
        mine[m.case_id] = (m.occurrence, m.campaign, m.push)  # type: ignore[index]
    return len(read)
