"""Crash suite through the Tencent Cloud SMS fake: `reminder send` killed with SIGKILL at
random points, then run again. After each restart the fake must have accepted every message of
the occurrence exactly once: zero duplicates, zero lost. What a dead process left `sending` is
resolved by the number's delivery reports (the fake reports each message at once, so the
configured report wait is 0)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.e2e.test_cli_subprocess import copy_sample
from tests.support.crash import Resumed, kill_and_resume, statuses
from tests.support.tencent_fake import SECRET_ID, SECRET_KEY, TencentFake, sample_config

RUNS = 10


def test_sigkill_through_tencent_never_duplicates_or_loses(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    with TencentFake(delay=0.02) as fake:
        (root / "config.yaml").write_text(
            sample_config(fake.url, "    delivery: {concurrency: 4}\n"), encoding="utf-8"
        )

        def check(done: Resumed) -> None:
            planned = sum(statuses(root, done.day).values())
            received = Counter(i["PhoneNumber"] for i in fake.recorded.accepted[done.before :])
            assert statuses(root, done.day) == Counter({"sent": planned}), done
            assert len(received) == planned, f"run {done.run}: lost messages"
            assert max(received.values()) == 1, f"run {done.run}: duplicates"
            assert fake.recorded.bad_signatures == 0

        mid_dispatch = kill_and_resume(
            root,
            runs=RUNS,
            seed=2021,
            env={"TENCENT_SECRET_ID": SECRET_ID, "TENCENT_SECRET_KEY": SECRET_KEY},
            accepted=lambda: len(fake.recorded.accepted),
            check=check,
        )
    assert mid_dispatch >= 5, "most kills happened mid-dispatch"
