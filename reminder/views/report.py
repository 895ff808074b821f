"""Writing a `Report` as a table, CSV, JSON, an Excel workbook or one self-contained HTML page."""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from rich.console import Group, RenderableType
from rich.table import Table

from reminder.phones import shown
from reminder.reports.figures import Report
from reminder.store import SkipReason

OCCURRENCE_COLUMNS = (
    "date",
    "push",
    "targeted",
    "delivered",
    "sent",
    "failed",
    "pending",
    "unknown",
    "skipped",
    "skipped_by_reason",
)
GROUP_COLUMNS = ("group", "description", "targeted", "reached", "coverage")
UNREACHED_COLUMNS = ("contact_id", "name", "number", "last_status", "last_error", "last_date")
#: How a skip reason reads where it is not the word itself (`OccurrenceFigures.skipped`).
SKIP_LABELS = {SkipReason.per_number_cap.value: "per-number cap"}


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def occurrence_rows(report: Report) -> list[dict[str, Any]]:
    """One dict per occurrence."""
    return [
        {
            "date": o.occurrence.isoformat(),
            "push": o.push,
            "targeted": o.targeted,
            "delivered": o.delivered,
            "sent": o.sent,
            "failed": o.failed,
            "pending": o.pending,
            "unknown": o.unknown,
            "skipped": o.skipped_total,
            "skipped_by_reason": "; ".join(
                f"{SKIP_LABELS.get(k, k)} {v}" for k, v in sorted(o.skipped.items())
            ),
        }
        for o in report.occurrences
    ]


def group_rows(report: Report) -> list[dict[str, Any]]:
    """One dict per audience group."""
    return [
        {
            "group": g.group,
            "description": g.description,
            "targeted": g.targeted,
            "reached": g.reached,
            "coverage": round(g.coverage, 4),
        }
        for g in report.groups
    ]


def unreached_rows(report: Report, show_numbers: bool) -> list[dict[str, Any]]:
    """One dict per contact never reached (numbers masked unless asked)."""
    return [
        {
            "contact_id": u.contact_id,
            "name": u.name,
            "number": shown(u.number, show_numbers=show_numbers),
            "last_status": u.last_status,
            "last_error": u.last_error,
            "last_date": u.last_date.isoformat(),
        }
        for u in report.unreached
    ]


def _title(report: Report) -> str:
    scope = f" on {report.day}" if report.day else ""
    return (
        f"{report.name} ({report.campaign}){scope}: coverage {_percent(report.coverage)} — "
        f"{report.reached} of {report.targeted} contacts reached"
    )


def as_table(report: Report, show_numbers: bool) -> RenderableType:
    """Rich tables for the terminal."""
    parts: list[RenderableType] = [_title(report)]
    for title, columns, rows in (
        ("per occurrence", OCCURRENCE_COLUMNS, occurrence_rows(report)),
        ("per group", GROUP_COLUMNS, group_rows(report)),
        (
            f"never reached ({len(report.unreached)})",
            UNREACHED_COLUMNS,
            unreached_rows(report, show_numbers),
        ),
    ):
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            if "coverage" in row:
                row = {**row, "coverage": _percent(row["coverage"])}
            table.add_row(*(str(row[c]) for c in columns))
        parts.append(table)
    return Group(*parts)


def as_json(report: Report, show_numbers: bool) -> str:
    """The whole report as one JSON object."""
    return json.dumps(
        {
            "campaign": report.campaign,
            "name": report.name,
            "date": report.day.isoformat() if report.day else None,
            "generated_at": report.generated_at.isoformat(timespec="seconds"),
            "targeted": report.targeted,
            "reached": report.reached,
            "coverage": round(report.coverage, 4),
            "occurrences": occurrence_rows(report),
            "groups": group_rows(report),
            "unreached": unreached_rows(report, show_numbers),
        },
        ensure_ascii=False,
    )


def as_csv(report: Report, show_numbers: bool) -> str:
    """Three sections (occurrences, groups, unreached), each with its own header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["# " + _title(report)])
    for name, columns, rows in (
        ("occurrences", OCCURRENCE_COLUMNS, occurrence_rows(report)),
        ("groups", GROUP_COLUMNS, group_rows(report)),
        ("unreached", UNREACHED_COLUMNS, unreached_rows(report, show_numbers)),
    ):
        writer.writerow([])
        writer.writerow([f"# {name}"])
        writer.writerow(columns)
        writer.writerows([[row[c] for c in columns] for row in rows])
    return out.getvalue()


def write_xlsx(report: Report, path: Path, show_numbers: bool) -> None:
    """A workbook with a summary sheet and one sheet per table."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "summary"
    summary.append(["campaign", report.campaign])
    summary.append(["name", report.name])
    summary.append(["date", report.day.isoformat() if report.day else "all"])
    summary.append(["targeted", report.targeted])
    summary.append(["reached", report.reached])
    summary.append(["coverage", round(report.coverage, 4)])
    for title, columns, rows in (
        ("occurrences", OCCURRENCE_COLUMNS, occurrence_rows(report)),
        ("groups", GROUP_COLUMNS, group_rows(report)),
        ("unreached", UNREACHED_COLUMNS, unreached_rows(report, show_numbers)),
    ):
        sheet = book.create_sheet(title)
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([row[c] for c in columns])
    book.save(path)


_CSS = """
@page { size: A4; margin: 15mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #222; margin: 2em; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
.coverage { font-size: 1.2em; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; page-break-inside: auto; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; }
th { background: #eee; } tr { page-break-inside: avoid; }
svg { max-width: 100%; height: auto; }
.legend span { display: inline-block; margin-right: 1.5em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; }
@media print { body { margin: 0; } }
"""
_COLOURS = {
    "reached": "#2e7d32",
    "failed": "#c62828",
    "unknown": "#ef6c00",
    "pending": "#9e9e9e",
}  # reached: delivered or accepted; unknown: may have reached the provider, no answer


def _chart(report: Report) -> str:
    days = report.daily()
    width, height, left, bottom = 720, 260, 50, 40
    if not days:
        return "<p>No messages yet.</p>"
    top = max(sum(d[1:]) for d in days) or 1
    slot = (width - left - 10) / len(days)
    bar = max(slot * 0.7, 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="reached, failed, unknown and pending messages per day">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" '
        'stroke="#444"/>',
        f'<text x="{left - 6}" y="{15}" font-size="11" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{height - bottom}" font-size="11" text-anchor="end">0</text>',
    ]
    scale = (height - bottom - 15) / top
    for index, (day, reached, failed, unknown, pending) in enumerate(days):
        x = left + index * slot + (slot - bar) / 2
        y: float = height - bottom
        for kind, value in (
            ("reached", reached),
            ("failed", failed),
            ("unknown", unknown),
            ("pending", pending),
        ):
            if value:
                h = value * scale
                y -= h
                parts.append(
                    f'<rect class="{kind}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                    f'height="{h:.1f}" fill="{_COLOURS[kind]}"><title>{day} {kind}: '
                    f"{value}</title></rect>"
                )
        if len(days) <= 31 or index % max(len(days) // 15, 1) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 14}" font-size="10" '
                f'text-anchor="middle">{day:%m-%d}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_table(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def as_html(report: Report, show_numbers: bool) -> str:
    """One self-contained page (no scripts, no network): summary, chart, tables."""
    groups = [{**g, "coverage": _percent(g["coverage"])} for g in group_rows(report)]
    legend = "".join(
        f'<span><i class="swatch" style="background:{colour}"></i>{kind}</span>'
        for kind, colour in _COLOURS.items()
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(report.name)} — report</title>
<style>{_CSS}</style></head>
<body>
<h1>{html.escape(report.name)} <small>({html.escape(report.campaign)})</small></h1>
<p class="coverage">Coverage <strong id="coverage">{_percent(report.coverage)}</strong>:
{report.reached} of {report.targeted} contacts reached at least once.
Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.</p>
<h2>Per day</h2>
<div id="chart">{_chart(report)}</div>
<p class="legend">{legend}</p>
<h2>Per occurrence</h2>
{_html_table(OCCURRENCE_COLUMNS, occurrence_rows(report))}
<h2>Per group</h2>
{_html_table(GROUP_COLUMNS, groups)}
<h2>Never reached ({len(report.unreached)})</h2>
<div id="unreached">{_html_table(UNREACHED_COLUMNS, unreached_rows(report, show_numbers))}</div>
</body></html>
"""
