"""Several `reminder run` on one store, as real subprocesses: one per SQLite file; on
PostgreSQL one leader that plans, every node dispatching, and a standby that takes over."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.test_cli_subprocess import copy_sample
from tests.e2e.test_daemon_subprocess import wait_for
from tests.support.servers import AUTH_TOKEN


def start(root: Path, log: str, *run_args: str, language: str = "en") -> subprocess.Popen[str]:
    """`reminder run RUN_ARGS` in `root`, its output written to `log` in `root`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REMINDER_", "TWILIO_"))}
    env["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
    env["REMINDER_LANGUAGE"] = language
    with (root / log).open("a") as out:  # the child keeps its own copy of the handle
        return subprocess.Popen(
            [sys.executable, "-m", "reminder", "run", *run_args],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def stop(*daemons: subprocess.Popen[str]) -> None:
    for daemon in daemons:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=30)


def test_a_second_daemon_on_one_sqlite_file_refuses_and_a_crash_does_not_block(
    tmp_path: Path,
) -> None:
    root = copy_sample(tmp_path)
    (root / "config.yaml").write_text("gateway: file\n", encoding="utf-8")
    clock = ("--clock-start", "2027-01-30T07:00:00+08:00")
    first = start(root, "first.log", *clock)
    try:
        wait_for(lambda: "running:" in (root / "first.log").read_text(), "the first daemon")
        second = start(root, "second.log", *clock)
        assert second.wait(timeout=60) == 1
        said = (root / "second.log").read_text()
        assert "another `reminder run` is already running on this SQLite database" in said
        assert "reminder.db.run.lock" in said and "Traceback" not in said
        chinese = start(root, "chinese.log", *clock, language="zh-CN")
        assert chinese.wait(timeout=60) == 1
        assert "SQLite" in (root / "chinese.log").read_text()
        assert "another" not in (root / "chinese.log").read_text()
        assert first.poll() is None, "the first daemon runs on"
        first.kill()  # a crash: no clean exit releases anything
        first.wait(timeout=30)
        again = start(root, "again.log", *clock)
        try:
            wait_for(lambda: "running:" in (root / "again.log").read_text(), "the restart")
        finally:
            stop(again)
    finally:
        stop(first)
