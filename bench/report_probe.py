"""Time and peak memory of `reminder report` in one format, in a process of its own.

`python -m bench.report_probe CONFIG FORMAT` runs the command a user runs (`reminder report
bench --format FORMAT`, in this process, on a clock pinned inside the campaign's window), its
output written to a file (the table: to a discarded terminal), and prints the seconds it took
and the peak RSS (VmHWM).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

from bench.memory import peak_rss_kb
from reminder.cli import app
from reminder.cli.app import State
from reminder.clock import FixedClock

#: Inside the bench campaign's window (2027-01-30 to 2027-02-20), after the seeded days.
MOMENT = datetime(2027, 2, 10, 12, 0, tzinfo=UTC)


def main() -> None:
    config, format_ = sys.argv[1], sys.argv[2]
    args = ["--config", config, "report", "bench", "--format", format_]
    with tempfile.TemporaryDirectory() as folder:
        if format_ != "table":
            args += ["--output", str(Path(folder) / f"report.{format_}")]
        start = time.perf_counter()
        with open(os.devnull, "w", encoding="utf-8") as sink, redirect_stdout(sink):
            app(args, standalone_mode=False, obj=State(clock=FixedClock(MOMENT)))
        elapsed = time.perf_counter() - start
        size = sum(f.stat().st_size for f in Path(folder).iterdir())
    print(
        json.dumps(
            {
                "format": format_,
                "seconds": round(elapsed, 2),
                "peak_rss_mb": round(peak_rss_kb() / 1024, 1),
                "bytes": size,
            }
        )
    )


if __name__ == "__main__":
    main()
