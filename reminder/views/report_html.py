"""The report as one self-contained HTML page an office prints and files: in the config's
language, with the organisation, the campaign, the period covered, the time it was made (in
the campaign's zone, the zone shown), a chart per day and the tables; A4 with page numbers.

Fonts: the page names the CJK fonts Debian (fonts-noto-cjk, fonts-wqy-microhei) and Windows
(Microsoft YaHei, SimSun) ship, so no Chinese character falls back to a box where one is
installed; a browser test fails when one would.
"""

from __future__ import annotations

import html
import math
from typing import Any

from reminder.i18n import N_, _, current_language
from reminder.reports.figures import Report
from reminder.views.report import (
    FIRST_ROWS,
    UNREACHED_COLUMNS,
    gateway_lines,
    group_columns,
    group_rows,
    headings,
    moment,
    occurrence_columns,
    occurrence_rows,
    percent,
    period_text,
    shown_cell,
    unreached_rows,
)
from reminder.views.report_acks import SILENT_COLUMNS, ack_lines, silent_rows, silent_title

#: The CJK font stack: Debian's, then Windows', then macOS', then the generic family.
FONTS = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", '
    '"SimSun", "PingFang SC", sans-serif'
)
#: Rows of the list of contacts not reached printed on the page (the rest: CSV or xlsx).
PAGE_ROWS = max(FIRST_ROWS, 500)

CSS = """
@page { size: A4; margin: 15mm 12mm 18mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; } }
body { font-family: FONTS; color: #222; margin: 2em; }
header p { margin: 0.2em 0; }
.organisation { font-size: 1.1em; letter-spacing: 0.1em; }
h1 { font-size: 1.4em; margin: 0.3em 0; } h2 { font-size: 1.1em; margin-top: 1.6em; }
.coverage { font-size: 1.2em; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; page-break-inside: auto; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; }
td.n { text-align: right; }
th { background: #eee; } tr { page-break-inside: avoid; } thead { display: table-header-group; }
svg { max-width: 100%; height: auto; }
.legend span { display: inline-block; margin-right: 1.5em; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; }
.note { color: #555; font-size: 0.9em; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } }
""".replace("FONTS", FONTS)
COLOURS = {
    "reached": ("#2e7d32", N_("reached")),
    "failed": ("#c62828", N_("failed")),
    "unknown": ("#ef6c00", N_("unknown")),
    "pending": ("#9e9e9e", N_("pending")),
}  # reached: delivered or accepted; unknown: may have reached the provider, no answer


def nice_step(top: int) -> int:
    """A round step for about five gridlines up to `top` (1, 2, 5, 10, 20, 50, …)."""
    raw = max(top / 5, 1)
    power = 10 ** math.floor(math.log10(raw))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def chart(report: Report) -> str:
    """Stacked bars per day with gridlines and values on the axis: bars of at most 48 px, so
    one day reads as one bar, not a slab, and thirty fit the page."""
    days = report.daily()
    if not days:
        return "<p>" + html.escape(_("No messages yet.")) + "</p>"
    left, bottom, top_margin, height = 56, 40, 16, 260
    slot = min(60.0, 660 / len(days))
    width = int(left + slot * len(days) + 20)
    peak = max(sum(d[1:]) for d in days) or 1
    step = nice_step(peak)
    axis_top = step * math.ceil(peak / step)
    scale = (height - bottom - top_margin) / axis_top
    base = height - bottom
    label = html.escape(_("Messages per day"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}">'
    ]
    for value in range(0, axis_top + 1, step):
        y = base - value * scale
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
            f'stroke="{"#444" if value == 0 else "#ddd"}"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" font-size="11" '
            f'text-anchor="end">{value}</text>'
        )
    bar = min(slot * 0.7, 48)
    label_every = max(1, math.ceil(len(days) / 15))
    for index, (day, *values) in enumerate(days):
        x = left + index * slot + (slot - bar) / 2
        y = float(base)
        for kind, value in zip(COLOURS, values, strict=True):
            if value:
                h = value * scale
                y -= h
                parts.append(
                    f'<rect class="{kind}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                    f'height="{h:.1f}" fill="{COLOURS[kind][0]}"><title>{day} {kind}: '
                    f"{value}</title></rect>"
                )
        if sum(values):
            parts.append(
                f'<text class="value" x="{x + bar / 2:.1f}" y="{y - 3:.1f}" font-size="10" '
                f'text-anchor="middle">{sum(values)}</text>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + 14}" font-size="10" '
                f'text-anchor="middle">{day:%m-%d}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(columns: dict[str, str], rows: Any, table_id: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headings(columns))
    body = []
    for row in rows:
        cells = []
        for key in columns:
            value = row[key]
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            css = ' class="n"' if numeric else ""
            cells.append(f"<td{css}>{html.escape(shown_cell(key, value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _legend() -> str:
    return "".join(
        f'<span><i class="swatch" style="background:{colour}"></i>{html.escape(_(label))}</span>'
        for colour, label in COLOURS.values()
    )


def _silent(report: Report, show_numbers: bool) -> str:
    if report.acks is None:
        return ""
    rows = silent_rows(report, show_numbers)
    title = html.escape(silent_title(report))
    return f'<h2>{title}</h2>\n<div id="silent">{_table(SILENT_COLUMNS, rows)}</div>'


def as_html(report: Report, show_numbers: bool) -> str:
    """One self-contained page (no scripts, no network): heading, summary, chart, tables."""
    e = html.escape
    legend = _legend()
    coverage = _("Coverage {coverage}: {reached} of {targeted} contacts reached").format(
        coverage=f'<strong id="coverage">{percent(report.coverage)}</strong>',
        reached=report.reached,
        targeted=report.targeted,
    )
    counts = _("{awaiting} sent, awaiting receipt; {unreached} not reached").format(
        awaiting=report.awaiting, unreached=report.unreached_count
    )
    notes = "".join(f'<p class="note">{e(line)}</p>' for line in gateway_lines(report))
    notes = "".join(f'<p id="acks">{e(line)}</p>' for line in ack_lines(report)) + notes
    rows = unreached_rows(report, show_numbers, PAGE_ROWS)
    more = ""
    if report.unreached_count > PAGE_ROWS:
        more = (
            '<p class="note">'
            + e(
                _(
                    "The first {shown} of {count} shown; "
                    "the whole list is in the CSV or xlsx report."
                ).format(shown=PAGE_ROWS, count=report.unreached_count)
            )
            + "</p>"
        )
    title = _("Report on {name}").format(name=report.name)
    campaign = _("Campaign: {name} ({campaign})").format(name=report.name, campaign=report.campaign)
    generated = _("Generated {moment}").format(moment=moment(report.generated_at, report.zone))
    per_day, per_occurrence, per_group = _("Per day"), _("Per occurrence"), _("Per group")
    not_reached = _("Not reached ({count})").format(count=report.unreached_count)
    return f"""<!DOCTYPE html>
<html lang="{current_language()}"><head><meta charset="utf-8">
<title>{e(title)}</title>
<style>{CSS}</style></head>
<body>
<header>
<p class="organisation">{e(report.organisation)}</p>
<h1 id="title">{e(title)}</h1>
<p>{e(campaign)}</p>
<p id="period">{e(period_text(report))}</p>
<p>{e(generated)}</p>
</header>
<p class="coverage">{coverage}</p>
<p>{e(counts)}</p>
{notes}
<h2>{e(per_day)}</h2>
<div id="chart">{chart(report)}</div>
<p class="legend">{legend}</p>
<h2>{e(per_occurrence)}</h2>
{_table(occurrence_columns(report), occurrence_rows(report))}
<h2>{e(per_group)}</h2>
{_table(group_columns(report), group_rows(report))}
<h2>{e(not_reached)}</h2>
<div id="unreached">{_table(UNREACHED_COLUMNS, rows)}</div>
{more}
{_silent(report, show_numbers)}
</body></html>
"""
