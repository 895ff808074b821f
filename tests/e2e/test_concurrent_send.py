"""Three `reminder send` processes of one occurrence at once, on one SQLite store.

The sample campaign's first day gets a few thousand more leading cadres, so that the three
planners are writing at the same time. Planning is idempotent (the store's unique key); the audit
trail must be too: one `plan` event per message, and the "planned N new" figures of the three
runs must add up to the messages in the store. The store exists before they start (creating it
at once is tests/integration/test_store_concurrency.py).
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from reminder.store import open_store
from tests.e2e.test_cli_subprocess import copy_sample
from tests.factories import cadre

EXTRA_CADRES = 4000
SAMPLE_MESSAGES = 65  # the sample campaign on 2027-01-30: 36 leading cadres, 29 spouses


def add_cadres(root: Path, count: int) -> None:
    """`count` more division-level cadres (the sample's `leading_cadres`), as a CSV file."""
    fields = ["id", "name", "phone", "rank", "unit", "post"]
    with (root / "contacts" / "many.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for number in range(1000, 1000 + count):
            writer.writerow(cadre(number))


def start_send(root: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    command = ["send", "spring-festival", "--date", "2027-01-30", "--yes", "--json"]
    return subprocess.Popen(
        [sys.executable, "-m", "reminder", *command],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_sends_write_one_plan_event_per_message_and_count_right(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path)
    (root / "config.yaml").write_text(
        "database_url: sqlite:///reminder.db\ngateway: file\ngateways:\n  file:\n"
        "    path: outbox.jsonl\n",
        encoding="utf-8",
    )
    add_cadres(root, EXTRA_CADRES)
    open_store(f"sqlite:///{root / 'reminder.db'}").close()  # the store exists: only planning races

    runs = [start_send(root) for _ in range(3)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err

    with sqlite3.connect(root / "reminder.db") as db:
        in_store = Counter(
            dict(db.execute("select push, count(*) from message group by push").fetchall())
        )
        twice = db.execute(
            "select message_id, count(*) from delivery_event where source = 'plan' "
            "group by message_id having count(*) > 1"
        ).fetchall()
        without = db.execute(
            "select count(*) from message where id not in "
            "(select message_id from delivery_event where source = 'plan')"
        ).fetchone()
    assert in_store.total() == SAMPLE_MESSAGES + EXTRA_CADRES
    assert twice == [], f"{len(twice)} messages have more than one plan event"
    assert without == (0,)
    reported: Counter[str] = Counter()
    for out, _ in outputs:
        for push in json.loads(out)["pushes"]:
            reported[push["push"]] += push["planned"]
    assert reported == in_store
    with (root / "outbox.jsonl").open(encoding="utf-8") as outbox:
        sent = Counter(json.loads(line)["message_id"] for line in outbox)
    assert len(sent) == in_store.total() and max(sent.values()) == 1  # each sent once
