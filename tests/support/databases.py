"""Fresh databases for store tests: a SQLite file always, a PostgreSQL schema when
REMINDER_TEST_DATABASE_URL names a server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_URL_VARIABLE = "REMINDER_TEST_DATABASE_URL"


def database_kinds() -> list[object]:
    """`sqlite`, and `postgresql` (skipped unless the variable is set): fixture parameters."""
    return [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not os.environ.get(PG_URL_VARIABLE), reason=f"{PG_URL_VARIABLE} is not set"
            ),
        ),
    ]


@contextmanager
def fresh_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of `kind`; a PostgreSQL schema is dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = os.environ[PG_URL_VARIABLE]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
