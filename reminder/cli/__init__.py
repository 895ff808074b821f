"""The `reminder` command line."""

from reminder.cli import log_command, preview, send, validate  # noqa: F401 - register commands
from reminder.cli.app import app, main

__all__ = ["app", "main"]
