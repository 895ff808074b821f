"""Per-number limits: how many messages one number may get in a window of time.

Two sources, the stricter holding in every window: the config's `per_number_cap` (messages in
24 hours, across every campaign: ARCHITECTURE.md's guard against carriers' reviews) and the
gateway's `per_number_limits`, its provider's own (e.g. Tencent Cloud: 10 a day; Aliyun: 50 a
day). For each window the store is asked once per claimed batch about the numbers not seen
yet in the run (`Store.recent_counts`); the messages this run sends are counted as they go,
with their time, so a short window (30 s) frees up again during a run. The store's count taken
when a number is first seen is kept for the whole run: over a short window it can only
over-count, never let one more message through.

A message over a window of a day or more is skipped (`SkipReason.per_number_cap`), as before:
its occurrence will not come again that day. One over a shorter window is deferred until the
window has passed (see `reminder.delivery.dispatch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from reminder.clock import Clock
from reminder.store import Message, Store

DAY_SECONDS = 86_400.0


@dataclass(frozen=True)
class Breach:
    """A message would be one too many: `count` messages already went to its number within
    `seconds`, whose limit is `limit`; `provider` when the limit is the gateway's own."""

    limit: int
    seconds: float
    count: int
    provider: bool

    @property
    def skips(self) -> bool:
        """A window of a day or more: the message is skipped, not deferred."""
        return self.seconds >= DAY_SECONDS

    def describe(self) -> str:
        """What a person reads: which limit, and how many went out."""
        window = _window_words(self.seconds)
        if not self.provider and self.seconds == DAY_SECONDS:
            return f"per-number cap: {self.count} messages to this number in 24 h"
        whose = "the provider's per-number limit" if self.provider else "per-number cap"
        return f"{whose} ({self.limit} in {window}): {self.count} messages to this number"


class PerNumberLimits:
    """The windows of one dispatch run and the counts in each (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        cap: int | None,
        provider_limits: Sequence[tuple[int, float]] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        # window (seconds) → (limit, the provider's own)
        windows: dict[float, tuple[int, bool]] = {}
        if cap is not None:
            windows[DAY_SECONDS] = (cap, False)
        for limit, seconds in provider_limits:
            seconds = float(seconds)
            if seconds not in windows or limit < windows[seconds][0]:
                windows[seconds] = (limit, True)
        self.windows = sorted(windows.items())
        self._base: dict[float, dict[str, int]] = {seconds: {} for seconds, _ in self.windows}
        self._sent: dict[str, list[datetime]] = {}

    @property
    def active(self) -> bool:
        """False when no limit applies: nothing is counted or asked."""
        return bool(self.windows)

    def load(self, batch: Iterable[Message]) -> None:
        """Ask the store about the numbers of a claimed batch not yet seen in this run (the
        batch's own messages not counted)."""
        if not self.windows:
            return
        messages = list(batch)
        claimed = [m.id for m in messages if m.id is not None]
        now = self.clock.now()
        for seconds, _ in self.windows:
            base = self._base[seconds]
            new = {m.recipient for m in messages if m.recipient not in base}
            if not new:
                continue
            counts = self.store.recent_counts(new, now - timedelta(seconds=seconds), claimed)
            for number in new:
                base[number] = counts.get(number, 0)

    def take(self, message: Message) -> Breach | None:
        """Count `message` against every window, or say which limit it would break (then it is
        not counted)."""
        if not self.windows:
            return None
        now = self.clock.now()
        sent = self._sent.setdefault(message.recipient, [])
        for seconds, (limit, provider) in self.windows:
            since = now - timedelta(seconds=seconds)
            count = self._base[seconds].get(message.recipient, 0)
            count += sum(1 for at in sent if at > since)
            if count >= limit:
                return Breach(limit, seconds, count, provider)
        sent.append(now)
        return None


def _window_words(seconds: float) -> str:
    if seconds % DAY_SECONDS == 0:
        days = int(seconds // DAY_SECONDS)
        return "24 h" if days == 1 else f"{days} days"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    return f"{seconds:g} s"
