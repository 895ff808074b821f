"""`reminder send`: plan one occurrence of a campaign and dispatch it through the gateway.

The use case is `App.send_occurrence`; this module parses the options, asks for confirmation,
shows the progress and prints what was done.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from reminder.cli import words
from reminder.cli.app import command, parse_day, state, stderr, stdout
from reminder.cli.progress import DispatchProgress
from reminder.clock import Clock
from reminder.core.sending import Confirm, OnResult, Progress, PushSent, SendResult
from reminder.delivery.gateways.base import Gateway
from reminder.errors import QuietHoursError, UsageError
from reminder.i18n import N_, _, ngettext
from reminder.planning.plan import PlanResult
from reminder.status import Status

#: The counts `--json` prints per push and in total.
TOTALS = ("planned", "already_planned", "sent", "failed", "unknown", "sending", "skipped")


@command(
    help=N_(
        "Plan the occurrence of DATE and dispatch it; re-running it never sends anything twice."
    )
)
def send(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))],
    push: Annotated[
        str | None, typer.Option(help=N_("Only this push (default: every push)."))
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            help=N_("Occurrence date, YYYY-MM-DD (default: today in the campaign's zone).")
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help=N_("Plan and render only; send and write nothing."))
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=N_("Do not ask for confirmation."))
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=N_("Print one JSON object."))] = False,
    ignore_quiet_hours: Annotated[
        bool,
        typer.Option(
            "--ignore-quiet-hours",
            help=N_("Send through a real gateway even inside the quiet hours."),
        ),
    ] = False,
) -> None:
    """The command `send`: its help, shown translated, is given where it is registered."""
    current = state(ctx)
    with current.app() as app:
        app.load()  # every problem with the files is reported before any with the options
        try:
            result = app.send_occurrence(
                campaign,
                parse_day(date),
                push,
                dry_run=dry_run,
                ignore_quiet_hours=ignore_quiet_hours,
                confirm=None if yes else _confirm(app.gateway),
                progress=_progress(current.clock, as_json),
            )
        except QuietHoursError as exc:
            raise UsageError(
                _("{exc}; send later, or pass --ignore-quiet-hours").format(exc=exc)
            ) from None
        if result.declined:
            raise typer.Exit(1)
        rows = [_row(p) for p in result.pushes]
        totals = {key: sum(row[key] for row in rows) for key in TOTALS}
        if as_json:
            _print_json(result, rows, totals, app.gateway)
        else:
            _print_text(result, rows, totals, app.gateway)


def _confirm(gateway: Gateway) -> Confirm:
    def ask(results: list[PlanResult]) -> bool:
        to_send = sum(r.to_send for r in results)
        segments = sum(r.to_send_segments for r in results)
        if not sys.stdin.isatty():
            raise UsageError(
                ngettext(
                    "the {name} gateway sends to real phones: {count} message would be sent; "
                    "run in a terminal to confirm, or pass --yes",
                    "the {name} gateway sends to real phones: {count} messages would be sent; "
                    "run in a terminal to confirm, or pass --yes",
                    to_send,
                ).format(name=gateway.name, count=to_send)
            )
        stderr().print(
            _("About to send {messages} ({segments}) through {name}.").format(
                messages=words.messages(to_send),
                segments=words.segments(segments),
                name=gateway.name,
            ),
            markup=False,
        )
        return typer.confirm(_("Send them now?"), default=False)

    return ask


def _progress(clock: Clock, as_json: bool) -> Progress:
    @contextlib.contextmanager
    def watch(result: PlanResult, waiting: int) -> Iterator[OnResult]:
        label = f"{result.campaign}/{result.push} {result.occurrence}"
        # In --json mode standard output carries only the JSON object (the console gateway
        # prints each message it sends).
        target = sys.stderr if as_json else sys.stdout
        with contextlib.redirect_stdout(target), DispatchProgress(label, waiting, clock) as shown:
            yield shown.update

    return watch


def _row(push: PushSent) -> dict[str, Any]:
    """One push as `--json` prints it: `sent` and `failed` by this run; `skipped` and `unknown`
    as the occurrence now holds them, whichever run left them there."""
    survey, statuses = push.survey, push.statuses
    return {
        "push": survey.push,
        "audience": survey.audience,
        "segments": survey.segments,
        "planned": survey.planned,
        "already_planned": survey.already_planned,
        "sent": push.sent,
        "failed": push.failed,
        "unknown": statuses.get(Status.unknown.value, 0),
        "sending": statuses.get(Status.sending.value, 0),
        "skipped": statuses.get(Status.skipped.value, 0),
        "by_gateway": dict(push.by_gateway),
        "warnings": push.warnings,
    }


def _print_json(
    result: SendResult, rows: list[dict[str, Any]], totals: dict[str, int], gateway: Gateway
) -> None:
    document = {
        "campaign": result.campaign,
        "date": result.day.isoformat(),
        "gateway": gateway.name,
        "dry_run": result.dry_run,
        **totals,
        "pushes": rows,
    }
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    if totals["unknown"]:
        stderr().print(
            _unknown_hint(totals["unknown"], result, gateway), markup=False, highlight=False
        )


def _print_text(
    result: SendResult, rows: list[dict[str, Any]], totals: dict[str, int], gateway: Gateway
) -> None:
    out = stdout()

    def say(text: str) -> None:
        out.print(text, markup=False, highlight=False)

    for p in rows:
        where = f"{result.campaign}/{p['push']} {result.day}"
        if result.dry_run:
            new = max(p["audience"] - p["already_planned"], 0)
            say(
                _(
                    "{where}: {messages} ({segments}); would plan {new} new, "
                    "{already_planned} already planned; dry run, nothing sent or written"
                ).format(
                    where=where,
                    messages=words.messages(p["audience"]),
                    segments=words.segments(p["segments"]),
                    new=new,
                    already_planned=p["already_planned"],
                )
            )
        else:
            say(_sent_line(where, p))
            for warning in p["warnings"]:
                say(f"{where}: {warning}")
    if result.dry_run:
        return
    if totals["sending"]:
        say(
            ngettext(
                "{count} message of this occurrence is being sent by another process that is "
                "still running (`reminder log --status sending`); this run left it alone",
                "{count} messages of this occurrence are being sent by another process that is "
                "still running (`reminder log --status sending`); this run left them alone",
                totals["sending"],
            ).format(count=totals["sending"])
        )
    elif not (totals["planned"] or totals["sent"] or totals["failed"]):
        out.print(
            _("nothing new to send: this occurrence was already planned and dispatched"),
            markup=False,
        )
    if totals["unknown"]:
        say(_unknown_hint(totals["unknown"], result, gateway))
    say(
        _(
            "in all: planned {planned} new, sent {sent}, failed {failed}, unknown {unknown}, "
            "skipped {skipped}; each message: `reminder log {campaign}`; coverage: "
            "`reminder report {campaign}`"
        ).format(campaign=result.campaign, **totals)
    )


def _sent_line(where: str, p: dict[str, Any]) -> str:
    """What one push's send did, with the gateways that carried it when more than one did."""
    line = _(
        "{where}: planned {planned} new, {already_planned} already "
        "planned; sent {sent}, failed {failed}, unknown {unknown}, "
        "skipped {skipped}"
    ).format(
        where=where,
        planned=p["planned"],
        already_planned=p["already_planned"],
        sent=p["sent"],
        failed=p["failed"],
        unknown=p["unknown"],
        skipped=p["skipped"],
    )
    if len(p["by_gateway"]) > 1:
        line += " (" + ", ".join(f"{n} {g}" for g, n in p["by_gateway"].items()) + ")"
    return line


def _unknown_hint(count: int, result: SendResult, gateway: Gateway) -> str:
    """What becomes of messages whose fate is unknown, and what the operator can do."""
    values = {"count": count, "gateway": gateway.name, "campaign": result.campaign}
    if gateway.can_lookup:
        return ngettext(
            "{count} message's fate is unknown: {gateway} may have received it, but no answer "
            "said so. Nothing is sent again blindly: the next `reminder send {campaign} --date "
            "{day}` (or `reminder retry --unknown --campaign {campaign}` now) first asks "
            "{gateway}, marks sent what it has and sends the rest; `reminder log --status "
            "unknown` lists them",
            "{count} messages' fate is unknown: {gateway} may have received them, but no answer "
            "said so. Nothing is sent again blindly: the next `reminder send {campaign} --date "
            "{day}` (or `reminder retry --unknown --campaign {campaign}` now) first asks "
            "{gateway}, marks sent what it has and sends the rest; `reminder log --status "
            "unknown` lists them",
            count,
        ).format(day=result.day, **values)
    return ngettext(
        "{count} message's fate is unknown and the {gateway} gateway cannot be asked whether "
        "it received it: `reminder log --status unknown` lists them; `reminder retry --unknown "
        "--campaign {campaign}` sends it again (anyone who did get one gets it twice)",
        "{count} messages' fate is unknown and the {gateway} gateway cannot be asked whether "
        "it received them: `reminder log --status unknown` lists them; `reminder retry "
        "--unknown --campaign {campaign}` sends them again (anyone who did get one gets it twice)",
        count,
    ).format(**values)
