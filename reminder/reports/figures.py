"""Campaign reports: "did every cadre get it?" — figures from the store, one query per figure.

A contact is reached when a message was delivered, or accepted by a gateway that never
confirms delivery (console, file, memory): for those, acceptance is all there is to know. A
contact whose best message was accepted by a gateway that does confirm, with no receipt yet,
is *awaiting a receipt*, counted apart from *not reached*. Pending means not sent yet
(planned, or being sent right now); unknown means the request may have reached the provider
and no answer came back: counted apart, because those wait for reconciliation or an operator.

Every figure covers the occurrences that are due — up to the report's date, or today in the
campaign's zone — never those planned ahead, and the report says which period that is. A
group counts only its members targeted by the pushes addressed to it that ran.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from reminder.delivery.gateways.registry import available, gateway_class
from reminder.inputs.groups import resolve
from reminder.inputs.project import Project
from reminder.reports.acks import AckFigures, ack_figures
from reminder.reports.period import Period, period_of
from reminder.status import Status
from reminder.store import ContactReach, OutcomeCount, ReachState, Selection, Store

PENDING = (Status.planned, Status.sending)
#: Contacts not reached whose names are looked up in one query.
NAME_BATCH = 500
FAILED = (Status.failed, Status.undelivered)

T = TypeVar("T")


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


@dataclass
class GroupFigures:
    """Coverage of one audience group: its members targeted by the pushes addressed to it."""

    group: str
    description: str
    members: int
    targeted: int = 0
    reached: int = 0
    awaiting: int = 0

    @property
    def coverage(self) -> float:
        """Share of the group's targeted members reached at least once."""
        return self.reached / self.targeted if self.targeted else 0.0


@dataclass(frozen=True)
class GatewayFigures:
    """What one gateway did: whether it reports delivery, how many messages it accepted, how
    many still await a receipt, and when the last receipt arrived."""

    gateway: str
    confirms_delivery: bool
    accepted: int
    awaiting: int
    last_receipt: datetime | None


@dataclass(frozen=True, slots=True)
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
    """Everything `reminder report` shows. The list of contacts not reached is streamed from
    the store (`unreached()`), so a report of a million messages holds none of them."""

    campaign: str
    name: str
    organisation: str
    day: date | None
    generated_at: datetime  # in the campaign's zone
    period: Period
    occurrences: list[OccurrenceFigures]
    groups: list[GroupFigures]
    gateways: list[GatewayFigures]
    targeted: int
    reached: int
    awaiting: int
    unreached_count: int
    unreached: Callable[[int | None], Iterator[Unreached]]
    #: Answers to the pushes that ask (`ack:`); None when none does.
    acks: AckFigures | None = None

    @property
    def coverage(self) -> float:
        """Contacts reached at least once / contacts targeted."""
        return self.reached / self.targeted if self.targeted else 0.0

    @property
    def zone(self) -> str:
        """The campaign's zone, in which every time of the report is given."""
        return self.period.zone

    def daily(self) -> list[tuple[date, int, int, int, int]]:
        """(date, reached, failed, unknown, pending) per day, for the chart."""
        per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for o in self.occurrences:
            per_day[o.occurrence][0] += o.delivered + o.sent
            per_day[o.occurrence][1] += o.failed
            per_day[o.occurrence][2] += o.unknown
            per_day[o.occurrence][3] += o.pending
        return [(day, *per_day[day]) for day in sorted(per_day)]  # type: ignore[misc]


def _confirms(name: str) -> bool:
    try:
        return bool(gateway_class(name).confirms_delivery)
    except Exception:  # a third-party gateway that cannot load counts as confirming
        return True


def build_report(
    project: Project, store: Store, campaign_id: str, day: date | None, now: datetime
) -> Report:
    """Compute every figure of the report of one campaign (optionally one date), over the
    occurrences due by `now` (or `day`)."""
    campaign = project.campaign(campaign_id)
    zone = project.timezone(campaign)
    local = now.astimezone(ZoneInfo(zone))
    period = period_of(campaign, zone, day, local)
    selection = Selection(campaign_id, None, day, period.first, period.until)
    if period.first is None:  # no window near: every message of the campaign so far
        selection = Selection(campaign_id, None, day, None, local.date())
    unconfirmed = [name for name in available() if not _confirms(name)]
    groups = _group_figures(project, campaign_id)
    targeted = reached = awaiting = 0
    for best in _best_per_contact(store.contact_reach(selection, unconfirmed), groups):
        targeted += 1
        reached += best is ReachState.reached
        awaiting += best is ReachState.awaiting
    index = project.book.index

    def unreached(limit: int | None = None) -> Iterator[Unreached]:
        for rows in _batched(store.unreached(selection, unconfirmed, limit), NAME_BATCH):
            names = index.names([row.contact_id for row in rows])
            for row in rows:
                yield Unreached(
                    row.contact_id,
                    names.get(row.contact_id, ""),
                    row.recipient,
                    row.status.value,
                    " ".join(x for x in (row.error_code, row.error_text) if x),
                    row.occurrence,
                )

    gateways = [
        GatewayFigures(g.gateway, _confirms(g.gateway), g.accepted, g.awaiting, g.last_receipt)
        for g in store.receipt_summary(selection)
    ]
    occurrences = _occurrence_figures(store.outcome_counts(selection))
    accepted = [(o.push, o.occurrence, o.delivered + o.sent) for o in occurrences]
    return Report(
        campaign_id,
        campaign.name,
        project.config.settings.organisation,
        day,
        local,
        period,
        occurrences,
        [figures for figures, _ in groups.values()],
        gateways,
        targeted,
        reached,
        awaiting,
        targeted - reached - awaiting,
        unreached,
        ack_figures(project, store, campaign_id, selection, accepted, unconfirmed),
    )


GroupTable = dict[str, tuple[GroupFigures, tuple[frozenset[str], frozenset[str]]]]


def _group_figures(project: Project, campaign_id: str) -> GroupTable:
    """Each audience group of the campaign, by name: its figures (to fill) and (its members,
    the pushes addressed to it)."""
    campaign = project.campaign(campaign_id)
    found: GroupTable = {}
    for name in sorted({g for push in campaign.pushes for g in push.audience}):
        members = frozenset(c.id for c in resolve(name, project.groups, project.book))
        pushes = frozenset(p.id for p in campaign.pushes if name in p.audience)
        figures = GroupFigures(name, project.groups[name].spec.description, len(members))
        found[name] = (figures, (members, pushes))
    return found


def _best_per_contact(rows: Iterator[ContactReach], groups: GroupTable) -> Iterator[ReachState]:
    """Each contact's best state over every push (the rows come by contact), counting the
    group figures on the way: a member counts in a group only through its pushes."""
    contact: str | None = None
    states: dict[str, ReachState] = {}
    for row in rows:
        if row.contact_id != contact:
            if contact is not None:
                yield _settle(contact, states, groups)
            contact, states = row.contact_id, {}
        states[row.push] = row.state
    if contact is not None:
        yield _settle(contact, states, groups)


def _settle(contact: str, states: dict[str, ReachState], groups: GroupTable) -> ReachState:
    for figures, (members, pushes) in groups.values():
        if contact not in members:
            continue
        mine = [state for push, state in states.items() if push in pushes]
        if mine:
            figures.targeted += 1
            figures.reached += max(mine) is ReachState.reached
            figures.awaiting += max(mine) is ReachState.awaiting
    return max(states.values())


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


def _batched(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    """`rows` in lists of `size` (the last one shorter)."""
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
