"""What starting the command line costs: `--version` and `--help` import no heavy library, and
the listing `--help` prints without importing a command is the one the commands declare."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup

from reminder.cli.app import COMMANDS, app

HEAVY = ("apscheduler", "uvicorn", "alembic", "openpyxl", "xlsxwriter")

PROBE = """
import json, sys
from reminder.cli import app
try:
    app(sys.argv[1:], prog_name="reminder")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_starting_imports_no_scheduler_server_migration_or_spreadsheet_library(
    args: list[str],
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    *printed, last = done.stderr.strip().splitlines()
    loaded = json.loads(last)
    assert loaded == [], f"`reminder {' '.join(args)}` imported {loaded}"
    assert "reminder" in done.stdout + "\n".join(printed), "it printed the version or the help"


def test_the_listing_says_what_each_command_says_of_itself() -> None:
    """`--help` lists commands from `COMMANDS` without importing them: each summary must be the
    first paragraph of the command's own help, and every command must be listed."""
    for entry in COMMANDS:
        importlib.import_module(entry.module)
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    names = [entry.name for entry in COMMANDS]
    # Registered in import order (whatever ran before); listed in the registry's order.
    assert sorted(group.commands) == sorted(names)
    assert group.list_commands(None) == names
    for entry in COMMANDS:
        own = (group.commands[entry.name].help or "").split("\n\n")[0]
        assert entry.summary == " ".join(own.split()), entry.name
        callback = group.commands[entry.name].callback  # None for a group (`suppress`)
        assert callback is None or callback.__module__ == entry.module, entry.name


def test_help_lists_every_command_in_order(cli: Any) -> None:
    result = cli("--help")
    lines = result.output.split("Commands:")[1].splitlines()[1:]
    listed = [line.split()[0] for line in lines if not line.startswith("   ")]
    assert listed == [entry.name for entry in COMMANDS]


@pytest.mark.parametrize("args", [["--help"], ["users", "--help"]])
def test_help_shows_each_description_whole(cli: Any, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.output
    assert "…" not in result.output and "..." not in result.output.split("Commands:")[1]
    flat = " ".join(result.output.split())
    if args == ["--help"]:
        for entry in COMMANDS:
            assert entry.summary in flat, entry.name
    else:
        assert "Add a user (the password is asked, or read from $REMINDER_PASSWORD)." in flat
