"""Manual control: `pause`, `resume`, `cancel` and `retry` (the use cases: `core.control`)."""

from __future__ import annotations

from typing import Annotated

import typer

from reminder.cli.app import command, parse_day, state, stdout
from reminder.delivery.dispatch import DispatchResult
from reminder.errors import UsageError
from reminder.i18n import N_, _, ngettext


def _say(text: str) -> None:
    stdout().print(text, markup=False, highlight=False)


def _report(result: DispatchResult) -> None:
    _say(
        _(
            "sent {sent}, failed {failed}, skipped {skipped}, unknown "
            "{unknown}, reconciled {reconciled}"
        ).format(
            sent=result.sent,
            failed=result.failed,
            skipped=result.skipped,
            unknown=result.unknown,
            reconciled=result.reconciled,
        )
    )


@command(
    "pause", help=N_("Stop dispatching a campaign: running dispatches stop claiming its messages.")
)
def pause(
    ctx: typer.Context, campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))]
) -> None:
    """The command `pause`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        app.pause(campaign)
    _say(
        _("{campaign} paused; `reminder resume {campaign}` sends what is left").format(
            campaign=campaign
        )
    )


@command("resume", help=N_("Resume a paused campaign and send exactly the messages not sent yet."))
def resume(
    ctx: typer.Context, campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))]
) -> None:
    """The command `resume`: its help, shown translated, is given where it is registered."""
    with state(ctx).app() as app:
        result = app.resume(campaign)
    _say(_("{campaign} resumed").format(campaign=campaign))
    _report(result)


@command(
    "cancel", help=N_("Cancel the messages of an occurrence that are still waiting to be sent.")
)
def cancel(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help=N_("Campaign id."))],
    date: Annotated[str, typer.Option(help=N_("Occurrence date (YYYY-MM-DD)."))],
    push: Annotated[str | None, typer.Option(help=N_("Only this push."))] = None,
) -> None:
    """The command `cancel`: its help, shown translated, is given where it is registered."""
    day = parse_day(date)
    assert day is not None
    with state(ctx).app() as app:
        canceled = app.cancel(campaign, day, push)
    _say(
        ngettext(
            "{count} message of {campaign} on {day} canceled",
            "{count} messages of {campaign} on {day} canceled",
            canceled,
        ).format(count=canceled, campaign=campaign, day=day)
    )


@command(
    "retry",
    help=N_(
        "Send failed or unknown messages again (at least one of --failed, "
        "--unknown).\n\n"
        "Messages the provider can be asked about are reconciled first, so a "
        "message it already accepted is not sent twice; for other gateways "
        "--unknown may duplicate, by your decision."
    ),
)
def retry(
    ctx: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help=N_("Retry failed messages."))] = False,
    unknown: Annotated[
        bool, typer.Option("--unknown", help=N_("Resend messages whose fate is unknown."))
    ] = False,
    campaign: Annotated[str | None, typer.Option(help=N_("Only this campaign."))] = None,
) -> None:
    """The command `retry`: its help, shown translated, is given where it is registered."""
    if not (failed or unknown):
        raise UsageError(_("say what to retry: --failed, --unknown, or both"))
    with state(ctx).app() as app:
        retried = app.retry(failed=failed, unknown=unknown, campaign=campaign)
    count = retried.requeued
    _say(
        ngettext(
            "{count} message put back in the queue", "{count} messages put back in the queue", count
        ).format(count=count)
    )
    _report(retried.dispatched)
