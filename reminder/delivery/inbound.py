"""Messages people send to us: an opt-out word adds the sender to the suppression list."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from reminder.delivery.gateways.base import Inbound
from reminder.i18n import _
from reminder.phones import mask, normalise
from reminder.store import Store

log = logging.getLogger(__name__)

#: Replies that mean "no more messages": the carriers' STOP family and the Chinese 退订 / TD.
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TD", "退订", "退订短信"}
)


def is_opt_out(text: str) -> bool:
    """Whether a reply asks for no more messages."""
    return text.strip().upper() in OPT_OUT_WORDS


def take_inbound(store: Store, messages: Iterable[Inbound], region: str, now: datetime) -> int:
    """Suppress every sender whose message is an opt-out word; returns how many were added."""
    added = 0
    for message in messages:
        if not is_opt_out(message.text):
            continue
        try:
            number = normalise(message.sender, region)
        except ValueError:
            log.info(_("an opt-out from an unreadable number was ignored"))
            continue
        reason = f"opted out by reply {message.text.strip()!r}"
        if store.suppress(number, reason, "inbound", now):
            added += 1
            log.info(_("%s opted out"), mask(number))
    return added
