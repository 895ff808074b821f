"""The list of commitments for a person: CSV, JSON, an HTML page and an Excel workbook an office
prints and files, in the config's language. Numbers and words are masked unless the reader asks
for them (`--show-numbers`): the record kept on file is made with it."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path
from typing import Any, TextIO

from xlsxwriter import Workbook

from reminder.i18n import N_, _, current_language
from reminder.phones import mask_words, shown
from reminder.reports.commitments import Commitments

COLUMNS = {
    "family": N_("Family of (cadre id)"),
    "cadre": N_("Cadre"),
    "contact_id": N_("Contact id"),
    "name": N_("Name"),
    "relation": N_("Relation"),
    "number": N_("Phone number"),
    "committed_at": N_("Committed at"),
    "words": N_("Words"),
    "push": N_("Push"),
    "date": N_("Date"),
}


def rows(found: Commitments, show_numbers: bool) -> list[dict[str, Any]]:
    """One dict per commitment (JSON keys), numbers and words masked unless asked."""
    return [
        {
            "family": c.family,
            "cadre": c.cadre,
            "contact_id": c.contact_id,
            "name": c.name,
            "relation": c.relation,
            "number": shown(c.number, show_numbers=show_numbers),
            "committed_at": f"{c.committed_at:%Y-%m-%d %H:%M}",
            "words": c.words if show_numbers else mask_words(c.words),
            "push": c.push,
            "date": c.occurrence.isoformat(),
        }
        for c in found.rows
    ]


def title(found: Commitments) -> str:
    """The heading: the campaign and how many commitments."""
    return _("Commitments of {name} ({campaign}): {count}").format(
        name=found.name, campaign=found.campaign, count=len(found.rows)
    )


def note(found: Commitments) -> str:
    """Which zone the times are in, and how many answers came after a family's first."""
    return _(
        "Times in {zone}; {repeated} later answers of the same family or person not listed"
    ).format(zone=found.zone, repeated=found.repeated)


def headings() -> list[str]:
    """The translated column headings."""
    return [_(label) for label in COLUMNS.values()]


def write_csv(found: Commitments, show_numbers: bool, out: TextIO) -> None:
    """A heading line, a note, then the table."""
    writer = csv.writer(out)
    writer.writerow(["# " + title(found)])
    writer.writerow(["# " + note(found)])
    writer.writerow(headings())
    for row in rows(found, show_numbers):
        writer.writerow([row[key] for key in COLUMNS])


def write_json(found: Commitments, show_numbers: bool, out: TextIO) -> None:
    """One JSON object: the campaign, its committing pushes, the zone, and the list."""
    data = {
        "campaign": found.campaign,
        "name": found.name,
        "organisation": found.organisation,
        "timezone": found.zone,
        "pushes": list(found.pushes),
        "repeated": found.repeated,
        "commitments": rows(found, show_numbers),
    }
    out.write(json.dumps(data, ensure_ascii=False) + "\n")


def as_html(found: Commitments, show_numbers: bool) -> str:
    """One self-contained page (no scripts) to print: organisation, heading, note, table."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in headings())
    body = "".join(
        "<tr>" + "".join(f"<td>{e(str(row[key]))}</td>" for key in COLUMNS) + "</tr>"
        for row in rows(found, show_numbers)
    )
    return f"""<!DOCTYPE html>
<html lang="{current_language()}"><head><meta charset="utf-8">
<title>{e(title(found))}</title>
<style>body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.85em; }}
th, td {{ border: 1px solid #bbb; padding: 3px 6px; text-align: left; }} th {{ background: #eee; }}
@page {{ size: A4 landscape; margin: 15mm; }}</style></head>
<body>
<p>{e(found.organisation)}</p>
<h1 id="title">{e(title(found))}</h1>
<p class="note">{e(note(found))}</p>
<table id="commitments"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>
"""


def write_xlsx(found: Commitments, path: Path, show_numbers: bool) -> None:
    """One sheet: the heading row bold and frozen, A4 landscape fitted to the page width."""
    book = Workbook(str(path), {"constant_memory": True})
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet(_("Commitments"))
    widths = (12, 10, 12, 10, 10, 18, 18, 16, 14, 12)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.write_row(0, 0, headings(), bold)
    for index, row in enumerate(rows(found, show_numbers), start=1):
        sheet.write_row(index, 0, [row[key] for key in COLUMNS])
    book.close()
