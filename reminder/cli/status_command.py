"""`reminder status`: the nodes on the store, who leads, and the occurrences in flight."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.table import Table

from reminder.cli.app import command, state, stdout
from reminder.clock import local_text
from reminder.core.nodes import ClusterStatus, InFlight, NodeState
from reminder.i18n import N_, _, ngettext

#: The headings of the node table, translated where shown.
NODE_COLUMNS = (
    N_("node"),
    N_("role"),
    N_("started"),
    N_("last heartbeat"),
    N_("sent"),
    N_("per second"),
)
#: The headings of the occurrence table.
FLIGHT_COLUMNS = (
    N_("campaign"),
    N_("push"),
    N_("date"),
    N_("planned"),
    N_("sending"),
    N_("unknown"),
    N_("sending on"),
)


@command(
    "status",
    help=N_(
        "Show the nodes running on the store, which one leads, each one's last heartbeat "
        "and throughput, and the occurrences in flight."
    ),
)
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print a JSON object."))] = False,
) -> None:
    """The command `status`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        app.load()
        found = app.cluster_status()
        zone = app.config.settings.timezone
    if as_json:
        sys.stdout.write(json.dumps(found.as_json(), ensure_ascii=False) + "\n")
        return
    _print_nodes(found, zone)
    _print_in_flight(found.in_flight)


def _role(node: NodeState) -> str:
    if node.leads:
        return _("leader")
    if node.running:
        return _("worker")
    return _("stopped") if not node.beat.running else _("silent")


def _print_nodes(found: ClusterStatus, zone: str) -> None:
    out = stdout()
    if not found.nodes:
        out.print(_("no node has run on this store yet"), markup=False, highlight=False)
        return
    running = sum(1 for n in found.nodes if n.running)
    leader = found.leader
    title = ngettext("{count} node running", "{count} nodes running", running).format(count=running)
    title += "; " + (
        _("leader: {node}").format(node=leader.beat.id) if leader else _("no node leads")
    )
    table = Table(title=title, title_justify="left")
    for column in NODE_COLUMNS:
        table.add_column(_(column))
    for node in found.nodes:
        beat = node.beat
        table.add_row(
            beat.id,
            _role(node),
            local_text(beat.started_at, zone),
            _("{moment} ({seconds:.0f} s ago)").format(
                moment=local_text(beat.at, zone, seconds=True),
                seconds=max(0.0, node.silent_seconds),
            ),
            str(beat.sent),
            f"{node.per_second:.1f}",
        )
    out.print(table)


def _print_in_flight(rows: list[InFlight]) -> None:
    out = stdout()
    if not rows:
        out.print(_("no occurrence in flight"), markup=False, highlight=False)
        return
    table = Table(
        title=ngettext(
            "{count} occurrence in flight", "{count} occurrences in flight", len(rows)
        ).format(count=len(rows)),
        title_justify="left",
    )
    for column in FLIGHT_COLUMNS:
        table.add_column(_(column))
    for row in rows:
        holders = ", ".join(f"{node} ({count})" for node, count in sorted(row.holders.items()))
        table.add_row(
            row.campaign,
            row.push,
            row.day.isoformat(),
            str(row.counts.get("planned", 0)),
            str(row.counts.get("sending", 0)),
            str(row.counts.get("unknown", 0)),
            holders,
        )
    out.print(table)
