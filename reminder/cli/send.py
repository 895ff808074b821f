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

from reminder.cli.app import command, parse_day, state, stderr, stdout
from reminder.cli.progress import DispatchProgress
from reminder.clock import Clock
from reminder.core.sending import Confirm, OnResult, Progress, PushSent, SendResult
from reminder.delivery.gateways.base import Gateway
from reminder.errors import QuietHoursError, UsageError
from reminder.planning.plan import PlanResult
from reminder.status import Status

#: The counts `--json` prints per push and in total.
TOTALS = ("planned", "already_planned", "sent", "failed", "unknown", "sending", "skipped")


@command()
def send(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    push: Annotated[str | None, typer.Option(help="Only this push (default: every push).")] = None,
    date: Annotated[
        str | None,
        typer.Option(help="Occurrence date, YYYY-MM-DD (default: today in the campaign's zone)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and render only; send and write nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ignore_quiet_hours: Annotated[
        bool,
        typer.Option(
            "--ignore-quiet-hours", help="Send through a real gateway even inside the quiet hours."
        ),
    ] = False,
) -> None:
    """Plan the occurrence of DATE and dispatch it; re-running it never sends anything twice."""
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
            raise UsageError(f"{exc}; send later, or pass --ignore-quiet-hours") from None
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
                f"the {gateway.name} gateway sends to real phones: {to_send} messages would "
                "be sent; run in a terminal to confirm, or pass --yes"
            )
        stderr().print(
            f"About to send {to_send} messages ({segments} segments) through {gateway.name}.",
            markup=False,
        )
        return typer.confirm("Send them now?", default=False)

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
                f"{where}: {p['audience']} messages ({p['segments']} segments); would plan "
                f"{new} new, {p['already_planned']} already planned; dry run, nothing sent or "
                "written"
            )
        else:
            say(
                f"{where}: planned {p['planned']} new, {p['already_planned']} already planned; "
                f"sent {p['sent']}, failed {p['failed']}, unknown {p['unknown']}, skipped "
                f"{p['skipped']}"
                + (
                    " (" + ", ".join(f"{n} {g}" for g, n in p["by_gateway"].items()) + ")"
                    if len(p["by_gateway"]) > 1
                    else ""
                )
            )
            for warning in p["warnings"]:
                say(f"{where}: {warning}")
    if result.dry_run:
        return
    if totals["sending"]:
        say(
            f"{totals['sending']} messages of this occurrence are being sent by another process "
            "that is still running (`reminder log --status sending`); this run left them alone"
        )
    elif not (totals["planned"] or totals["sent"] or totals["failed"]):
        out.print(
            "nothing new to send: this occurrence was already planned and dispatched", markup=False
        )
    if totals["unknown"]:
        say(_unknown_hint(totals["unknown"], result, gateway))


def _unknown_hint(count: int, result: SendResult, gateway: Gateway) -> str:
    """What becomes of messages whose fate is unknown, and what the operator can do."""
    campaign, day = result.campaign, result.day
    these, them = (
        ("1 message's fate is", "it") if count == 1 else (f"{count} messages' fate is", "them")
    )
    if gateway.can_lookup:
        return (
            f"{these} unknown: {gateway.name} may have received {them}, but no answer said so. "
            f"Nothing is sent again blindly: the next `reminder send {campaign} --date {day}` "
            f"(or `reminder retry --unknown --campaign {campaign}` now) first asks "
            f"{gateway.name}, marks sent what it has and sends the rest; `reminder log --status "
            "unknown` lists them"
        )
    return (
        f"{these} unknown and the {gateway.name} gateway cannot be asked whether it received "
        f"{them}: `reminder log --status unknown` lists them; `reminder retry --unknown "
        f"--campaign {campaign}` sends {them} again (anyone who did get one gets it twice)"
    )
