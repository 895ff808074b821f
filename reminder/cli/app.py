"""The Typer application, its global options, and the one error boundary of the CLI.

Every command builds the application core (`State.app`) from the global options and calls it;
commands parse and print, the core decides. Exit codes: 0 the command completed (per-message
failures are counted, not fatal); 1 an operational error stopped it; 2 bad input or usage.
Tracebacks only with `--debug`.

The commands are listed in `COMMANDS`, in the order `--help` shows them; each one's module is
imported only when it runs (`reminder.cli.lazy`), so this module imports nothing heavy.
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
from reminder.cli.lazy import LazyCommand, LazyGroup
from reminder.clock import Clock, SystemClock
from reminder.errors import InputError, ReminderError, UsageError
from reminder.i18n import use_language
from reminder.inputs.config import Config, load_config
from reminder.logsetup import configure_logging

if TYPE_CHECKING:
    from reminder.core.app import App

log = logging.getLogger("reminder.cli")


@dataclass
class State:
    """Global options, shared by every command through the Typer context.

    The clock is the real one; a caller pins the time by invoking the app with
    `obj=State(clock=...)` (the tests do), and every command then runs on that clock.
    """

    config_path: Path | None = None
    debug: bool = False
    clock: Clock = SystemClock()  # noqa: RUF009 - stateless

    def config(self) -> Config:
        """Load the config named by the global options, and speak its language from now on."""
        config = load_config(self.config_path)
        use_language(config.settings.language)
        return config

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
    behind the error boundary; it must also be listed in `COMMANDS`."""

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


#: Every command, in the order `--help` lists them: name, module, and the first paragraph of its
#: help (tests/integration/test_cli_startup.py checks each against the command's own).
COMMANDS = (
    LazyCommand(
        "init",
        "reminder.cli.init_command",
        "Write a working starter folder: config, a campaign, templates, cases, a contacts sheet.",
    ),
    LazyCommand(
        "validate",
        "reminder.cli.validate",
        "Check config, contacts, groups, cases, templates and campaigns; render every message.",
    ),
    LazyCommand(
        "preview",
        "reminder.cli.preview",
        "Show the rendered messages with recipient (masked), segment count and case. "
        "Sends nothing.",
    ),
    LazyCommand(
        "send",
        "reminder.cli.send",
        "Plan the occurrence of DATE and dispatch it; re-running it never sends anything twice.",
    ),
    LazyCommand(
        "log",
        "reminder.cli.log_command",
        "List messages with their status, attempts and last error, and how many are in each "
        "status.",
    ),
    LazyCommand(
        "report",
        "reminder.cli.report_command",
        "Per occurrence and group: targeted, delivered, sent, failed, pending, unknown, "
        "skipped; coverage; and the contacts never reached, with their last error.",
    ),
    LazyCommand(
        "schedule",
        "reminder.cli.schedule_command",
        "List every upcoming occurrence: date, time, zone, campaign, push, audience, segments.",
    ),
    LazyCommand(
        "serve",
        "reminder.cli.serve",
        "Receive delivery receipts and replies from the providers (behind a reverse proxy).",
    ),
    LazyCommand(
        "sync",
        "reminder.cli.serve",
        "Ask the gateway for the status of messages sent but not yet final (no callbacks).",
    ),
    LazyCommand(
        "run",
        "reminder.cli.run_command",
        "Run every push of every campaign on time until stopped (SIGTERM/SIGINT; SIGHUP reloads).",
    ),
    LazyCommand(
        "pause",
        "reminder.cli.control",
        "Stop dispatching a campaign: running dispatches stop claiming its messages.",
    ),
    LazyCommand(
        "resume",
        "reminder.cli.control",
        "Resume a paused campaign and send exactly the messages not sent yet.",
    ),
    LazyCommand(
        "cancel",
        "reminder.cli.control",
        "Cancel the messages of an occurrence that are still waiting to be sent.",
    ),
    LazyCommand(
        "retry",
        "reminder.cli.control",
        "Send failed or unknown messages again (at least one of --failed, --unknown).",
    ),
    LazyCommand(
        "suppress",
        "reminder.cli.suppress",
        "The suppression list: numbers that must not be messaged.",
    ),
    LazyCommand(
        "approve",
        "reminder.cli.governance",
        "Approve what an occurrence (--date) or a campaign year (--year) will send; --request "
        "asks for it, --reject and --revoke take it back. The approver is not the requester.",
    ),
    LazyCommand(
        "approvals",
        "reminder.cli.governance",
        "List requests for approval and decisions, newest first.",
    ),
    LazyCommand("users", "reminder.cli.governance", "Users of the console and of approval."),
    LazyCommand("audit", "reminder.cli.governance", "The audit trail."),
    LazyCommand(
        "web",
        "reminder.cli.web_command",
        "Serve the web console (127.0.0.1 by default; put it behind a reverse proxy with TLS).",
    ),
    LazyCommand(
        "contacts",
        "reminder.cli.contacts_command",
        "Contact files: check them, or start a spreadsheet.",
    ),
)


class _Commands(LazyGroup):
    registry = COMMANDS


app = typer.Typer(
    name="reminder",
    cls=_Commands,
    help="Reviewed, scheduled, logged SMS integrity-reminder campaigns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


_Commands.source = app


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
    preset = ctx.obj if isinstance(ctx.obj, State) else State()
    ctx.obj = State(config_path=config, debug=debug, clock=preset.clock)
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
