"""What a command that needs the campaign files and the gateway loads first."""

from __future__ import annotations

from reminder.cli.app import State
from reminder.core.app import App


def load_everything(state: State) -> App:
    """The application core with every file and the gateway settings loaded and checked; all
    problems reported at once. It opens no store: the caller needs nothing closed."""
    app = state.app()
    app.load()
    return app
