"""Manual control: `pause`, `resume`, `cancel` and `retry` (the use cases: `core.control`)."""

from __future__ import annotations

from typing import Annotated

import typer

from reminder.cli.app import command, parse_day, state, stdout
from reminder.delivery.dispatch import DispatchResult
from reminder.errors import UsageError


def _say(text: str) -> None:
    stdout().print(text, markup=False, highlight=False)


def _report(result: DispatchResult) -> None:
    _say(
        f"sent {result.sent}, failed {result.failed}, skipped {result.skipped}, "
        f"unknown {result.unknown}, reconciled {result.reconciled}"
    )


def _messages(count: int) -> str:
    return f"{count} message{'s' if count != 1 else ''}"


@command("pause")
def pause(
    ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="Campaign id.")]
) -> None:
    """Stop dispatching a campaign: running dispatches stop claiming its messages."""
    with state(ctx).app() as app:
        app.pause(campaign)
    _say(f"{campaign} paused; `reminder resume {campaign}` sends what is left")


@command("resume")
def resume(
    ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="Campaign id.")]
) -> None:
    """Resume a paused campaign and send exactly the messages not sent yet."""
    with state(ctx).app() as app:
        result = app.resume(campaign)
    _say(f"{campaign} resumed")
    _report(result)


@command("cancel")
def cancel(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    date: Annotated[str, typer.Option(help="Occurrence date (YYYY-MM-DD).")],
    push: Annotated[str | None, typer.Option(help="Only this push.")] = None,
) -> None:
    """Cancel the messages of an occurrence that are still waiting to be sent."""
    day = parse_day(date)
    assert day is not None
    with state(ctx).app() as app:
        canceled = app.cancel(campaign, day, push)
    _say(f"{_messages(canceled)} of {campaign} on {day} canceled")


@command("retry")
def retry(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Retry failed messages.")] = False,
    unknown: Annotated[
        bool, typer.Option("--unknown", help="Resend messages whose fate is unknown.")
    ] = False,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
) -> None:
    """Send failed or unknown messages again (at least one of --failed, --unknown).

    Messages the provider can be asked about are reconciled first, so a message it already
    accepted is not sent twice; for other gateways --unknown may duplicate, by your decision.
    """
    if not (failed or unknown):
        raise UsageError("say what to retry: --failed, --unknown, or both")
    with state(ctx).app() as app:
        retried = app.retry(failed=failed, unknown=unknown, campaign=campaign)
    _say(f"{_messages(retried.requeued)} put back in the queue")
    _report(retried.dispatched)
