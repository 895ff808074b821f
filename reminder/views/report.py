"""Writing a `Report` for a person: the words (in the config's language), the terminal table,
CSV and JSON. The workbook is `report_xlsx`, the HTML page `report_html`.

The list of contacts not reached is streamed from the store row by row: CSV and JSON write
each row as it comes; the terminal shows the first rows, the count, and where the whole list is.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from rich.console import Group, RenderableType
from rich.table import Table

from reminder.i18n import N_, _, ngettext
from reminder.phones import shown
from reminder.reports.figures import Report
from reminder.store import SkipReason
from reminder.views.report_acks import (
    ACK_COLUMNS,
    EMPTY,
    SHARES,
    SILENT_COLUMNS,
    ack_json,
    ack_lines,
    group_cells,
    occurrence_cells,
    silent_rows,
    silent_title,
)

#: Columns by JSON key, with the heading a person reads.
OCCURRENCE_COLUMNS = {
    "date": N_("Date"),
    "push": N_("Push"),
    "targeted": N_("Targeted"),
    "delivered": N_("Delivered"),
    "sent": N_("Sent, no receipt"),
    "failed": N_("Failed"),
    "pending": N_("Pending"),
    "unknown": N_("Unknown"),
    "skipped": N_("Skipped"),
    "skipped_by_reason": N_("Skipped by reason"),
}
GROUP_COLUMNS = {
    "group": N_("Group"),
    "description": N_("Description"),
    "members": N_("Members"),
    "targeted": N_("Targeted"),
    "reached": N_("Reached"),
    "awaiting": N_("Awaiting receipt"),
    "coverage": N_("Coverage"),
}
UNREACHED_COLUMNS = {
    "contact_id": N_("Contact id"),
    "name": N_("Name"),
    "number": N_("Phone number"),
    "last_status": N_("Last status"),
    "last_error": N_("Last error"),
    "last_date": N_("Last date"),
}
#: How a status or skip reason reads.
STATUS_WORDS = {
    "planned": N_("planned"),
    "sending": N_("sending"),
    "sent": N_("sent, awaiting receipt"),
    "delivered": N_("delivered"),
    "failed": N_("failed"),
    "undelivered": N_("not delivered"),
    "unknown": N_("unknown"),
    "skipped": N_("skipped"),
    "expired": N_("expired"),
    "canceled": N_("canceled"),
    SkipReason.suppressed.value: N_("suppressed"),
    SkipReason.per_number_cap.value: N_("per-number cap"),
}
#: Rows of the list of contacts not reached shown in the terminal (and on the HTML page).
FIRST_ROWS = 20


def occurrence_columns(report: Report) -> dict[str, str]:
    """The occurrences' columns: with the acknowledgements' when a push asks."""
    return OCCURRENCE_COLUMNS | ACK_COLUMNS if report.acks is not None else OCCURRENCE_COLUMNS


def group_columns(report: Report) -> dict[str, str]:
    """The groups' columns: with the acknowledgements' beside coverage when a push asks."""
    return GROUP_COLUMNS | ACK_COLUMNS if report.acks is not None else GROUP_COLUMNS


def word(value: str) -> str:
    """A status or skip reason as a person reads it."""
    return _(STATUS_WORDS[value]) if value in STATUS_WORDS else value


def headings(columns: dict[str, str]) -> list[str]:
    """The translated headings of a table's columns."""
    return [_(label) for label in columns.values()]


def percent(value: float) -> str:
    """A share as a person reads it: 92.3%."""
    return f"{value * 100:.1f}%"


def moment(value: datetime, zone: str) -> str:
    """A time as a person reads it, in the campaign's zone, with the zone shown."""
    from zoneinfo import ZoneInfo

    return f"{value.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


def period_text(report: Report) -> str:
    """统计区间 2027-01-30 至 2027-02-20（截至 …）."""
    period = report.period
    if period.first is None or period.last is None:
        text = _("Report period: no window near this date")
    else:
        text = _("Report period: {first} to {last}").format(first=period.first, last=period.last)
    if period.as_of is not None:
        text += _(" (as of {moment})").format(moment=moment(period.as_of, period.zone))
    return text


def summary_lines(report: Report) -> list[str]:
    """The report's head: who, what, which period, coverage, and the receipts' state."""
    lines = [
        _("{organisation} · {name} ({campaign})").format(
            organisation=report.organisation, name=report.name, campaign=report.campaign
        ),
        period_text(report),
        _(
            "Coverage {coverage}: {reached} of {targeted} contacts reached; "
            "{awaiting} sent, awaiting receipt; {unreached} not reached"
        ).format(
            coverage=percent(report.coverage),
            reached=report.reached,
            targeted=report.targeted,
            awaiting=report.awaiting,
            unreached=report.unreached_count,
        ),
    ]
    lines += ack_lines(report)
    lines += gateway_lines(report)
    lines.append(_("Generated {moment}").format(moment=moment(report.generated_at, report.zone)))
    return lines


def gateway_lines(report: Report) -> list[str]:
    """One line per gateway: receipts outstanding and the last one, or that it never reports
    delivery (so an accepted message counts as reached)."""
    lines = []
    for g in report.gateways:
        if not g.confirms_delivery:
            lines.append(
                _(
                    "Gateway {gateway} does not report delivery: "
                    "a message it accepted counts as delivered"
                ).format(gateway=g.gateway)
            )
            continue
        outstanding = ngettext(
            "Gateway {gateway}: {count} receipt outstanding",
            "Gateway {gateway}: {count} receipts outstanding",
            g.awaiting,
        ).format(gateway=g.gateway, count=g.awaiting)
        if g.last_receipt is None:
            lines.append(_("{outstanding}; no receipt yet").format(outstanding=outstanding))
        else:
            last = moment(g.last_receipt, report.zone)
            lines.append(
                _("{outstanding}; last receipt {last}").format(outstanding=outstanding, last=last)
            )
    return lines


def occurrence_rows(report: Report) -> list[dict[str, Any]]:
    """One dict per occurrence (JSON keys; statuses and reasons as their codes)."""
    acks = occurrence_cells(report)
    extra = EMPTY if report.acks is not None else {}
    return [
        {
            "date": o.occurrence,
            "push": o.push,
            "targeted": o.targeted,
            "delivered": o.delivered,
            "sent": o.sent,
            "failed": o.failed,
            "pending": o.pending,
            "unknown": o.unknown,
            "skipped": o.skipped_total,
            "skipped_by_reason": dict(sorted(o.skipped.items())),
            **acks.get((o.push, o.occurrence), extra),
        }
        for o in report.occurrences
    ]


def reasons_text(reasons: dict[str, int]) -> str:
    """`{"per_number_cap": 1, "suppressed": 2}` → "per-number cap 1; suppressed 2"."""
    return "; ".join(f"{word(k)} {v}" for k, v in reasons.items())


def group_rows(report: Report) -> list[dict[str, Any]]:
    """One dict per audience group."""
    acks = group_cells(report)
    extra = EMPTY if report.acks is not None else {}
    return [
        {
            "group": g.group,
            "description": g.description,
            "members": g.members,
            "targeted": g.targeted,
            "reached": g.reached,
            "awaiting": g.awaiting,
            "coverage": round(g.coverage, 4) if g.targeted else None,
            **acks.get(g.group, extra),
        }
        for g in report.groups
    ]


def unreached_rows(
    report: Report, show_numbers: bool, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """One dict per contact not reached (numbers masked unless asked), streamed."""
    for u in report.unreached(limit):
        yield {
            "contact_id": u.contact_id,
            "name": u.name,
            "number": shown(u.number, show_numbers=show_numbers),
            "last_status": u.last_status,
            "last_error": u.last_error,
            "last_date": u.last_date,
        }


def shown_cell(key: str, value: Any) -> str:
    """A cell of a table as text: dates as ISO, shares as percent, statuses in words."""
    if key in SHARES or (key in ACK_COLUMNS and value is None):
        return percent(value) if value is not None else "—"
    if key == "last_status":
        return word(value)
    if key == "skipped_by_reason":
        return reasons_text(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _table(title: str, columns: dict[str, str], rows: Any) -> Table:
    table = Table(title=title, title_justify="left")
    for heading in headings(columns):
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*(shown_cell(key, row[key]) for key in columns))
    return table


def as_table(report: Report, show_numbers: bool) -> RenderableType:
    """The summary, the occurrences and groups, and the first contacts not reached, with the
    count and where the whole list is (CSV or xlsx)."""
    parts: list[RenderableType] = list(summary_lines(report))
    parts.append(_table(_("Per occurrence"), occurrence_columns(report), occurrence_rows(report)))
    parts.append(_table(_("Per group"), group_columns(report), group_rows(report)))
    if report.acks is not None:
        rows = silent_rows(report, show_numbers)
        parts.append(_table(silent_title(report), SILENT_COLUMNS, rows))
    title = _("Not reached ({count})").format(count=report.unreached_count)
    rows = unreached_rows(report, show_numbers, FIRST_ROWS)
    parts.append(_table(title, UNREACHED_COLUMNS, rows))
    if report.unreached_count > FIRST_ROWS:
        parts.append(
            _(
                "The first {shown} of {count} shown; the whole list: "
                "reminder report {campaign} --format xlsx --output FILE.xlsx (or --format csv)"
            ).format(shown=FIRST_ROWS, count=report.unreached_count, campaign=report.campaign)
        )
    return Group(*parts)


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def write_json(report: Report, show_numbers: bool, out: TextIO) -> None:
    """The whole report as one JSON object; the list of contacts not reached streamed."""
    period = report.period
    head = {
        "campaign": report.campaign,
        "name": report.name,
        "organisation": report.organisation,
        "date": _plain(report.day),
        "timezone": report.zone,
        "generated_at": report.generated_at.isoformat(timespec="seconds"),
        "period": {
            "first": _plain(period.first),
            "last": _plain(period.last),
            "as_of": period.as_of.isoformat(timespec="seconds") if period.as_of else None,
        },
        "targeted": report.targeted,
        "reached": report.reached,
        "awaiting_receipt": report.awaiting,
        "not_reached": report.unreached_count,
        "coverage": round(report.coverage, 4),
        "gateways": [
            {
                "gateway": g.gateway,
                "confirms_delivery": g.confirms_delivery,
                "accepted": g.accepted,
                "awaiting_receipt": g.awaiting if g.confirms_delivery else 0,
                "last_receipt": g.last_receipt.isoformat() if g.last_receipt else None,
            }
            for g in report.gateways
        ],
        "occurrences": [{k: _plain(v) for k, v in r.items()} for r in occurrence_rows(report)],
        "groups": group_rows(report),
    }
    if report.acks is not None:
        head["acknowledgements"] = ack_json(report, show_numbers)
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "unreached": [')
    for index, row in enumerate(unreached_rows(report, show_numbers)):
        out.write(
            ("," if index else "")
            + json.dumps({k: _plain(v) for k, v in row.items()}, ensure_ascii=False)
        )
    out.write("]}\n")


def write_csv(report: Report, show_numbers: bool, out: TextIO) -> None:
    """The summary lines, then three sections (occurrences, groups, contacts not reached),
    each with its own heading row; the last streamed."""
    writer = csv.writer(out)
    for line in summary_lines(report):
        writer.writerow(["# " + line])
    sections: list[tuple[str, dict[str, str], Any]] = [
        (_("Per occurrence"), occurrence_columns(report), occurrence_rows(report)),
        (_("Per group"), group_columns(report), group_rows(report)),
        (
            _("Not reached ({count})").format(count=report.unreached_count),
            UNREACHED_COLUMNS,
            unreached_rows(report, show_numbers),
        ),
    ]
    if report.acks is not None:
        sections.append((silent_title(report), SILENT_COLUMNS, silent_rows(report, show_numbers)))
    for title, columns, rows in sections:
        writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerow(headings(columns))
        for row in rows:
            writer.writerow([shown_cell(key, row[key]) for key in columns])
