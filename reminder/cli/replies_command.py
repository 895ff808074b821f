"""`reminder replies`: the replies people sent, what each was found to be, and which message an
acknowledgement answers. The text of a reply is personal data: masked, as numbers are, unless
`--show-numbers` asks for both in full."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from reminder.cli.app import command, state, stdout
from reminder.errors import UsageError
from reminder.i18n import N_, _, ngettext
from reminder.phones import mask_words, shown
from reminder.store import Reply, ReplyOutcome

#: Each outcome as a person reads it.
OUTCOMES = {
    ReplyOutcome.acknowledged: N_("acknowledged"),
    ReplyOutcome.ambiguous: N_("ambiguous"),
    ReplyOutcome.unmatched: N_("unmatched"),
    ReplyOutcome.opted_out: N_("opted out"),
}
#: What `--unmatched` shows: the replies an operator has to read.
TO_READ = (ReplyOutcome.unmatched, ReplyOutcome.ambiguous)
COLUMNS = (N_("id"), N_("from"), N_("reply"), N_("outcome"), N_("campaign/push"), N_("date"))


@command(
    "replies",
    help=N_(
        "List the replies people sent: acknowledged, ambiguous, unmatched or opted out, "
        "newest first."
    ),
)
def list_replies(
    ctx: typer.Context,
    campaign: Annotated[
        str | None, typer.Option(help=N_("Only the replies acknowledging this campaign."))
    ] = None,
    unmatched: Annotated[
        bool, typer.Option("--unmatched", help=N_("Only the replies no question took."))
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help=N_("At most this many, newest first."))] = 50,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print a JSON list."))] = False,
    show_numbers: Annotated[
        bool,
        typer.Option("--show-numbers", help=N_("Show phone numbers and replies in full.")),
    ] = False,
) -> None:
    """The command `replies`: its help, shown translated, is given where it is registered."""
    if unmatched and campaign is not None:
        raise UsageError(
            _(
                "--unmatched lists replies no question took, which belong to no campaign: "
                "leave out --campaign"
            )
        )
    with state(ctx).app() as app:
        found = app.replies(campaign, TO_READ if unmatched else (), limit)
        if show_numbers:
            app.show_numbers("replies", campaign, count=len(found), via="cli")
        zone_name = app.config.settings.timezone
    rows = [_row(r, ZoneInfo(zone_name), show_numbers) for r in found]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    stdout().print(_table(rows, zone_name))


def _row(reply: Reply, zone: ZoneInfo, show_numbers: bool) -> dict[str, Any]:
    sender = reply.sender
    if not sender.startswith("+"):  # kept as the provider wrote it: no number to mask
        sender = sender if show_numbers else mask_words(sender)
    else:
        sender = shown(sender, show_numbers=show_numbers)
    return {
        "id": reply.id,
        "received_at": reply.received_at.astimezone(zone).isoformat(timespec="seconds"),
        "from": sender,
        "text": reply.text if show_numbers else mask_words(reply.text),
        "outcome": reply.outcome,
        "gateway": reply.gateway,
        "message_id": reply.message_id,
        "campaign": reply.campaign,
        "push": reply.push,
        "occurrence": reply.occurrence.isoformat() if reply.occurrence else None,
        "contact_id": reply.contact_id,
    }


def _table(rows: list[dict[str, Any]], zone: str) -> Table:
    """The replies as a table, times in `zone` (named in the heading of their column)."""
    title = ngettext("{count} reply (newest first)", "{count} replies (newest first)", len(rows))
    table = Table(title=title.format(count=len(rows)), title_justify="left")
    table.add_column(_("received ({zone})").format(zone=zone), overflow="fold")
    for column in COLUMNS:
        table.add_column(_(column), overflow="fold")
    table.add_column(_("contact"), overflow="fold")
    for row in rows:
        answered = f"{row['campaign']}/{row['push']}" if row["campaign"] else "-"
        table.add_row(
            row["received_at"][:16].replace("T", " "),
            str(row["id"]),
            row["from"],
            row["text"],
            _(OUTCOMES[ReplyOutcome(row["outcome"])]),
            answered,
            row["occurrence"] or "-",
            row["contact_id"] or "-",
        )
    return table
