"""Peak memory of planning and dispatching N messages, in a process of its own.

`python -m bench.memory N` prints the peak RSS, the peak once the project (contacts, groups,
templates) is loaded, and the difference: what planning and dispatching added. The gateway
accepts at once (no network), so the figures are the engine's own.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import ClassVar

from bench.workload import write_project
from reminder.clock import SystemClock
from reminder.config import load_config
from reminder.dispatch import Dispatcher
from reminder.gateways.base import Accepted, Gateway, GatewaySettings, OutgoingMessage
from reminder.planning import plan_streaming
from reminder.project import load_project
from reminder.store import Selection, open_store


class NullGateway(Gateway):
    """Accepts every message at once."""

    name: ClassVar[str] = "null"

    async def send(self, message: OutgoingMessage) -> Accepted:
        return Accepted(provider_id=f"null-{message.message_id}", status="sent")


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM). Not `ru_maxrss`: Linux carries that over from
    the parent at fork, so a child of a large benchmark process would report the parent's size."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux


def main() -> None:
    count = int(sys.argv[1])
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(write_project(Path(folder), count))
        project = load_project(config)
        store = open_store(config.database_url)
        loaded_kb = peak_rss_kb()
        clock = SystemClock()
        planned = plan_streaming(project, store, "bench", "daily", date(2027, 2, 1), clock)
        gateway = NullGateway(GatewaySettings.model_validate({"delivery": {"concurrency": 64}}))
        result = asyncio.run(
            Dispatcher(store, gateway, clock, per_number_cap=None).run(Selection("bench"))
        )
        store.close()
    peak_kb = peak_rss_kb()
    print(
        json.dumps(
            {
                "messages": count,
                "planned": planned,
                "sent": result.sent,
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "after_load_mb": round(loaded_kb / 1024, 1),
                "engine_mb": round((peak_kb - loaded_kb) / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
