"""Crash suite through the Aliyun gateway: `reminder send` killed with SIGKILL at random points,
then run again, against the signature-checking Aliyun fake on 127.0.0.1.

Aliyun is not idempotent, so a message that was `sending` when the process died is found again
through QuerySendDetails before anything is resent. After each restart the fake must have
accepted every message of the occurrence exactly once: zero duplicates, zero lost.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.e2e.test_cli_subprocess import copy_sample
from tests.support.aliyun_fake import sample_config, sample_env, sample_fake
from tests.support.crash import Resumed, kill_and_resume, statuses

RUNS = 10


def test_sigkill_through_aliyun_never_duplicates_or_loses(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    with sample_fake(delay=0.02) as fake:
        (root / "config.yaml").write_text(
            sample_config(
                fake.url,
                head="database_url: sqlite:///reminder.db\nper_number_cap: null\n",
                delivery="{concurrency: 4, messages_per_second: null}",
            ),
            encoding="utf-8",
        )

        def check(done: Resumed) -> None:
            planned = sum(statuses(root, done.day).values())
            received = Counter((a.phone, a.content) for a in fake.seen.accepted[done.before :])
            assert statuses(root, done.day) == Counter({"sent": planned}), done
            assert len(received) == planned, f"run {done.run}: lost messages"
            assert max(received.values()) == 1, f"run {done.run}: duplicates"
            assert fake.seen.bad_signatures == 0

        mid_dispatch = kill_and_resume(
            root,
            runs=RUNS,
            seed=2028,
            env=sample_env(),
            accepted=lambda: len(fake.seen.accepted),
            check=check,
        )
    assert mid_dispatch >= 5, "most kills happened mid-dispatch"
