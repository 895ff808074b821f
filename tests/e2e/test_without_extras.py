"""The README's first command installs the package without extras: the quickstart and the
everyday commands on the embedded default (SQLite, console gateway) must not need what only
an extra installs (PostgreSQL's driver, the Twilio SDK and aiohttp, httpx, the SMPP library).
Run in a subprocess where importing any of those fails, as on a machine without them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
EXTRAS = ("psycopg", "twilio", "aiohttp", "httpx", "aiosmpplib")

PROBE = """
import importlib.abc, sys

class NoExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {extras!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, NoExtras())
if sys.argv[1:] == ["import-daemon"]:
    import reminder.daemon.scheduler, reminder.web.console, reminder.delivery.receipt_server
    sys.exit(0)
from reminder.cli.app import main
main()
"""


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    """The sample data as a fresh clone has it, with no config (the built-in defaults)."""
    for folder in ("campaigns", "templates", "contacts", "cases"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def reminder(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(extras=EXTRAS), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_quickstart_and_everyday_commands_need_no_extra(quickstart: Path) -> None:
    sent = reminder(quickstart, "send", "spring-festival", "--date", "2027-01-30")
    assert sent.returncode == 0, sent.stderr
    assert "65" in sent.stdout + sent.stderr
    for args in (
        ["send", "spring-festival", "--date", "2027-01-30"],
        ["validate"],
        ["report", "spring-festival", "--date", "2027-01-30"],
        ["schedule", "--from", "2027-01-30", "--to", "2027-02-01"],
        ["status"],
        ["replies"],
        ["log", "--limit", "3"],
    ):
        done = reminder(quickstart, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert "ModuleNotFoundError" not in done.stderr + done.stdout


def test_the_daemon_console_and_receipt_server_load_without_extras(quickstart: Path) -> None:
    done = reminder(quickstart, "import-daemon")
    assert done.returncode == 0, done.stderr
