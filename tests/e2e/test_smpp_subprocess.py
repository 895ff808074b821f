"""`reminder send` in a subprocess through the SMPP gateway to the npm `smpp` SMSC on the sample
campaign, and the crash suite through it: SIGKILL during dispatch, then resume.

The SMSC cannot be asked whether it took a message without the message_id its answer carried
(query_sm needs it), so a message whose answer a kill lost is never resent: it is left
`unknown` and listed for the operator (`reminder log --status unknown`). Every message of an
occurrence is accounted for — accepted exactly once and `sent`, or `unknown` — and none is
accepted twice.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.test_cli_subprocess import copy_sample
from tests.support.crash import Resumed, kill_and_resume, send, statuses
from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc

pytestmark = pytest.mark.smsc

RUNS = 8


def provider_ids(root: Path, day: date) -> set[str]:
    with sqlite3.connect(root / "reminder.db") as db:
        rows = db.execute(
            "select provider_id from message where occurrence = ? and status = 'sent'",
            (day.isoformat(),),
        ).fetchall()
    return {row[0] for row in rows}


def configure(root: Path, smsc: Smsc) -> None:
    (root / "config.yaml").write_text(
        "per_number_cap: null\napproval: {required: false}\ngateway: smpp\ngateways:\n  smpp:\n"
        f"    host: 127.0.0.1\n    port: {smsc.port}\n    system_id: {SYSTEM_ID}\n"
        "    password: ${SMPP_PASSWORD}\n    system_type: reminder\n"
        "    source_addr: '10690001'\n"
        "    delivery: {messages_per_second: null}\n",
        encoding="utf-8",
    )


def reminder(root: Path, *args: str, capture: bool = False) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "SMPP_"))}
    env["SMPP_PASSWORD"] = PASSWORD
    return subprocess.Popen(
        [sys.executable, "-m", "reminder", *args],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
        text=True,
    )


def test_reminder_send_goes_through_the_smsc(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    with Smsc(tmp_path / "smsc.jsonl", delay_ms=20) as smsc:
        configure(root, smsc)
        done = send(root, date(2027, 1, 30), {"SMPP_PASSWORD": PASSWORD}, capture=True)
        _, err = done.communicate(timeout=300)
        assert done.returncode == 0, err
        counts = statuses(root, date(2027, 1, 30))
        accepted = smsc.messages()
        parts = smsc.parts()
    assert set(counts) == {"sent"} and counts["sent"] == len(accepted) > 0
    assert {p.data_coding for p in parts} == {8} and {p.sender for p in parts} == {"10690001"}
    assert all(m["body"].startswith("【") for m in accepted), "the signature went first"
    assert max(Counter((m["to"], m["body"]) for m in accepted).values()) == 1


def test_sigkill_during_dispatch_never_duplicates_and_accounts_for_every_message(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path)
    with Smsc(tmp_path / "smsc.jsonl", delay_ms=20) as smsc:
        configure(root, smsc)
        messages_before = [0]  # the SMSC's whole messages before the run (the loop counts parts)

        def check(done: Resumed) -> None:
            counts = statuses(root, done.day)
            planned = sum(counts.values())
            accepted = smsc.messages()
            received = Counter((m["to"], m["body"]) for m in accepted[messages_before[0] :])
            assert set(counts) <= {"sent", "unknown"}, (done, counts)
            assert max(received.values(), default=1) == 1, f"run {done.run}: duplicates"
            sent_ids = provider_ids(root, done.day)
            assert len(sent_ids) == counts["sent"]
            assert sent_ids <= {m["id"] for m in accepted[messages_before[0] :]}, "sent = accepted"
            # An unknown message may have reached the SMSC or not; the rest reached it once.
            assert counts["sent"] <= len(received) <= planned, f"run {done.run}: lost"
            # Unknown: what the killed run had claimed (two windows at a time) and acceptances
            # it had not written yet (the dispatcher writes them in batches of up to 64).
            assert counts["unknown"] <= 2 * 10 + 64
            listed = reminder(
                root, "log", "--status", "unknown", "--json", "--limit", "1000", capture=True
            )
            out, _ = listed.communicate(timeout=120)
            unknown = [m for m in json.loads(out) if m["occurrence"] == done.day.isoformat()]
            assert len(unknown) == counts["unknown"], "every unknown is listed for the operator"
            messages_before[0] = len(accepted)

        mid_dispatch = kill_and_resume(
            root,
            runs=RUNS,
            seed=2027,
            env={"SMPP_PASSWORD": PASSWORD},
            accepted=lambda: len(smsc.parts()),
            check=check,
            timeout=300,
        )
    assert mid_dispatch >= RUNS // 2 - 1, "most kills happened mid-dispatch"
