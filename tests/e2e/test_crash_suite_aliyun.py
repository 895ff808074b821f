"""Crash suite through the Aliyun gateway: `reminder send` killed with SIGKILL at random points,
then run again, against the signature-checking Aliyun fake on 127.0.0.1.

Aliyun is not idempotent, so a message that was `sending` when the process died is found again
through QuerySendDetails before anything is resent. After each restart the fake must have
accepted every message of the occurrence exactly once: zero duplicates, zero lost.
"""

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
from tests.support.aliyun_fake import sample_config, sample_env, sample_fake

RUNS = 10


def send(root: Path, day: date, capture: bool = False) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "ALIYUN_"))}
    env.update(sample_env())
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


def test_sigkill_through_aliyun_never_duplicates_or_loses(tmp_path: Path) -> None:
    rng = random.Random(2028)
    root = copy_sample(tmp_path)
    kills_mid_dispatch = 0
    with sample_fake(delay=0.02) as fake:
        (root / "config.yaml").write_text(
            sample_config(
                fake.url,
                head="database_url: sqlite:///reminder.db\nper_number_cap: null\n",
                delivery="{concurrency: 4, messages_per_second: null}",
            ),
            encoding="utf-8",
        )
        for run in range(RUNS):
            day = date(2027, 1, 30) + timedelta(days=run)
            before = len(fake.seen.accepted)
            victim = send(root, day)
            if run % 2 == 0:  # somewhere in the dispatch: after k messages were accepted
                k = rng.randint(1, 30)

                def reached(b: int = before, k: int = k, v: subprocess.Popen[str] = victim) -> bool:
                    return len(fake.seen.accepted) - b >= k or v.poll() is not None

                wait_for(reached, "the dispatch to reach the kill point")
            else:  # anywhere from start-up through planning to dispatch
                time.sleep(rng.uniform(0.0, 1.5))
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=30)
            if len(fake.seen.accepted) > before:
                kills_mid_dispatch += 1

            again = send(root, day, capture=True)
            _, err = again.communicate(timeout=120)
            assert again.returncode == 0, err

            planned = sum(statuses(root, day).values())
            received = Counter((a.phone, a.content) for a in fake.seen.accepted[before:])
            assert statuses(root, day) == Counter({"sent": planned}), (run, statuses(root, day))
            assert len(received) == planned, f"run {run}: lost messages"
            assert max(received.values()) == 1, f"run {run}: duplicates"
            assert fake.seen.bad_signatures == 0
    assert kills_mid_dispatch >= 5, "most kills happened mid-dispatch"
