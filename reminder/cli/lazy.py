"""Commands imported only when they run: `reminder --version` and `reminder --help` import no
scheduler, server, migration or spreadsheet library.

Each command's module registers it on the Typer app when imported (`reminder.cli.app.command`).
`LazyGroup` lists the commands from a registry of names, modules and summaries, prints `--help`
from the summaries, and imports a module only when its command is invoked (or asked for
`--help`). A test checks every summary against its command's own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from reminder.cli.helptext import summary
from reminder.i18n import _

# Contexts, commands and help formatters are typed `Any`: Typer vendors click in some versions
# and uses the click package in others, and this module works with either.


@dataclass(frozen=True)
class LazyCommand:
    """A command of the registry: its name, the module defining it, and the first paragraph of
    its help (what `--help` lists)."""

    name: str
    module: str
    summary: str


class LazyGroup(TyperGroup):
    """The top-level group: lists `registry` in order, imports a command's module on first use.

    Subclasses set `registry`, and `source`: the Typer app the modules register on.
    """

    registry: ClassVar[tuple[LazyCommand, ...]] = ()
    source: ClassVar[typer.Typer | None] = None

    def list_commands(self, ctx: Any) -> list[str]:
        """The registry's names in order, then any command registered outside it."""
        names = [entry.name for entry in self.registry]
        return names + [name for name in self.commands if name not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command, its module imported now if it was not yet."""
        entry = self._entry(cmd_name)
        if cmd_name not in self.commands and entry is not None and self.source is not None:
            importlib.import_module(entry.module)
            # The group Typer builds now holds every command registered so far, this one too.
            built = typer.main.get_command(self.source)
            assert isinstance(built, TyperGroup)
            self.commands.update(built.commands)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The `Commands` section of `--help`, from the summaries of commands not imported."""
        listed: list[tuple[str, Any]] = []
        for name in self.list_commands(ctx):
            entry = self._entry(name)
            command = self.commands.get(name)
            if command is None and entry is not None:
                command = TyperCommand(name, help=_(entry.summary))
            if command is not None and not command.hidden:
                listed.append((name, command))
        if not listed:
            return
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary(cmd)) for name, cmd in listed])

    def _entry(self, name: str) -> LazyCommand | None:
        return next((entry for entry in self.registry if entry.name == name), None)
