"""Delivery receipts: status callbacks and polls move messages forward, never back.

Every receipt is appended as an event, whether or not it changes the message (a duplicate, late
or out-of-order receipt is recorded and changes nothing: ARCHITECTURE.md invariant 3).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reminder.clock import Clock
from reminder.delivery.gateways.base import Gateway, Receipt
from reminder.errors import GatewayError
from reminder.i18n import _
from reminder.store import Message, Store
from reminder.store.values import Applied, ReceiptUpdate

log = logging.getLogger(__name__)

#: `sync` reads the messages to poll this many at a time.
PAGE_SIZE = 500


def updates_of(gateway: Gateway, receipts: Iterable[Receipt], source: str) -> list[ReceiptUpdate]:
    """The store's form of `gateway`'s receipts: the provider's word read as our status."""
    return [
        ReceiptUpdate(
            r.provider_id,
            gateway.status_of(r.status),
            r.status,
            source,
            r.error_code,
            r.error_text,
        )
        for r in receipts
    ]


def apply_receipt(
    store: Store, gateway: Gateway, receipt: Receipt, now: datetime, source: str
) -> Applied:
    """Record one receipt; move the message forward if the receipt says it is further along."""
    (applied,) = store.apply_receipts(updates_of(gateway, [receipt], source), now)
    if applied.message_id is None:
        log.info(_("receipt for an unknown message %s ignored"), receipt.provider_id)
    return applied


@dataclass
class SyncResult:
    """Counts of one `reminder sync` run."""

    checked: int = 0
    moved: int = 0
    errors: int = 0


async def sync(
    store: Store,
    gateway: Gateway,
    clock: Clock,
    older_than: timedelta,
    page_size: int = PAGE_SIZE,
) -> SyncResult:
    """Poll the provider for every message sent more than `older_than` ago with no final status,
    oldest first, page by page: messages that never settle cannot keep newer ones from being
    asked about, since each run goes through all of them."""
    result = SyncResult()
    if not gateway.can_poll:
        return result
    cutoff = clock.now() - older_than
    after: tuple[datetime, int] | None = None
    while True:
        page = store.unsettled(cutoff, after=after, limit=page_size)
        for message in page:
            await _poll(store, gateway, clock, message, result)
        if len(page) < page_size:
            return result
        last = page[-1]
        assert last.sent_at is not None and last.id is not None
        after = (last.sent_at, last.id)


async def _poll(
    store: Store, gateway: Gateway, clock: Clock, message: Message, result: SyncResult
) -> None:
    assert message.provider_id is not None
    result.checked += 1
    try:
        receipt = await gateway.fetch_status(message.provider_id)
    except GatewayError as exc:
        result.errors += 1
        log.warning(_("cannot poll message %s: %s"), message.id, exc)
        return
    if receipt is not None and apply_receipt(store, gateway, receipt, clock.now(), "poll").moved:
        result.moved += 1
