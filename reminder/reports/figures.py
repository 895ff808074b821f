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

from reminder.delivery.gateways.registry import available, gateway_class
from reminder.inputs.groups import resolve
from reminder.inputs.project import Project
from reminder.status import Status
from reminder.store import Message, OutcomeCount, Selection, Store

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
    selection = Selection(campaign_id, None, day)
    occurrences = _occurrence_figures(store.outcome_counts(selection))
    reach = store.reach(selection, _unconfirmed_gateways())
    targeted = reach.targeted
    groups = []
    for name in sorted({g for push in campaign.pushes for g in push.audience}):
        members = [c.id for c in resolve(name, project.groups, project.book) if c.id in targeted]
        groups.append(
            GroupFigures(
                name,
                project.groups[name].spec.description,
                len(members),
                sum(1 for cid in members if cid in reach.reached),
            )
        )
    unreached = [_unreached(project, message) for message in reach.unreached]
    return Report(
        campaign_id,
        campaign.name,
        day,
        now,
        occurrences,
        groups,
        len(targeted),
        len(reach.reached),
        unreached,
    )


def _unreached(project: Project, message: Message) -> Unreached:
    """A contact never reached, from its last message."""
    contact = project.book.contacts.get(message.contact_id)
    return Unreached(
        message.contact_id,
        contact.name if contact else "",
        message.recipient,
        message.status,
        " ".join(x for x in (message.error_code, message.error_text) if x),
        message.occurrence,
    )


def _occurrence_figures(counts: list[OutcomeCount]) -> list[OccurrenceFigures]:
    """Per push and date, the counts by outcome; a skipped message counts under its skip
    reason, an expired or canceled one under its status."""
    figures: dict[tuple[str, date], OccurrenceFigures] = {}
    for row in counts:
        key = (row.push, row.occurrence)
        figure = figures.setdefault(key, OccurrenceFigures(row.push, row.occurrence))
        figure.targeted += row.count
        if row.status is Status.delivered:
            figure.delivered += row.count
        elif row.status is Status.sent:
            figure.sent += row.count
        elif row.status in FAILED:
            figure.failed += row.count
        elif row.status is Status.unknown:
            figure.unknown += row.count
        elif row.status in PENDING:
            figure.pending += row.count
        else:
            reason = (row.skip_reason or row.status).value
            figure.skipped[reason] = figure.skipped.get(reason, 0) + row.count
    return [figures[key] for key in sorted(figures, key=lambda k: (k[1], k[0]))]
