"""Manual control of what is sent: pause, resume, cancel, retry, and the suppression list.

Every change is made as an operator (`source="operator"` on the events it appends). Resuming
and retrying dispatch at once, through `App.dispatch`, which first reconciles what earlier runs
left unfinished.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from reminder.delivery.dispatch import DispatchResult
from reminder.errors import UsageError
from reminder.i18n import _
from reminder.phones import mask, normalise
from reminder.status import Status
from reminder.store import Selection

if TYPE_CHECKING:
    from reminder.core.app import App


@dataclass(frozen=True)
class Retried:
    """What `retry` did: how many messages went back in the queue, and the dispatch after."""

    requeued: int
    dispatched: DispatchResult


@dataclass(frozen=True)
class Suppressed:
    """A number (E.164) of the suppression list, and whether the call changed the list."""

    number: str
    changed: bool


def pause(app: App, campaign: str, *, actor: str | None = None) -> None:
    """Stop dispatching a campaign: running dispatches stop claiming its messages."""
    app.store.set_paused(campaign, True, app.clock.now())
    app.audit(actor, "campaign.paused", campaign)


def resume(app: App, campaign: str, *, actor: str | None = None) -> DispatchResult:
    """Resume a paused campaign and send exactly the messages not sent yet. The files and the
    gateway are checked first: with a problem, the campaign stays paused."""
    app.load()
    app.store.set_paused(campaign, False, app.clock.now())
    app.audit(actor, "campaign.resumed", campaign)
    app.wake_nodes()
    result = app.dispatch(Selection(campaign))
    if result.sent or result.failed:
        app.audit(actor, "occurrence.sent", campaign, sent=result.sent, failed=result.failed)
    return result


def cancel(
    app: App, campaign: str, day: date, push: str | None = None, *, actor: str | None = None
) -> int:
    """Cancel the messages of an occurrence still waiting to be sent; returns how many."""
    canceled = app.store.settle_planned(
        Selection(campaign, push, day),
        Status.canceled,
        app.clock.now(),
        source="operator",
        detail="canceled by an operator",
    )
    app.audit(actor, "occurrence.canceled", f"{campaign}/{day}", push=push, canceled=canceled)
    return canceled


def retry(app: App, *, failed: bool, unknown: bool, campaign: str | None = None) -> Retried:
    """Put failed and/or unknown messages back in the queue and dispatch them.

    Unknown messages are reconciled by the dispatcher when the provider can be asked, so one it
    already accepted is not sent twice; only for other gateways does the operator's word put
    them back in the queue (anyone who did get one gets it twice).
    """
    if not (failed or unknown):
        raise UsageError(_("nothing to retry: ask for failed or unknown messages, or both"))
    wanted = [Status.failed] if failed else []
    if unknown and not app.gateway.can_lookup:
        wanted.append(Status.unknown)
    selection = Selection(campaign)
    now = app.clock.now()
    requeued = 0
    for message in app.store.claims(selection, wanted):
        assert message.id is not None
        requeued += app.store.requeue(
            message.id, now, source="operator", detail="retry requested by an operator"
        )
    app.audit(None, "occurrence.retried", campaign or "*", requeued=requeued)
    if requeued:
        app.wake_nodes()
    return Retried(requeued, app.dispatch(selection))


def suppress(app: App, number: str, reason: str, *, actor: str | None = None) -> Suppressed:
    """Add a number (as written by a person) to the suppression list."""
    e164 = _e164(app, number)
    changed = app.store.suppress(e164, reason, "operator", app.clock.now())
    if changed:
        app.audit(actor, "suppression.added", mask(e164), reason=reason)
    return Suppressed(e164, changed)


def unsuppress(app: App, number: str, *, actor: str | None = None) -> Suppressed:
    """Remove a number (as written by a person) from the suppression list."""
    e164 = _e164(app, number)
    changed = app.store.unsuppress(e164)
    if changed:
        app.audit(actor, "suppression.removed", mask(e164))
    return Suppressed(e164, changed)


def _e164(app: App, number: str) -> str:
    try:
        return normalise(number, app.config.settings.default_region)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
