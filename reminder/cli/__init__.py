"""The `reminder` command line. The commands are listed in `reminder.cli.app.COMMANDS`, in the
order `--help` shows them; each command's module is imported only when the command runs."""

from reminder.cli.app import app, main

__all__ = ["app", "main"]
