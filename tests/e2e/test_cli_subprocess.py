"""The installed `reminder` command in a real subprocess, as a user runs it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FULL_NUMBER = re.compile(r"\+?86\s?1\d{10}|\b1[3-9]\d{9}\b")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    return subprocess.run(
        [sys.executable, "-m", "reminder", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_sample(tmp_path: Path) -> Path:
    root = tmp_path / "clone"
    for folder in ("campaigns", "templates", "contacts", "cases"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def test_quickstart_sends_one_day_through_the_console_into_sqlite(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    first = run(root, "send", "spring-festival", "--date", "2027-01-30")
    assert first.returncode == 0, first.stderr
    assert "planned 36 new" in first.stdout and "sent 36" in first.stdout
    assert "planned 29 new" in first.stdout and "sent 29" in first.stdout
    assert not FULL_NUMBER.search(first.stdout + first.stderr)
    with sqlite3.connect(root / "reminder.db") as db:
        assert db.execute(
            "select count(*), count(distinct contact_id) from message"
        ).fetchone() == (65, 65)
        assert db.execute("select distinct status from message").fetchall() == [("sent",)]
        assert db.execute("pragma journal_mode").fetchone() == ("wal",)
    second = run(root, "send", "spring-festival", "--date", "2027-01-30")
    assert second.returncode == 0
    assert "nothing new to send" in second.stdout
    assert "[console" not in second.stdout


def test_bad_input_exits_2_with_located_errors_and_no_traceback(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    contacts = root / "contacts" / "cadres.yaml"
    text = contacts.read_text(encoding="utf-8")
    contacts.write_text(text.replace('"13905626259"', '"1390562"', 1), encoding="utf-8")
    result = run(root, "send", "spring-festival", "--date", "2027-01-30", "--yes")
    assert result.returncode == 2
    assert "contacts/cadres.yaml:4: phone: '1390562' is not a valid phone number" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (root / "reminder.db").exists()


def test_an_unreachable_database_is_an_operational_error(tmp_path: Path) -> None:
    root = copy_sample(tmp_path)
    (root / "config.yaml").write_text(
        "database_url: postgresql+psycopg://nobody:pw@127.0.0.1:1/none\n", encoding="utf-8"
    )
    result = run(root, "send", "spring-festival", "--date", "2027-01-30")
    assert result.returncode == 1
    assert "cannot open the store" in result.stderr
    assert ":pw@" not in result.stderr, "passwords in URLs are hidden"
    assert "Traceback" not in result.stderr


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("validate", "preview", "send", "log"):
        assert command in result.stdout


def test_the_engine_works_without_the_twilio_extra(tmp_path: Path) -> None:
    """A plain `pip install .` has no twilio package: the console gateway must still work."""
    root = copy_sample(tmp_path)
    script = (
        "import runpy, sys; sys.modules['twilio'] = None; "
        "sys.argv = ['reminder', 'send', 'spring-festival', '--date', '2027-01-30']; "
        "runpy.run_module('reminder', run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "sent 36" in done.stdout
    (root / "config.yaml").write_text(
        "gateway: twilio\ngateways:\n  twilio: {account_sid: AC00000000000000000000000000000000, "
        "auth_token: '${X}', from_number: '+15005550006'}\n",
        encoding="utf-8",
    )
    env["X"] = "token"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script.replace("'send', 'spring-festival', '--date', '2027-01-30'", "'validate'"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "pip install 'reminder[twilio]'" in done.stderr
    assert "Traceback" not in done.stderr
