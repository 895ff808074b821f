"""`reminder send`: plan one occurrence of a campaign and dispatch it through the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from reminder.cli.app import command, parse_day, state, stderr, stdout
from reminder.cli.loading import Loaded, default_day, load_everything, pick_pushes
from reminder.cli.progress import DispatchProgress
from reminder.clock import Clock
from reminder.delivery.dispatch import DispatchResult, dispatch_occurrence
from reminder.errors import OperationalError, UsageError
from reminder.inputs.config import Config
from reminder.planning.plan import PlanResult, count_existing, plan_streaming, survey_occurrence
from reminder.status import Status
from reminder.store import Store, open_store


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
    loaded = load_everything(current)
    project = loaded.project
    chosen = project.campaign(campaign)
    day = parse_day(date) or default_day(project, chosen, current)
    # Every message is rendered and counted before anything is written (and the store is not
    # created for input that fails); planning then renders them again, streaming into the store.
    existing = _existing_store(loaded.config)
    try:
        results = survey_occurrence(
            project,
            campaign,
            pick_pushes(chosen, push),
            day,
            explicit=push is not None,
            store=existing,
        )
        if dry_run:
            for result in results:
                count_existing(existing, result)
    finally:
        if existing is not None:
            existing.close()

    if loaded.gateway.real and not dry_run and not ignore_quiet_hours:
        _refuse_in_quiet_hours(loaded, project.timezone(chosen), current.clock)
    if dry_run:
        _report(results, {}, day, campaign, loaded, dry_run=True, as_json=as_json)
        return

    with open_store(loaded.config.database_url) as store:
        if loaded.gateway.real and not yes:
            _confirm(results, loaded)
        protect = loaded.config.settings.suppression.protect_cadres
        waiting: dict[str, int] = {}
        for result in results:
            result.planned = plan_streaming(
                project, store, campaign, result.push, day, current.clock, protect_cadres=protect
            )
            counts = store.status_counts(campaign, result.push, day)
            result.already_planned = sum(counts.values()) - result.planned
            waiting[result.push] = counts.get(Status.planned.value, 0)
        # In --json mode standard output carries only the JSON object.
        target = sys.stderr if as_json else sys.stdout
        with contextlib.redirect_stdout(target):
            dispatched = asyncio.run(_dispatch_all(store, loaded, current.clock, results, waiting))
        _report(
            results, dispatched, day, campaign, loaded, dry_run=False, as_json=as_json, store=store
        )


def _refuse_in_quiet_hours(loaded: Loaded, zone: str, clock: Clock) -> None:
    quiet = loaded.config.settings.quiet_hours
    local = clock.now().astimezone(ZoneInfo(zone))
    if quiet.contains(local.time().replace(tzinfo=None)):
        raise UsageError(
            f"it is {local:%H:%M} in {zone}, inside the quiet hours {quiet.start:%H:%M}–"
            f"{quiet.end:%H:%M}: no reminder may arrive now; send later, or pass "
            "--ignore-quiet-hours"
        )


def _existing_store(config: Config) -> Store | None:
    """The store if it already exists with a schema (a dry run never creates one)."""
    url = config.database_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return None
    try:
        return open_store(url, migrate_schema=False)
    except OperationalError:
        return None


def _confirm(results: list[PlanResult], loaded: Loaded) -> None:
    to_send = sum(r.to_send for r in results)
    segments = sum(r.to_send_segments for r in results)
    if to_send == 0:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"the {loaded.gateway.name} gateway sends to real phones: {to_send} messages would "
            "be sent; run in a terminal to confirm, or pass --yes"
        )
    console = stderr()
    console.print(
        f"About to send {to_send} messages ({segments} segments) through {loaded.gateway.name}.",
        markup=False,
    )
    if not typer.confirm("Send them now?", default=False):
        raise typer.Exit(1)


async def _dispatch_all(
    store: Store,
    loaded: Loaded,
    clock: Clock,
    results: list[PlanResult],
    waiting: dict[str, int],
) -> dict[str, DispatchResult]:
    outcomes: dict[str, DispatchResult] = {}
    try:
        for result in results:
            label = f"{result.campaign}/{result.push} {result.occurrence}"
            with DispatchProgress(label, waiting[result.push], clock) as progress:
                outcomes[result.push] = await dispatch_occurrence(
                    store,
                    loaded.gateway,
                    clock,
                    campaign=result.campaign,
                    push=result.push,
                    occurrence=result.occurrence,
                    per_number_cap=loaded.config.settings.per_number_cap,
                    on_result=progress.update,
                    sends_despite_suppression=loaded.project.sends_despite_suppression,
                )
    finally:
        await loaded.gateway.aclose()
    return outcomes


def _report(
    results: list[PlanResult],
    dispatched: dict[str, DispatchResult],
    day: date,
    campaign: str,
    loaded: Loaded,
    *,
    dry_run: bool,
    as_json: bool,
    store: Store | None = None,
) -> None:
    """Print what each push did: `sent` and `failed` by this run; `skipped` and `unknown` as
    the occurrence now holds them, whichever run left them there."""
    pushes: list[dict[str, Any]] = []
    for result in results:
        outcome = dispatched.get(result.push, DispatchResult())
        counts = store.status_counts(campaign, result.push, day) if store else {}
        pushes.append(
            {
                "push": result.push,
                "audience": result.audience,
                "segments": result.segments,
                "planned": result.planned,
                "already_planned": result.already_planned,
                "sent": outcome.sent,
                "failed": outcome.failed,
                "unknown": counts.get(Status.unknown.value, 0),
                "sending": counts.get(Status.sending.value, 0),
                "skipped": counts.get(Status.skipped.value, 0),
            }
        )
    totals = {
        key: sum(p[key] for p in pushes)
        for key in (
            "planned",
            "already_planned",
            "sent",
            "failed",
            "unknown",
            "sending",
            "skipped",
        )
    }
    if as_json:
        document = {
            "campaign": campaign,
            "date": day.isoformat(),
            "gateway": loaded.gateway.name,
            "dry_run": dry_run,
            **totals,
            "pushes": pushes,
        }
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
        if totals["unknown"]:
            stderr().print(
                _unknown_hint(totals["unknown"], campaign, day, loaded),
                markup=False,
                highlight=False,
            )
        return
    out = stdout()
    for p in pushes:
        if dry_run:
            out.print(
                f"{campaign}/{p['push']} {day}: {p['audience']} messages ({p['segments']} "
                f"segments); would plan {max(p['audience'] - p['already_planned'], 0)} new, "
                f"{p['already_planned']} already planned; dry run, nothing sent or written",
                markup=False,
                highlight=False,
            )
        else:
            out.print(
                f"{campaign}/{p['push']} {day}: planned {p['planned']} new, "
                f"{p['already_planned']} already planned; sent {p['sent']}, failed "
                f"{p['failed']}, unknown {p['unknown']}, skipped {p['skipped']}",
                markup=False,
                highlight=False,
            )
    if not dry_run and totals["sending"]:
        out.print(
            f"{totals['sending']} messages of this occurrence are being sent by another process "
            "that is still running (`reminder log --status sending`); this run left them alone",
            markup=False,
            highlight=False,
        )
    elif not dry_run and not (totals["planned"] or totals["sent"] or totals["failed"]):
        out.print(
            "nothing new to send: this occurrence was already planned and dispatched", markup=False
        )
    if not dry_run and totals["unknown"]:
        out.print(
            _unknown_hint(totals["unknown"], campaign, day, loaded),
            markup=False,
            highlight=False,
        )


def _unknown_hint(count: int, campaign: str, day: date, loaded: Loaded) -> str:
    """What becomes of messages whose fate is unknown, and what the operator can do."""
    gateway = loaded.gateway
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
