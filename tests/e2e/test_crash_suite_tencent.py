"""Crash suite through the Tencent Cloud SMS fake: `reminder send` killed with SIGKILL at
random points, then run again. After each restart the fake must have accepted every message of
the occurrence exactly once: zero duplicates, zero lost. What a dead process left `sending` is
resolved by the number's delivery reports (the fake reports each message at once, so the
configured report wait is 0)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from tests.e2e.test_cli_subprocess import copy_sample
from tests.e2e.test_crash_suite import statuses
from tests.e2e.test_daemon_subprocess import wait_for
from tests.support.tencent_fake import SECRET_ID, SECRET_KEY, TencentFake, sample_config

RUNS = 10


def send(root: Path, day: date, capture: bool = False) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TENCENT_"))}
    env.update(TENCENT_SECRET_ID=SECRET_ID, TENCENT_SECRET_KEY=SECRET_KEY)
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
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )


def test_sigkill_through_tencent_never_duplicates_or_loses(tmp_path: Path) -> None:
    rng = random.Random(2021)
    root = copy_sample(tmp_path)
    kills_mid_dispatch = 0
    with TencentFake(delay=0.02) as fake:
        (root / "config.yaml").write_text(
            sample_config(fake.url, "    delivery: {concurrency: 4}\n"), encoding="utf-8"
        )
        for run in range(RUNS):
            day = date(2027, 1, 30) + timedelta(days=run)
            before = len(fake.recorded.accepted)
            victim = send(root, day)
            if run % 2 == 0:
                k = rng.randint(1, 30)

                def reached(b: int = before, k: int = k, v: subprocess.Popen[str] = victim) -> bool:
                    return len(fake.recorded.accepted) - b >= k or v.poll() is not None

                wait_for(reached, "the dispatch to reach the kill point")
            else:
                time.sleep(rng.uniform(0.0, 1.5))
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
            if len(fake.recorded.accepted) > before:
                kills_mid_dispatch += 1

            again = send(root, day, capture=True)
            _, err = again.communicate(timeout=120)
            assert again.returncode == 0, err

            planned = sum(statuses(root, day).values())
            received = Counter(item["PhoneNumber"] for item in fake.recorded.accepted[before:])
            assert statuses(root, day) == Counter({"sent": planned}), (run, statuses(root, day))
            assert len(received) == planned, f"run {run}: lost messages"
            assert max(received.values()) == 1, f"run {run}: duplicates"
            assert fake.recorded.bad_signatures == 0
    assert kills_mid_dispatch >= 5, "most kills happened mid-dispatch"
