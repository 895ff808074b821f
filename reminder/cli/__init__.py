"""The `reminder` command line. Commands register in the order `--help` lists them."""
# ruff: noqa: I001, F401 - the import order is the order of the commands in --help

from reminder.cli import init_command, validate, preview, send, log_command, report_command
from reminder.cli import schedule_command, run_command
from reminder.cli import control, suppress, serve, contacts_command
from reminder.cli.app import app, main

__all__ = ["app", "main"]
