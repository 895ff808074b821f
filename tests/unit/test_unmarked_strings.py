"""No user-facing English string is left outside the catalogs.

The scan reads the package's syntax trees and looks at the places a person reads text from:
what the command line prints (`console.print`, `say`, `typer.echo`, `typer.confirm`), the help
of commands and options, table titles, captions and headings, input problems (`Problem`), the
errors raised for a person (every `ReminderError` subclass but the gateway errors, whose text is
the provider's own and is stored with the message as its record), and the operator's log lines.
A string literal there must be wrapped in `_()`, `ngettext()` or `N_()`; one that holds no word
(a separator, a format such as `{a}/{b}`) needs no translation.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from reminder import i18n

PACKAGE = Path(i18n.__file__).parent
MARKERS = {"_", "ngettext", "N_"}
PRINTERS = {"print", "echo", "confirm", "prompt", "say", "_say", "secho", "TextColumn"}
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
HELP_TAKERS = {"Option", "Argument", "Typer", "command", "callback", "add_typer"}
WORD = re.compile(r"[A-Za-z]{2,}")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
#: Literals that name no thing in a language: the program's name and version.
ALLOWED = {"reminder {}"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """Names of every `ReminderError` subclass in the package, gateway errors excluded."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {n for b in node.bases if (n := _name(b))}

    def descends(name: str, root: str, seen: frozenset[str] = frozenset()) -> bool:
        if name == root:
            return True
        return any(descends(b, root, seen | {name}) for b in bases.get(name, set()) - seen)

    return {
        name
        for name in bases
        if descends(name, "ReminderError") and not descends(name, "GatewayError")
    }


def _literal_text(node: ast.expr) -> Iterator[tuple[int, str]]:
    """The language-bearing literal text inside an argument that is not marked."""
    if isinstance(node, ast.Call) and _name(node.func) in MARKERS:
        return
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            yield from _literal_text(node.func.value)
        return
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.lineno, node.value
    elif isinstance(node, ast.JoinedStr):
        parts = [
            v.value if isinstance(v, ast.Constant) else "{}"
            for v in node.values
            if isinstance(v, ast.Constant | ast.FormattedValue)
        ]
        yield node.lineno, "".join(str(p) for p in parts)
    elif isinstance(node, ast.BinOp):
        yield from _literal_text(node.left)
        yield from _literal_text(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _literal_text(node.body)
        yield from _literal_text(node.orelse)


def read_arguments(call: ast.Call, errors: set[str], logs: bool) -> Iterator[ast.expr]:
    """The arguments of `call` that a person reads."""
    name = _name(call.func)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if name in PRINTERS and call.args and (name != "print" or isinstance(call.func, ast.Attribute)):
        yield call.args[0]
    elif name == "Problem":
        yield from call.args[1:2]
        yield from [v for k, v in keywords.items() if k == "message"]
    elif name in errors and call.args:
        yield call.args[0]
    elif name == "Table":
        yield from [v for k, v in keywords.items() if k in ("title", "caption")]
    elif (name == "add_column" and call.args) or (
        logs
        and name in LOG_METHODS
        and isinstance(call.func, ast.Attribute)
        and _name(call.func.value) in ("log", "logger")
        and call.args
    ):
        yield call.args[0]
    if name in HELP_TAKERS and "help" in keywords:
        yield keywords["help"]


def unmarked() -> list[str]:
    """`file:line: text` of every user-facing English literal not marked for translation."""
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(PACKAGE.rglob("*.py"))
    }
    errors = error_classes(trees)
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for argument in read_arguments(node, errors, logs=True):
                for line, text in _literal_text(argument):
                    if WORD.search(PLACEHOLDER.sub("", text)) and text not in ALLOWED:
                        found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text!r}")
    return found


def test_every_user_facing_string_is_marked_for_translation() -> None:
    found = unmarked()
    assert not found, "not marked for translation:\n" + "\n".join(found)


def test_the_scan_sees_what_it_must() -> None:
    """The scan itself: it flags an unmarked message, an f-string and a help text, and passes
    marked ones, in each of the places it watches."""
    source = """
raise UsageError(f"no campaign {name!r}")
console.print("wrote it")
stderr().print(_("wrote {path}").format(path=p))
typer.Option(help="Only this push.")
typer.Option(help=N_("Only this push."))
problems.append(Problem(name, "unknown field", line=1))
Problem(name, _("unknown field"))
log.info("stopped")
Table(title="{} messages".format(n))
out.print("{a}/{b}")
TextColumn("{task.description}")
"""
    tree = ast.parse(source)
    errors = {"UsageError"}
    flagged = [
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for argument in read_arguments(node, errors, logs=True)
        for line, text in _literal_text(argument)
        if WORD.search(PLACEHOLDER.sub("", text))
    ]
    assert sorted(flagged) == [2, 3, 5, 7, 9, 10]
