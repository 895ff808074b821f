"""Which message a reply answers: one rule, shared by the SQL store and the in-memory one.

A question is open to a reply from the time its message was sent (a few minutes earlier, for
clocks that differ) until its `within` has passed; a message being sent, whose acceptance is not
recorded yet, is open too, from its claim (a fast reply can overtake the acceptance; one left
`sending` or `unknown` by a crash or a lost answer closes when its `within` has passed). Of the
open questions whose keywords hold the reply's words: none → unmatched; all of one push → the
newest of them (a daily question answered once); of two or more pushes → ambiguous, never a
guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from reminder.inputs.acks import LONGEST_WITHIN
from reminder.store.values import OpenQuestion, ReplyOutcome

#: How much earlier than a message's recorded sending time a reply to it may arrive: the
#: acceptance is recorded a moment after the provider took it.
CLOCK_SKEW = timedelta(minutes=5)
#: How far back matching reads: the longest `within` a push may give.
LOOK_BACK = LONGEST_WITHIN


def is_open(question: OpenQuestion, at: datetime) -> bool:
    """Whether `question` takes a reply arriving at `at`: from its sending (a message still
    being sent: from its claim) for its `within`."""
    asked = question.asked_at or question.claimed_at
    if asked is None:
        return True
    within = timedelta(seconds=question.within_seconds)
    return asked - CLOCK_SKEW <= at <= asked + within


def decide(
    words: str, at: datetime, questions: Iterable[OpenQuestion]
) -> tuple[ReplyOutcome, OpenQuestion | None]:
    """What a reply of `words` arriving at `at` is, given the number's questions."""
    answered = [q for q in questions if words in q.keywords and is_open(q, at)]
    if not answered:
        return ReplyOutcome.unmatched, None
    if len({(q.campaign, q.push) for q in answered}) > 1:
        return ReplyOutcome.ambiguous, None
    newest = max(answered, key=lambda q: (q.occurrence, q.message_id))
    return ReplyOutcome.acknowledged, newest
