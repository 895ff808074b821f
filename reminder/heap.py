"""Keeping long-lived objects out of the garbage collector's way during bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between two collections of the young generation during bulk work (Python's
#: default is 700). A message's request makes some hundreds of objects that mostly die by
#: reference count; collecting every 700 allocations walked the ones still alive — the claimed
#: batch, the requests in flight — over and over: ~9 % of the dispatcher's CPU at thousands of
#: messages a second (bench/README.md, "Engine-bound dispatch").
BULK_YOUNG_THRESHOLD = 10_000


@contextmanager
def settled_objects_frozen() -> Iterator[None]:
    """Keep the objects alive on entry (project, modules, clients) out of the collector's full
    passes while the block creates and drops a few dozen objects per message, and collect the
    young generation less often (`BULK_YOUNG_THRESHOLD`).

    Without it a full pass walks every settled object: about a tenth of planning time, and
    pauses of ~120 ms mid-dispatch that cost a 1,000/s throttle its slots (bench/README.md).
    Garbage made inside the block is still collected; what was frozen returns on exit, and the
    collector's thresholds are what they were.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], BULK_YOUNG_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
