"""The `reminder` command line."""

from reminder.cli import (  # noqa: F401 - registers the commands
    log_command,
    preview,
    run_command,
    schedule_command,
    send,
    validate,
)
from reminder.cli.app import app, main

__all__ = ["app", "main"]
