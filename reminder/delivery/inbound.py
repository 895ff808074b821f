"""Messages people send to us: each is recorded as a reply (`Store.add_replies`), matched to
the question it answers; an opt-out word adds the sender to the suppression list and answers
nothing (opting out wins over everything).

A reply's text is personal data: it is stored, never logged.

A repeated reply is recorded once: by the provider's id when it gives one (Twilio's MessageSid,
Aliyun's sequence_id); an SMPP mobile-originated message and a Tencent reply carry none (SMPP's
sequence number belongs to the bind, and an SMSC that sends a deliver_sm again gives it a new
one), so such a reply is keyed by its number, its exact text and the minute it arrived
(`repeat_key`): the same words from the same number within that minute count once. Two repeats
either side of a minute's end count twice, and a person who really writes the same words twice
in one minute is recorded once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime

from reminder.delivery.gateways.base import Inbound
from reminder.i18n import _
from reminder.inputs.acks import normalise_reply
from reminder.phones import mask, normalise
from reminder.store import NewReply, ReplyOutcome, Store

log = logging.getLogger(__name__)

#: Replies that mean "no more messages": the carriers' STOP family and the Chinese 退订 / TD.
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TD", "退订", "退订短信"}
)
_OPT_OUT_KEYS = frozenset(normalise_reply(word) for word in OPT_OUT_WORDS)


def is_opt_out(text: str) -> bool:
    """Whether a reply asks for no more messages (width, case, spaces and punctuation aside)."""
    return normalise_reply(text) in _OPT_OUT_KEYS


def repeat_key(sender: str, text: str, at: datetime) -> str:
    """The id of a reply whose provider gives none: its number, text and minute, hashed (the
    text is personal data, and the key is not shown)."""
    digest = hashlib.sha256(f"{sender}\0{text}".encode()).hexdigest()[:24]
    return f"repeat:{at:%Y%m%d%H%M}:{digest}"


def take_inbound(
    store: Store,
    messages: Iterable[Inbound],
    region: str,
    now: datetime,
    gateway: str = "",
) -> int:
    """Record every reply `gateway` received and suppress the senders of opt-out words; returns
    how many numbers were added to the suppression list."""
    replies: list[NewReply] = []
    for message in messages:
        try:
            number = normalise(message.sender, region)
        except ValueError:  # kept as it came: it matches no question, and is not lost
            number = message.sender.strip()
        replies.append(
            NewReply(
                gateway=gateway,
                provider_id=message.provider_id or repeat_key(number, message.text, now),
                sender=number,
                text=message.text,
                words=normalise_reply(message.text),
                received_at=now,
                opted_out=is_opt_out(message.text),
            )
        )
    added = 0
    outcomes = store.add_replies(replies, now) if replies else []
    for reply, outcome in zip(replies, outcomes, strict=True):
        if outcome is not ReplyOutcome.opted_out:
            continue
        if not reply.sender.startswith("+"):
            log.info(_("an opt-out from an unreadable number was ignored"))
            continue
        # The reason names the word: one of OPT_OUT_WORDS, never a person's own text.
        reason = f"opted out by reply {reply.text.strip()!r}"
        if store.suppress(reply.sender, reason, "inbound", now):
            added += 1
            log.info(_("%s opted out"), mask(reply.sender))
    return added
