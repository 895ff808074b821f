"""Manual control: `pause`, `resume`, `cancel` and `retry`."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from reminder.cli.app import State, command, parse_day, state, stdout
from reminder.cli.loading import Loaded, load_everything
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.errors import UsageError
from reminder.status import Status
from reminder.store import Selection, Store, open_store


def _say(text: str) -> None:
    stdout().print(text, markup=False, highlight=False)


def _dispatch(
    current: State, store: Store, selection: Selection, loaded: Loaded | None = None
) -> DispatchResult:
    loaded = loaded or load_everything(current)

    async def run() -> DispatchResult:
        try:
            return await Dispatcher(
                store,
                loaded.gateway,
                current.clock,
                per_number_cap=loaded.config.settings.per_number_cap,
                sends_despite_suppression=loaded.project.sends_despite_suppression,
            ).run(selection)
        finally:
            await loaded.gateway.aclose()

    return asyncio.run(run())


def _report(result: DispatchResult) -> None:
    _say(
        f"sent {result.sent}, failed {result.failed}, skipped {result.skipped}, "
        f"unknown {result.unknown}, reconciled {result.reconciled}"
    )


@command("pause")
def pause(
    ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="Campaign id.")]
) -> None:
    """Stop dispatching a campaign: running dispatches stop claiming its messages."""
    current = state(ctx)
    with open_store(current.config().database_url) as store:
        store.set_paused(campaign, True, current.clock.now())
    _say(f"{campaign} paused; `reminder resume {campaign}` sends what is left")


@command("resume")
def resume(
    ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="Campaign id.")]
) -> None:
    """Resume a paused campaign and send exactly the messages not sent yet."""
    current = state(ctx)
    with open_store(current.config().database_url) as store:
        store.set_paused(campaign, False, current.clock.now())
        _say(f"{campaign} resumed")
        _report(_dispatch(current, store, Selection(campaign)))


@command("cancel")
def cancel(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Campaign id.")],
    date: Annotated[str, typer.Option(help="Occurrence date (YYYY-MM-DD).")],
    push: Annotated[str | None, typer.Option(help="Only this push.")] = None,
) -> None:
    """Cancel the messages of an occurrence that are still waiting to be sent."""
    current = state(ctx)
    day = parse_day(date)
    with open_store(current.config().database_url) as store:
        canceled = store.settle_planned(
            Selection(campaign, push, day),
            Status.canceled,
            current.clock.now(),
            source="operator",
            detail="canceled by an operator",
        )
    _say(f"{canceled} message{'s' if canceled != 1 else ''} of {campaign} on {day} canceled")


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
    current = state(ctx)
    wanted = [Status.failed] if failed else []
    loaded = load_everything(current)
    # Unknown messages are reconciled by the dispatcher when the provider can be asked; only
    # for other gateways does the operator's word put them back in the queue.
    if unknown and not loaded.gateway.can_lookup:
        wanted.append(Status.unknown)
    with open_store(loaded.config.database_url) as store:
        selection = Selection(campaign)
        requeued = 0
        now = current.clock.now()
        for message in store.claims(selection, wanted):
            assert message.id is not None
            requeued += store.requeue(
                message.id, now, source="operator", detail="retry requested by an operator"
            )
        _say(f"{requeued} message{'s' if requeued != 1 else ''} put back in the queue")
        _report(_dispatch(current, store, selection, loaded))
