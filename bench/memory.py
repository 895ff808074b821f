"""Peak memory of `reminder send` planning and dispatching N messages, in a process of its own.

`python -m bench.memory N` runs the command a user runs (`reminder send … --yes`, in this
process) on a synthetic project of N cadres through the `console` gateway (its output thrown
away: the `file` gateway's fsync per message would make this a disk benchmark), and prints the
peak RSS, the peak once the project (contacts, groups, templates) has been loaded on its own,
and the difference: what surveying, planning and dispatching added.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

from bench.workload import write_project
from reminder.cli import app
from reminder.inputs.config import load_config
from reminder.inputs.project import load_project
from reminder.store import open_store

GATEWAY = "gateway: console\ngateways:\n  console:\n    delivery: {concurrency: 64}\n"


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
        config_path = write_project(Path(folder), count, GATEWAY)
        project = load_project(load_config(config_path))
        loaded_kb = peak_rss_kb()
        del project
        gc.collect()
        with open(os.devnull, "w", encoding="utf-8") as sink, redirect_stdout(sink):
            app(
                ["--config", str(config_path), "send", "bench", "--date", "2027-02-01", "--yes"],
                standalone_mode=False,
            )
        store = open_store(load_config(config_path).database_url)
        counts = store.status_counts("bench")
        store.close()
    peak_kb = peak_rss_kb()
    print(
        json.dumps(
            {
                "messages": count,
                "sent": counts.get("sent", 0),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "after_load_mb": round(loaded_kb / 1024, 1),
                "engine_mb": round((peak_kb - loaded_kb) / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
