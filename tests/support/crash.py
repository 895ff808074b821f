"""The crash suites' loop: `reminder send` of one occurrence in a subprocess, killed with SIGKILL
at a random point, then run again to the end; each suite checks its gateway's peer after.

Every other run is killed once the peer has accepted k (random, 1–30) more messages — inside
the dispatch; the others after a random wait of up to 1.5 s — anywhere from start-up through
planning to dispatch. Each run is its own occurrence (a day of the sample Spring Festival
campaign from 2027-01-30 on).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

FIRST_DAY = date(2027, 1, 30)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll until `condition` holds (an event, not a duration, is what the test waits for)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Resumed:
    """One run, after the killed `send` and the one that finished it."""

    run: int
    day: date
    #: What the peer had accepted before the run (its count, as `accepted` gives it).
    before: int
    #: Whether the peer accepted anything before the kill.
    killed_mid_dispatch: bool


def send(
    root: Path, day: date, env: Mapping[str, str], *, capture: bool = False
) -> subprocess.Popen[str]:
    """`reminder send spring-festival --date DAY` in `root`, with `env` over a clean
    environment (no REMINDER_* variable, none of the gateways' own)."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("REMINDER_", *{name.split("_")[0] + "_" for name in env}))
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reminder",
            "send",
            "spring-festival",
            "--date",
            day.isoformat(),
            "--yes",
            "--ignore-quiet-hours",
        ],
        cwd=root,
        env={**clean, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )


def statuses(root: Path, day: date) -> Counter[str]:
    """How many messages of the occurrence on `day` are in each status (the store in `root`)."""
    with sqlite3.connect(root / "reminder.db") as db:
        rows = db.execute(
            "select status, count(*) from message where occurrence = ? group by status",
            (day.isoformat(),),
        ).fetchall()
    return Counter(dict(rows))


def kill_and_resume(
    root: Path,
    *,
    runs: int,
    seed: int,
    env: Mapping[str, str],
    accepted: Callable[[], int],
    check: Callable[[Resumed], None],
    timeout: float = 120.0,
) -> int:
    """Run the loop `runs` times (see the module); `accepted` counts what the peer accepted,
    `check` asserts after each run. Returns how many kills fell inside a dispatch."""
    rng = random.Random(seed)
    mid_dispatch = 0
    for run in range(runs):
        day = FIRST_DAY + timedelta(days=run)
        before = accepted()
        victim = send(root, day, env)
        if run % 2 == 0:
            k = rng.randint(1, 30)

            def reached(b: int = before, k: int = k, v: subprocess.Popen[str] = victim) -> bool:
                return accepted() - b >= k or v.poll() is not None

            wait_for(reached, "the dispatch to reach the kill point")
        else:
            time.sleep(rng.uniform(0.0, 1.5))
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        killed_mid_dispatch = accepted() > before
        mid_dispatch += killed_mid_dispatch

        again = send(root, day, env, capture=True)
        _, err = again.communicate(timeout=timeout)
        assert again.returncode == 0, err
        check(Resumed(run, day, before, killed_mid_dispatch))
    return mid_dispatch
