"""The Typer application, its global options, and the one error boundary of the CLI.

Every command builds the application core (`State.app`) from the global options and calls it;
commands parse and print, the core decides. Exit codes: 0 the command completed (per-message
failures are counted, not fatal); 1 an operational error stopped it; 2 bad input or usage.
Tracebacks only with `--debug`.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from reminder import __version__
from reminder.clock import Clock, SystemClock
from reminder.errors import InputError, ReminderError, UsageError
from reminder.inputs.config import Config, load_config
from reminder.logsetup import configure_logging

if TYPE_CHECKING:
    from reminder.core.app import App

log = logging.getLogger("reminder.cli")


@dataclass
class State:
    """Global options, shared by every command through the Typer context."""

    config_path: Path | None = None
    debug: bool = False
    clock: Clock = SystemClock()  # noqa: RUF009 - stateless

    def config(self) -> Config:
        """Load the config named by the global options."""
        return load_config(self.config_path)

    def app(self, clock: Clock | None = None) -> App:
        """The application core on this config and clock (or `clock`, e.g. a simulated one)."""
        # Imported here: the core loads the store, planning and reports, which `--help` and
        # `--version` must not.
        from reminder.core.app import App

        return App(self.config(), clock or self.clock)


def stdout() -> Console:
    """The console for results (standard output); wide when piped, so tables stay readable."""
    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)


def stderr() -> Console:
    """The console for messages about the run (standard error)."""
    return Console(stderr=True, soft_wrap=True)


def boundary(function: Callable[..., None]) -> Callable[..., None]:
    """Wrap a command: every error becomes one clean line (one per input problem) and an exit code.

    The wrapped command must take the Typer context as its `ctx` argument.
    """

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        ctx = kwargs.get("ctx")
        try:
            function(*args, **kwargs)
        except ReminderError as exc:
            _report(exc, ctx)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr().print("interrupted", style="yellow", markup=False)
            raise typer.Exit(130) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("typer", "click")):
                raise
            debug = _debug(ctx)
            if debug:
                stderr().print_exception()
            message = f"internal error: {type(exc).__name__}: {exc}"
            stderr().print(message, style="red", markup=False, highlight=False)
            if not debug:
                stderr().print("(run with --debug to see the traceback)", markup=False)
            raise typer.Exit(1) from None

    return wrapper


def command(name: str | None = None) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a function as a `reminder` sub-command (named `name`, else as the function)
    behind the error boundary."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        app.command(name or function.__name__)(boundary(function))
        return function

    return register


def _debug(ctx: Any) -> bool:
    state = getattr(ctx, "obj", None)
    if not isinstance(state, State):
        return False
    return state.debug


def _report(exc: ReminderError, ctx: Any) -> None:
    console = stderr()
    if _debug(ctx):
        console.print_exception()
    if isinstance(exc, InputError):
        for problem in exc.problems:
            console.print(str(problem), markup=False, highlight=False)
        count = len(exc.problems)
        console.print(
            f"{count} problem{'s' if count != 1 else ''} found; nothing was sent",
            style="red",
            markup=False,
        )
    else:
        console.print(f"error: {exc}", style="red", markup=False, highlight=False)


app = typer.Typer(
    name="reminder",
    help="Reviewed, scheduled, logged SMS integrity-reminder campaigns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reminder {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $REMINDER_CONFIG, "
            "else ./config.yaml, else built-in defaults).",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Reviewed, scheduled, logged SMS integrity-reminder campaigns."""
    ctx.obj = State(config_path=config, debug=debug)
    configure_logging(logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING)


def state(ctx: typer.Context) -> State:
    """The global options of this invocation."""
    assert isinstance(ctx.obj, State)
    return ctx.obj


def parse_day(text: str | None, option: str = "--date") -> date | None:
    """A `YYYY-MM-DD` option value, or a usage error saying what is wrong."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date; write YYYY-MM-DD") from None


def main() -> None:
    """Entry point of the `reminder` console script."""
    sys.exit(app(standalone_mode=True))
