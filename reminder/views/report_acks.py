"""The acknowledgement part of a report for a person: columns beside coverage (per occurrence and
per group), a summary line with the median time to acknowledge, and the list of contacts who
never acknowledged. A report of a campaign whose pushes ask nothing shows none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from reminder.i18n import N_, _
from reminder.phones import shown
from reminder.reports.figures import Report

#: Columns added beside the occurrences' and the groups' figures.
ACK_COLUMNS = {
    "asked": N_("Asked to answer"),
    "acknowledged": N_("Acknowledged"),
    "ack_rate": N_("Acknowledgement rate"),
}
SILENT_COLUMNS = {
    "contact_id": N_("Contact id"),
    "name": N_("Name"),
    "number": N_("Phone number"),
}
#: The keys whose values are shares.
SHARES = frozenset({"coverage", "ack_rate"})


def duration_text(value: timedelta | None) -> str:
    """A waiting time as a person reads it: 1 h 05 min, 12 min, under a minute."""
    if value is None:
        return "—"
    minutes = round(value.total_seconds() / 60)
    if minutes < 1:
        return _("under a minute")
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("{hours} h {minutes:02d} min").format(hours=hours, minutes=minutes)
    return _("{minutes} min").format(minutes=minutes)


def ack_lines(report: Report) -> list[str]:
    """The acknowledgements' line of the summary (none when no push asks)."""
    acks = report.acks
    if acks is None:
        return []
    return [
        _(
            "Acknowledged {rate}: {acknowledged} of {asked} contacts asked answered; "
            "median time to acknowledge {median}"
        ).format(
            rate=f"{acks.rate * 100:.1f}%",
            acknowledged=acks.acknowledged,
            asked=acks.asked,
            median=duration_text(acks.median),
        )
    ]


def occurrence_cells(report: Report) -> dict[tuple[str, date], dict[str, Any]]:
    """The acknowledgement cells of each asking occurrence, by (push, date)."""
    if report.acks is None:
        return {}
    return {
        (o.push, o.occurrence): {
            "asked": o.asked,
            "acknowledged": o.acknowledged,
            "ack_rate": round(o.rate, 4),
        }
        for o in report.acks.occurrences
    }


def group_cells(report: Report) -> dict[str, dict[str, Any]]:
    """The acknowledgement cells of each group asked, by name."""
    if report.acks is None:
        return {}
    return {
        g.group: {
            "asked": g.asked,
            "acknowledged": g.acknowledged,
            "ack_rate": round(g.rate, 4) if g.asked else None,
        }
        for g in report.acks.groups
    }


EMPTY = dict.fromkeys(ACK_COLUMNS)


def silent_rows(report: Report, show_numbers: bool) -> Iterator[dict[str, Any]]:
    """One dict per contact asked who never acknowledged (numbers masked unless asked)."""
    for s in report.acks.silent if report.acks is not None else ():
        yield {
            "contact_id": s.contact_id,
            "name": s.name,
            "number": shown(s.number, show_numbers=show_numbers) if s.number else "",
        }


def silent_title(report: Report) -> str:
    """The heading of the list of contacts who never acknowledged."""
    count = len(report.acks.silent) if report.acks is not None else 0
    return _("Never acknowledged ({count})").format(count=count)


def ack_json(report: Report, show_numbers: bool) -> dict[str, Any] | None:
    """The acknowledgement figures as JSON (None when no push asks)."""
    acks = report.acks
    if acks is None:
        return None
    return {
        "pushes": list(acks.pushes),
        "asked": acks.asked,
        "acknowledged": acks.acknowledged,
        "rate": round(acks.rate, 4),
        "median_seconds": None if acks.median_seconds is None else round(acks.median_seconds),
        "never_acknowledged": list(silent_rows(report, show_numbers)),
    }
