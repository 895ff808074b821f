"""Failover: a push's ordered list of gateways, each taking what the one before could not send.

The first gateway sends as usual. When it goes down — the provider stops the account
(`GatewayStoppedError`), or a message runs out of attempts on transient errors (connection
refused, repeated 5xx) — its run gives every message it had not sent back to `planned`, and
the next gateway's run takes them (`DispatchResult.gateways_down` says which went down, and
why). Each run first reconciles, asking the gateway that carried each message: a message whose
acceptance is `unknown` stays with its first gateway until that one says it does not have it;
only then is it `planned` again and free for the next. The store's `gateway` column, written at
each claim, says which gateway carried each message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from reminder.delivery.dispatch import Dispatcher
from reminder.delivery.gateways.base import Gateway
from reminder.delivery.outcomes import DispatchResult
from reminder.i18n import _
from reminder.store import Selection

log = logging.getLogger(__name__)

#: Builds the dispatcher of one gateway of the list; `failover` is True when another follows.
MakeDispatcher = Callable[..., Dispatcher]


async def dispatch_through(
    gateways: Sequence[Gateway], make: MakeDispatcher, selection: Selection
) -> DispatchResult:
    """Send `selection` through the first of `gateways`, then each next one while the one
    before went down; the results added up. `make(gateway, failover=...)` builds each run's
    dispatcher."""
    total = DispatchResult()
    for index, gateway in enumerate(gateways):
        following = gateways[index + 1] if index + 1 < len(gateways) else None
        result = await make(gateway, failover=following is not None).run(selection)
        total.add(result)
        if result.stopped or gateway.name not in result.gateways_down or following is None:
            break
        log.warning(
            _("the %s gateway is down (%s): the rest goes through %s"),
            gateway.name,
            result.gateways_down[gateway.name],
            following.name,
        )
    return total
