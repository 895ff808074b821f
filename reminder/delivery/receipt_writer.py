"""Store work for the receipt server, off its event loop, receipts written in small batches.

A request hands its receipts over and waits; writer tasks take whatever has queued up meanwhile
(up to `batch_size` receipts) and apply it in one transaction on a worker thread. A request is
answered only once the transaction holding its receipts has committed, so a provider never hears
"taken" for a receipt that a crash could lose; a failed transaction fails every request in it
(the provider is told to try again). The loop itself never waits on the database: a stalled
database call holds a worker thread, and `/healthz` still answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from reminder.clock import Clock
from reminder.i18n import _
from reminder.store import Store
from reminder.store.values import Applied, ReceiptUpdate

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Receipts applied in one transaction at most.
BATCH_SIZE = 256


@dataclass
class _Pending:
    updates: Sequence[ReceiptUpdate]
    done: asyncio.Future[list[Applied]]


class ReceiptWriter:
    """Applies receipts for many concurrent requests in batches (see the module docstring).
    `writers` transactions run at once: one on SQLite (it has one write lock), more on a
    server database."""

    def __init__(
        self, store: Store, clock: Clock, *, writers: int = 1, batch_size: int = BATCH_SIZE
    ) -> None:
        self.store = store
        self.clock = clock
        self.writers = writers
        self.batch_size = batch_size
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=writers + 1, thread_name_prefix="store")
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start the writer tasks (in the running loop)."""
        self._tasks = [asyncio.create_task(self._write_batches()) for _ in range(self.writers)]

    async def stop(self) -> None:
        """Finish what is queued, then stop the writers and their threads."""
        if self._tasks:
            await self._queue.join()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=True)

    async def apply(self, updates: Sequence[ReceiptUpdate]) -> list[Applied]:
        """Apply `updates` (in order) with others' in a batch; returns once they are durable."""
        if not updates:
            return []
        done: asyncio.Future[list[Applied]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(updates, done))
        return await done

    async def call(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run other store work (an opt-out) on the store's threads, not the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))

    async def _write_batches(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0].updates)
            while size < self.batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
                size += len(batch[-1].updates)
            updates = [u for pending in batch for u in pending.updates]
            try:
                applied = await loop.run_in_executor(
                    self._executor, self.store.apply_receipts, updates, self.clock.now()
                )
            except Exception as exc:
                log.warning(_("cannot write %d receipts: %s"), len(updates), type(exc).__name__)
                _settle(batch, exc)
            else:
                _settle(batch, applied)
            for _item in batch:
                self._queue.task_done()


def _settle(batch: list[_Pending], outcome: list[Applied] | Exception) -> None:
    """Answer each waiting request with its part of the batch's outcome."""
    start = 0
    for pending in batch:
        end = start + len(pending.updates)
        if pending.done.done():  # its request went away
            pass
        elif isinstance(outcome, Exception):
            pending.done.set_exception(outcome)
        else:
            pending.done.set_result(outcome[start:end])
        start = end
