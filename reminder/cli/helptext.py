"""`--help` in the reader's language.

Help texts are written in English and marked `N_()` where a command or option declares them;
they are translated when the help is shown, not when the module is imported, because the
language is known only then: the config's `language:` when the command line names or finds a
config file (read before a sub-command's help), else `REMINDER_LANGUAGE`, else the locale
(`LC_ALL`, `LC_MESSAGES`, `LANG`), else English (`reminder.i18n`); `reminder --help` alone
reads the config it would find too. Click's own headings
("Usage:", "Options", …) are translated here too.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

from click import HelpFormatter
from typer.core import TyperCommand, TyperGroup

from reminder.i18n import N_, _

#: Click's and Typer's own words in a help page (their catalogs are not ours).
HEADINGS = (N_("Usage: "), N_("Options"), N_("Arguments"), N_("Commands"))
HELP_OPTION = N_("Show this message and exit.")


def summary(command: Any) -> str:
    """The first paragraph of a command's help, whole (Click would cut it short with "…")."""
    text = inspect.cleandoc(command.short_help or command.help or "")
    return " ".join(text.split("\n\n")[0].replace("\b", "").split())


@contextlib.contextmanager
def translated(command: Any, ctx: Any, formatter: Any) -> Iterator[None]:
    """While the help of `command` is written: its texts and headings in the current language."""
    params = [(p, getattr(p, "help", None)) for p in command.get_params(ctx)]
    saved = (command.help, command.short_help, params)
    command.help = _(command.help) if command.help else command.help
    command.short_help = _(command.short_help) if command.short_help else command.short_help
    for param, text in saved[2]:
        if text:
            param.help = _(text)

    def section(name: str) -> Any:
        return HelpFormatter.section(formatter, _(name))

    def write_usage(prog: str, args: str = "", prefix: str | None = None) -> None:
        shown = _("Usage: ") if prefix is None else prefix
        HelpFormatter.write_usage(formatter, prog, args, shown)

    formatter.section, formatter.write_usage = section, write_usage
    try:
        yield
    finally:
        command.help, command.short_help = saved[0], saved[1]
        for param, text in saved[2]:
            param.help = text
        del formatter.section, formatter.write_usage


class TranslatedCommand(TyperCommand):
    """A command whose help page is shown in the current language."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help page, translated as it is written."""
        with translated(self, ctx, formatter):
            super().format_help(ctx, formatter)


class TranslatedGroup(TyperGroup):
    """A group of sub-commands whose help page is shown in the current language."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The help page in the config's language (`reminder --help` comes before the group's
        callback reads it), translated as it is written."""
        from reminder.i18n import use_language
        from reminder.inputs.config import configured_language

        language = configured_language(ctx.params.get("config"))
        if language:
            use_language(language)
        with translated(self, ctx, formatter):
            super().format_help(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The listing of sub-commands, each with its translated summary."""
        found = (self.commands.get(name) for name in self.list_commands(ctx))
        commands = [c for c in found if c is not None]
        saved = [(c, c.help, c.short_help) for c in commands]
        for c in commands:
            c.help = _(c.help) if c.help else c.help
            c.short_help = summary(c)
        try:
            super().format_commands(ctx, formatter)
        finally:
            for c, help_, short in saved:
                c.help, c.short_help = help_, short
