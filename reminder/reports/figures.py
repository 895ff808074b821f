"""Campaign reports: "did every cadre get it?" — figures from the store, one query per figure.

Reached means delivered, or accepted by a gateway that never confirms delivery (console, file,
memory): for those, acceptance is all there is to know. Pending means not sent yet (planned, or
being sent right now); unknown means the request may have reached the provider and no answer
came back: counted apart, because those wait for reconciliation or an operator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from reminder.delivery.gateways.registry import available, gateway_class
from reminder.inputs.groups import resolve
from reminder.inputs.project import Project
from reminder.status import Status
from reminder.store import Message, Store
from reminder.store.models import from_row
from reminder.store.store import MESSAGE

PENDING = (Status.planned, Status.sending)
FAILED = (Status.failed, Status.undelivered)


@dataclass
class OccurrenceFigures:
    """Outcomes of one push on one date."""

    push: str
    occurrence: date
    targeted: int = 0
    delivered: int = 0
    sent: int = 0
    failed: int = 0
    pending: int = 0
    unknown: int = 0
    #: Messages not sent on purpose, by skip reason (a `SkipReason` value) or, for expired and
    #: canceled ones, by status.
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        """Messages not sent on purpose (suppressed, capped, expired, canceled)."""
        return sum(self.skipped.values())


@dataclass(frozen=True)
class GroupFigures:
    """Coverage of one audience group."""

    group: str
    description: str
    targeted: int
    reached: int

    @property
    def coverage(self) -> float:
        """Share of the group's targeted contacts reached at least once."""
        return self.reached / self.targeted if self.targeted else 0.0


@dataclass(frozen=True)
class Unreached:
    """A targeted contact never reached in the period, with the last thing that happened."""

    contact_id: str
    name: str
    number: str
    last_status: str
    last_error: str
    last_date: date


@dataclass
class Report:
    """Everything `reminder report` shows."""

    campaign: str
    name: str
    day: date | None
    generated_at: datetime
    occurrences: list[OccurrenceFigures]
    groups: list[GroupFigures]
    targeted: int
    reached: int
    unreached: list[Unreached]

    @property
    def coverage(self) -> float:
        """Contacts reached at least once / contacts targeted."""
        return self.reached / self.targeted if self.targeted else 0.0

    def daily(self) -> list[tuple[date, int, int, int, int]]:
        """(date, reached, failed, unknown, pending) per day, for the chart."""
        per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for o in self.occurrences:
            per_day[o.occurrence][0] += o.delivered + o.sent
            per_day[o.occurrence][1] += o.failed
            per_day[o.occurrence][2] += o.unknown
            per_day[o.occurrence][3] += o.pending
        return [(day, *per_day[day]) for day in sorted(per_day)]  # type: ignore[misc]


def _unconfirmed_gateways() -> list[str]:
    names = []
    for name in available():
        try:
            if not gateway_class(name).confirms_delivery:
                names.append(name)
        except Exception:  # a third-party gateway that cannot load counts as confirming
            continue
    return names


def build_report(
    project: Project, store: Store, campaign_id: str, day: date | None, now: datetime
) -> Report:
    """Compute every figure of the report of one campaign (optionally one date)."""
    campaign = project.campaign(campaign_id)
    scope = [MESSAGE.c.campaign == campaign_id]
    if day is not None:
        scope.append(MESSAGE.c.occurrence == day)
    reached_flag = case(
        (MESSAGE.c.status == Status.delivered.value, 1),
        (
            and_(
                MESSAGE.c.status == Status.sent.value,
                MESSAGE.c.gateway.in_(_unconfirmed_gateways()),
            ),
            1,
        ),
        else_=0,
    )
    with store.engine.connect() as connection:
        occurrences = _occurrence_figures(connection, scope)
        per_contact = {
            row.contact_id: (row.reached, row.last_id)
            for row in connection.execute(
                select(
                    MESSAGE.c.contact_id,
                    func.max(reached_flag).label("reached"),
                    func.max(MESSAGE.c.id).label("last_id"),
                )
                .where(*scope)
                .group_by(MESSAGE.c.contact_id)
            )
        }
        missing_ids = [last for reached, last in per_contact.values() if not reached]
        last_rows: list[Message] = []
        for start in range(0, len(missing_ids), 500):
            chunk = missing_ids[start : start + 500]
            last_rows += [
                from_row(Message, r._mapping)
                for r in connection.execute(select(MESSAGE).where(MESSAGE.c.id.in_(chunk)))
            ]
    groups = []
    names = sorted({g for push in campaign.pushes for g in push.audience})
    for name in names:
        members = resolve(name, project.groups, project.book)
        targeted = [c.id for c in members if c.id in per_contact]
        groups.append(
            GroupFigures(
                name,
                project.groups[name].spec.description,
                len(targeted),
                sum(1 for cid in targeted if per_contact[cid][0]),
            )
        )
    unreached = []
    for message in sorted(last_rows, key=lambda m: m.contact_id):
        contact = project.book.contacts.get(message.contact_id)
        error = " ".join(x for x in (message.error_code, message.error_text) if x)
        unreached.append(
            Unreached(
                message.contact_id,
                contact.name if contact else "",
                message.recipient,
                message.status,
                error,
                message.occurrence,
            )
        )
    reached = sum(1 for flag, _ in per_contact.values() if flag)
    return Report(
        campaign_id,
        campaign.name,
        day,
        now,
        occurrences,
        groups,
        len(per_contact),
        reached,
        unreached,
    )


def _occurrence_figures(connection: Connection, scope: list[Any]) -> list[OccurrenceFigures]:
    # A skipped message counts under its skip reason, an expired or canceled one under its
    # status.
    reason = func.coalesce(MESSAGE.c.skip_reason, MESSAGE.c.status).label("reason")
    query = (
        select(
            MESSAGE.c.push, MESSAGE.c.occurrence, MESSAGE.c.status, reason, func.count().label("n")
        )
        .where(*scope)
        .group_by(MESSAGE.c.push, MESSAGE.c.occurrence, MESSAGE.c.status, reason)
    )
    figures: dict[tuple[str, date], OccurrenceFigures] = {}
    for row in connection.execute(query):
        key = (row.push, row.occurrence)
        figure = figures.setdefault(key, OccurrenceFigures(row.push, row.occurrence))
        figure.targeted += row.n
        status = Status(row.status)
        if status is Status.delivered:
            figure.delivered += row.n
        elif status is Status.sent:
            figure.sent += row.n
        elif status in FAILED:
            figure.failed += row.n
        elif status is Status.unknown:
            figure.unknown += row.n
        elif status in PENDING:
            figure.pending += row.n
        else:
            figure.skipped[row.reason] = figure.skipped.get(row.reason, 0) + row.n
    return [figures[key] for key in sorted(figures, key=lambda k: (k[1], k[0]))]
