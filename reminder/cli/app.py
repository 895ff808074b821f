"""The Typer application, its global options, and the one error boundary of the CLI.

Every command builds the application core (`State.app`) from the global options and calls it;
commands parse and print, the core decides. Exit codes: 0 the command completed (per-message
failures are counted, not fatal); 1 an operational error stopped it (store, network, a gateway's
credential unset or refused: `CredentialError`); 2 bad input or usage. Tracebacks only with
`--debug`.

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
from reminder.cli.helptext import TranslatedCommand, TranslatedGroup
from reminder.cli.lazy import LazyCommand, LazyGroup
from reminder.clock import Clock, SystemClock
from reminder.errors import InputError, ReminderError, UsageError
from reminder.i18n import N_, _, ngettext, use_language
from reminder.inputs.config import Config, configured_language, load_config
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
            if kwargs.get("as_json"):  # a script reads the error as it reads the output
                json_error(str(exc), exc.exit_code, getattr(exc, "problems", ()))
            _report(exc, ctx)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr().print(_("interrupted"), style="yellow", markup=False)
            raise typer.Exit(130) from None
        except Exception as exc:
            if type(exc).__module__.startswith(("typer", "click")):
                raise
            debug = _debug(ctx)
            if debug:
                stderr().print_exception()
            message = _("internal error: {kind}: {exc}").format(kind=type(exc).__name__, exc=exc)
            if kwargs.get("as_json"):
                json_error(message, 1, ())
            stderr().print(message, style="red", markup=False, highlight=False)
            if not debug:
                stderr().print(_("(run with --debug to see the traceback)"), markup=False)
            raise typer.Exit(1) from None

    return wrapper


def command(
    name: str | None = None, *, help: str
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a function as a `reminder` sub-command (named `name`, else as the function)
    behind the error boundary; it must also be listed in `COMMANDS`. `help` is its help in
    English, marked `N_()`: it is translated when shown."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        app.command(name or function.__name__, help=help, cls=TranslatedCommand)(boundary(function))
        return function

    return register


def json_error(message: str, exit_code: int, problems: Any) -> None:
    """Under `--json`, an error is one JSON object on standard output: `error`, `exit_code`,
    and each input problem (the line on standard error stays for a person)."""
    import json

    found = {"error": message, "exit_code": exit_code}
    if problems:
        found["problems"] = [str(p) for p in problems]
    sys.stdout.write(json.dumps(found, ensure_ascii=False) + "\n")


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
            ngettext(
                "{count} problem found; nothing was sent",
                "{count} problems found; nothing was sent",
                count,
            ).format(count=count),
            style="red",
            markup=False,
        )
    else:
        console.print(_("error: {exc}").format(exc=exc), style="red", markup=False, highlight=False)


#: Every command, in the order `--help` lists them: name, module, and the first paragraph of its
#: help (tests/integration/test_cli_startup.py checks each against the command's own).
COMMANDS = (
    LazyCommand(
        "init",
        "reminder.cli.init_command",
        N_(
            "Write a working starter folder: config, a campaign, templates, cases, "
            "a contacts sheet."
        ),
    ),
    LazyCommand(
        "validate",
        "reminder.cli.validate",
        N_("Check config, contacts, groups, cases, templates and campaigns; render every message."),
    ),
    LazyCommand(
        "preview",
        "reminder.cli.preview",
        N_(
            "Show the rendered messages with recipient (masked), segment count and case. "
            "Sends nothing."
        ),
    ),
    LazyCommand(
        "send",
        "reminder.cli.send",
        N_(
            "Plan the occurrence of DATE and dispatch it; re-running it never sends anything twice."
        ),
    ),
    LazyCommand(
        "log",
        "reminder.cli.log_command",
        N_(
            "List messages with their status, attempts and last error, and how many are in each "
            "status."
        ),
    ),
    LazyCommand(
        "replies",
        "reminder.cli.replies_command",
        N_(
            "List the replies people sent: acknowledged, ambiguous, unmatched or opted out, "
            "newest first."
        ),
    ),
    LazyCommand(
        "report",
        "reminder.cli.report_command",
        N_(
            "Per occurrence and group: targeted, delivered, sent, failed, pending, unknown, "
            "skipped; coverage; and the contacts never reached, with their last error."
        ),
    ),
    LazyCommand(
        "commitments",
        "reminder.cli.commitments_command",
        N_("Export the commitments a campaign collected: who, when, with which words."),
    ),
    LazyCommand(
        "schedule",
        "reminder.cli.schedule_command",
        N_("List every upcoming occurrence: date, time, zone, campaign, push, audience, segments."),
    ),
    LazyCommand(
        "serve",
        "reminder.cli.serve",
        N_("Receive delivery receipts and replies from the providers (behind a reverse proxy)."),
    ),
    LazyCommand(
        "sync",
        "reminder.cli.serve",
        N_("Ask the gateway for the status of messages sent but not yet final (no callbacks)."),
    ),
    LazyCommand(
        "run",
        "reminder.cli.run_command",
        N_(
            "Run every push of every campaign on time until stopped "
            "(SIGTERM/SIGINT; SIGHUP reloads)."
        ),
    ),
    LazyCommand(
        "status",
        "reminder.cli.status_command",
        N_(
            "Show the nodes running on the store, which one leads, each one's last heartbeat "
            "and throughput, and the occurrences in flight."
        ),
    ),
    LazyCommand(
        "pause",
        "reminder.cli.control",
        N_("Stop dispatching a campaign: running dispatches stop claiming its messages."),
    ),
    LazyCommand(
        "resume",
        "reminder.cli.control",
        N_("Resume a paused campaign and send exactly the messages not sent yet."),
    ),
    LazyCommand(
        "cancel",
        "reminder.cli.control",
        N_("Cancel the messages of an occurrence that are still waiting to be sent."),
    ),
    LazyCommand(
        "retry",
        "reminder.cli.control",
        N_("Send failed or unknown messages again (at least one of --failed, --unknown)."),
    ),
    LazyCommand(
        "suppress",
        "reminder.cli.suppress",
        N_("The suppression list: numbers that must not be messaged."),
    ),
    LazyCommand(
        "cases",
        "reminder.cli.cases_command",
        N_("Warning-education cases: how they are used."),
    ),
    LazyCommand(
        "approve",
        "reminder.cli.governance",
        N_(
            "Approve what an occurrence (--date) or a campaign year (--year) will send; --request "
            "asks for it, --reject and --revoke take it back. The approver is not the requester."
        ),
    ),
    LazyCommand(
        "approvals",
        "reminder.cli.governance",
        N_("List requests for approval and decisions, newest first."),
    ),
    LazyCommand("users", "reminder.cli.governance", N_("Users of the console and of approval.")),
    LazyCommand("audit", "reminder.cli.governance", N_("The audit trail.")),
    LazyCommand(
        "web",
        "reminder.cli.web_command",
        N_("Serve the web console (127.0.0.1 by default; put it behind a reverse proxy with TLS)."),
    ),
    LazyCommand(
        "contacts",
        "reminder.cli.contacts_command",
        N_("Contact files: check them, or start a spreadsheet."),
    ),
)


class _Commands(TranslatedGroup, LazyGroup):
    registry = COMMANDS


app = typer.Typer(
    name="reminder",
    cls=_Commands,
    help=N_("Reviewed, scheduled, logged SMS integrity-reminder campaigns."),
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
            help=N_(
                "Config file (default: $REMINDER_CONFIG, else ./config.yaml, "
                "else built-in defaults)."
            ),
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help=N_("Show tracebacks and debug logs."))
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=N_("Log each step."))] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help=N_("Show the version.")),
    ] = False,
) -> None:
    """Reviewed, scheduled, logged SMS integrity-reminder campaigns."""
    preset = ctx.obj if isinstance(ctx.obj, State) else State()
    ctx.obj = State(config_path=config, debug=debug, clock=preset.clock)
    # Known before any sub-command's help or the config's own problems are shown.
    language = configured_language(config)
    if language:
        use_language(language)
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
        raise UsageError(
            _("{option}: {text!r} is not a date; write YYYY-MM-DD").format(option=option, text=text)
        ) from None


def main() -> None:
    """Entry point of the `reminder` console script: usage errors in the reader's language."""
    from reminder.cli.usage_errors import run_program

    run_program(app)
