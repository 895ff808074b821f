"""The store is reached through its contract only: no module outside `reminder/store` talks
SQL or reads a store's engine (reports once classified skips with `error_text LIKE …` over
`store.engine`)."""

from __future__ import annotations

import ast
from pathlib import Path

import reminder

PACKAGE = Path(reminder.__file__).parent
#: What belongs to the SQL store alone.
INSIDE = ("sqlalchemy", "alembic", "reminder.store.sql", "reminder.store.engine")


def _outside_the_store() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "store" not in p.relative_to(PACKAGE).parts[:1]]


def test_no_module_outside_the_store_talks_sql() -> None:
    offenders = []
    for path in _outside_the_store():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if isinstance(node, ast.Attribute) and node.attr == "engine":
                names = ["<a store's engine>"]
            offenders += [
                f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}"  # type: ignore[attr-defined]
                for name in names
                if name.startswith(INSIDE) or name.startswith("<")
            ]
    assert offenders == []


def test_the_check_sees_the_package() -> None:
    found = {p.relative_to(PACKAGE).as_posix() for p in _outside_the_store()}
    assert {"reports/figures.py", "delivery/dispatch.py", "testing.py"} <= found
    assert not any(name.startswith("store/") for name in found)
