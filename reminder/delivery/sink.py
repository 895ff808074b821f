"""The store as a gateway's `BindSink`: receipts and replies that arrive on the provider's own
connection (SMPP's deliver_sm) go the way the receipt server sends HTTP callbacks.

Receipts are applied forward only through `updates_of` and `Store.apply_receipts` (source
`bind`); a reply is recorded and matched, and an opt-out word suppresses its sender
(`take_inbound`). A receipt can
overtake its own acceptance: the dispatcher writes acceptances in small batches, so a receipt
whose provider id no message has yet is tried again for a few seconds before it is given up
(the SMSC is then told it was taken: holding it longer would stall its other receipts). A
receipt that names its message in another form than the provider gave (SMPP's decimal and
hexadecimal ids) is tried under each form it carries (`Receipt.aliases`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from reminder.clock import Clock
from reminder.delivery.gateways.base import Gateway, Inbound, Receipt
from reminder.delivery.inbound import take_inbound
from reminder.delivery.receipts import updates_of
from reminder.i18n import _
from reminder.store import Store

log = logging.getLogger(__name__)

#: How long a receipt for a provider id no message has yet is tried again, and how often.
UNMATCHED_HOLD_SECONDS = 5.0
UNMATCHED_RETRY_SECONDS = 0.25


class StoreSink:
    """Writes what a gateway receives on its connection to `store` (see the module doc)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        region: str = "CN",
        *,
        hold_seconds: float = UNMATCHED_HOLD_SECONDS,
        retry_seconds: float = UNMATCHED_RETRY_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.region = region
        self.hold_seconds = hold_seconds
        self.retry_seconds = retry_seconds
        self.applied = 0
        self.unmatched = 0

    async def take_receipts(self, gateway: Gateway, receipts: Sequence[Receipt]) -> None:
        """Apply `receipts`; one for a message not yet known is tried again for a while."""
        waiting = list(receipts)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.hold_seconds
        while True:
            waiting = self._apply(gateway, waiting)
            if not waiting or loop.time() >= give_up:
                break
            await asyncio.sleep(self.retry_seconds)
        if waiting:
            self.unmatched += len(waiting)
            log.info(_("%d receipts for unknown messages ignored"), len(waiting))

    def _apply(self, gateway: Gateway, receipts: list[Receipt]) -> list[Receipt]:
        """Apply `receipts`; those that matched no message are returned. A receipt whose id
        matches nothing is tried under each of its `aliases` (the id written another way)."""
        now = self.clock.now()
        applied = self.store.apply_receipts(updates_of(gateway, receipts, "bind"), now)
        unmatched = [r for r, a in zip(receipts, applied, strict=True) if a.message_id is None]
        self.applied += len(receipts) - len(unmatched)
        left = []
        for receipt in unmatched:
            for alias in receipt.aliases:
                moved = replace(receipt, provider_id=alias, aliases=())
                (one,) = self.store.apply_receipts(updates_of(gateway, [moved], "bind"), now)
                if one.message_id is not None:
                    self.applied += 1
                    break
            else:
                if not receipt.later_part:  # a later part's says nothing the first's does not
                    left.append(receipt)
        return left

    async def take_inbound(self, gateway: Gateway, messages: Sequence[Inbound]) -> None:
        """Record the replies; suppress the senders of opt-out words."""
        take_inbound(self.store, messages, self.region, self.clock.now(), gateway.name)
