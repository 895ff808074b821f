"""Which gateways a push's messages go through, and dispatching a selection through them.

A push may name its gateways (`gateways: [aliyun, tencent]` in its campaign file): the first
sends, each next one takes what is left when the one before goes down
(`reminder.delivery.failover`). A push that names none goes through the config's `gateway`.
A selection of several pushes (a whole campaign: `resume`, `retry`) is dispatched push by push
when any of them names its own gateways, else in one run as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.failover import dispatch_through
from reminder.delivery.gateways.base import Gateway
from reminder.status import Status
from reminder.store import Message, Selection

if TYPE_CHECKING:
    from reminder.core.app import App


def gateways_for(app: App, campaign: str, push: str) -> list[Gateway]:
    """The gateways of one push, in order (the config's gateway when it names none, or when the
    push is no longer in the campaign files)."""
    source = app.project.campaigns.get(campaign)
    names: tuple[str, ...] | None = None
    if source is not None:
        names = next((p.gateways for p in source.campaign.pushes if p.id == push), None)
    if not names:
        return [app.gateway]
    return [app.gateway_named(name) for name in names]


def pushes_of(app: App, selection: Selection) -> list[tuple[str, str]] | None:
    """The (campaign, push) pairs of `selection` when it must be dispatched push by push (a push
    of it names its own gateways); None when one run through the config's gateway does."""
    pairs = []
    for campaign_id, source in sorted(app.project.campaigns.items()):
        for push in source.campaign.pushes:
            if selection.campaign in (None, campaign_id) and selection.push in (None, push.id):
                pairs.append((campaign_id, push.id))
    if not any(gateways_for(app, c, p) != [app.gateway] for c, p in pairs):
        return None
    return pairs


async def dispatch(
    app: App, selection: Selection, on_result: Callable[[Message, Status], None] | None = None
) -> DispatchResult:
    """Reconcile, then send the planned messages of `selection`, each push through its gateways
    (see the module docstring)."""
    pairs = pushes_of(app, selection)
    if pairs is None:
        return await app.dispatcher(on_result=on_result).run(selection)
    total = DispatchResult()
    for campaign, push in pairs:
        if app.stopping.is_set():
            total.stopped = True
            break

        def make(gateway: Gateway, *, failover: bool) -> Dispatcher:
            return app.dispatcher(gateway=gateway, failover=failover, on_result=on_result)

        one = Selection(campaign, push, selection.occurrence)
        total.add(await dispatch_through(gateways_for(app, campaign, push), make, one))
    return total
