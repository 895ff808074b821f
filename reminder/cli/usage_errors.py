"""Click's own words in the reader's language: usage errors, and the marks on a help page.

Typer carries its own copy of Click, whose usage errors are English f-strings ("No such option:
--x", "Missing argument 'campaign'"); `main` therefore catches them where the program starts and
`show_usage_error` says them again from the exception's fields, in the current language (under
`--json` as a JSON object, as every other error). Typer's marks on a help page ("required",
"default: …") go through gettext's global `_`, which `speak_typer` points at our catalogs.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from reminder.cli.app import json_error, stderr
from reminder.i18n import N_, _

#: Typer's own words that reach a person through its gettext calls (translated in our catalog).
TYPER_WORDS = (
    N_("required"),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("Missing command."),
    N_("No such command {name!r}."),
)

#: Click's reasons for a bad value, in English, and how we say each.
REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^'?(?P<value>.*?)'? is not one of (?P<choices>.*)\.$"),
        N_("{value} is not one of {choices}"),
    ),
    (
        re.compile(r"^'?(?P<value>.*?)'? is not (?P<choices>'[^']*')\.$"),
        N_("{value} is not one of {choices}"),
    ),
    (
        re.compile(r"^'?(?P<value>.*?)'? is not a valid (integer|float)\.$"),
        N_("{value} is not a number"),
    ),
    (
        re.compile(r"^(?P<value>.*) is not in the range (?P<range>.*)\.$"),
        N_("{value} is not in the range {range}"),
    ),
    # Typer checks option values with pydantic, in pydantic's words.
    (re.compile(r"^Input should be a valid integer\b"), N_("expected a whole number")),
    (re.compile(r"^Input should be a valid number\b"), N_("expected a number")),
    (re.compile(r"^Input should be a valid boolean\b"), N_("expected true or false")),
    (
        re.compile(r"^Input should be greater than or equal to (?P<ge>\S+?)\.?$"),
        N_("must be at least {ge}"),
    ),
    (
        re.compile(r"^Input should be greater than (?P<gt>\S+?)\.?$"),
        N_("must be greater than {gt}"),
    ),
    (
        re.compile(r"^Input should be less than or equal to (?P<le>\S+?)\.?$"),
        N_("must be at most {le}"),
    ),
    (re.compile(r"^Input should be less than (?P<lt>\S+?)\.?$"), N_("must be less than {lt}")),
)
EXTRA = re.compile(r"^Got unexpected extra argument(s|\(s\))? \((?P<args>.*)\)$")
UNKNOWN_COMMAND = re.compile(r"^No such command '(?P<name>.*)'\.$")


def run_program(app: Any) -> NoReturn:
    """Run the Typer `app` on the command line and exit with its code; usage errors are said
    in the reader's language (`show_usage_error`), not in Click's English."""
    speak_typer()
    try:
        # Named as installed: Click would name it after how Python was started (`python -m …`).
        code = app(standalone_mode=False, prog_name="reminder")
    except Exception as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]
        elif is_usage_error(exc):
            show_usage_error(exc, "--json" in sys.argv[1:])
        elif type(exc).__name__ == "Abort":
            stderr().print(_("aborted"), style="yellow", markup=False)
            sys.exit(1)
        else:
            raise
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)


def speak_typer() -> None:
    """Let Typer's gettext calls ("required", "default: …") find our translations."""
    import typer.core

    typer.core._ = _  # type: ignore[attr-defined]


def is_usage_error(exc: BaseException) -> bool:
    """Whether `exc` is Click's (or Typer's copy of Click's) usage error."""
    module = type(exc).__module__
    return (
        module.startswith(("click", "typer"))
        and hasattr(exc, "format_message")
        and any(cls.__name__ == "UsageError" for cls in type(exc).__mro__)
    )


def explain(exc: Any) -> str:
    """What is wrong with the command line, in the current language."""
    kind = type(exc).__name__
    if kind == "NoSuchOption":
        text = _("no such option: {option}").format(option=exc.option_name)
        if exc.possibilities:
            options = ", ".join(sorted(exc.possibilities))
            text += " " + _("(did you mean {options}?)").format(options=options)
        return text
    if kind == "MissingParameter":
        name = _hint(exc)
        if (exc.param_type or getattr(exc.param, "param_type_name", "")) == "option":
            return _("missing option {name}").format(name=name)
        return _("missing argument {name}").format(name=name)
    if kind == "BadParameter":
        return _("invalid value for {name}: {reason}").format(
            name=_hint(exc), reason=_reason(exc.message)
        )
    message = str(exc.message)
    extra = EXTRA.match(message)
    if extra:
        return _("unexpected extra arguments: {args}").format(args=extra["args"])
    unknown = UNKNOWN_COMMAND.match(message)
    if unknown:
        return _("no such command: {name}").format(name=unknown["name"])
    return _(message)


def show_usage_error(exc: Any, as_json: bool) -> None:
    """Print a usage error as Click would, in the current language: usage, hint, error."""
    _speak_configured(exc)
    message = explain(exc)
    if as_json:
        json_error(message, exc.exit_code, ())
    say = stderr()
    ctx = exc.ctx
    if ctx is not None:
        usage = ctx.get_usage()
        if usage.startswith("Usage: "):
            usage = _("Usage: ") + usage.removeprefix("Usage: ")
        hint = _("Try '{command} {option}' for help.")
        say.print(usage, markup=False, highlight=False)
        say.print(hint.format(command=ctx.command_path, option="--help") + "\n", markup=False)
    say.print(_("Error: {message}").format(message=message), markup=False, highlight=False)


def _speak_configured(exc: Any) -> None:
    """The config's language, when the error came before the config was read."""
    from reminder.i18n import use_language
    from reminder.inputs.config import configured_language

    root = exc.ctx.find_root() if exc.ctx is not None else None
    config = root.params.get("config") if root is not None else None
    language = configured_language(config)
    if language:
        use_language(language)


def _hint(exc: Any) -> str:
    """The option's or argument's name as the command line writes it."""
    hint: str | Sequence[str] | None = exc.param_hint
    if hint is None and exc.param is not None:
        try:
            hint = exc.param.get_error_hint(exc.ctx)
        except TypeError:
            hint = exc.param.get_error_hint()
    if isinstance(hint, str) or hint is None:
        return hint or ""
    return " / ".join(hint)


def _reason(message: str) -> str:
    message = message.removeprefix("Value error, ")
    for pattern, words in REASONS:
        found = pattern.match(message)
        if found:
            return _(words).format(**found.groupdict())
    return message
