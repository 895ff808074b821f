"""Where a loaded contact book lives: a private, temporary SQLite database.

SQLite keeps a temporary database (opened with an empty file name) in its page cache and spills
it to a file of its own once it outgrows the cache, so a book of a million contacts costs a few
megabytes of memory and a book of sixty is as quick as a dict. Groups become SQL conditions
(`reminder.inputs.groups.condition`), so an audience streams out in id order without being built in
memory. The index is filled once, while loading, and only read afterwards; reads may come from
any thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: The columns of a contact row, in the order `Contact` is rebuilt from.
COLUMNS = "c.id, c.name, c.phone, c.rank, c.unit, c.post, c.tags, c.family_of, c.relation"
TAG_SEPARATOR = "\x1f"
#: Rows fetched from SQLite at a time while streaming.
FETCH = 1000

SCHEMA = """
CREATE TABLE contact (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    rank INTEGER,
    unit TEXT NOT NULL,
    post TEXT NOT NULL,
    tags TEXT NOT NULL,
    family_of TEXT,
    relation TEXT,
    seq INTEGER NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    sheet TEXT
) WITHOUT ROWID;
CREATE INDEX contact_family ON contact (family_of, id) WHERE family_of IS NOT NULL;
CREATE TABLE contact_tag (
    contact_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (contact_id, tag)
) WITHOUT ROWID;
"""

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Condition:
    """A SQL condition on the contact aliased `c`, with its parameters."""

    sql: str
    params: tuple[Any, ...] = ()


class Conflict(Exception):
    """A contact could not be added: its id or its phone number is already in the index;
    `first` is where the earlier one was read (file, line, sheet)."""

    def __init__(self, column: str, first: tuple[str, int, str | None]) -> None:
        super().__init__(column)
        self.column = column
        self.first = first


class ContactIndex:
    """Contact rows in a temporary SQLite database (see the module doc)."""

    def __init__(self) -> None:
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.executescript(SCHEMA)
        self._db.execute("BEGIN")
        self._loading = True
        self._seq = 0

    def add(self, row: Row, tags: Sequence[str], file: str, line: int, sheet: str | None) -> None:
        """Store one contact row (the columns of `COLUMNS`) read at file, line (and sheet);
        raises `Conflict` on a duplicate id or phone number."""
        self._seq += 1
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO contact VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, self._seq, file, line, sheet),
                )
            except sqlite3.IntegrityError:
                for column, value in (("id", row[0]), ("phone", row[2])):
                    found = self._db.execute(
                        f"SELECT file, line, sheet FROM contact WHERE {column} = ?", (value,)
                    ).fetchone()
                    if found:
                        raise Conflict(column, found) from None
                raise
            if tags:
                self._db.executemany(
                    "INSERT OR IGNORE INTO contact_tag VALUES (?, ?)", ((row[0], t) for t in tags)
                )

    def seal(self) -> None:
        """End loading: later calls only read."""
        with self._lock:
            if self._loading:
                self._db.execute("COMMIT")
                self._loading = False

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        """The first row of a query."""
        with self._lock:
            found: Row | None = self._db.execute(sql, params).fetchone()
            return found

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Row]:
        """The rows of a query, fetched a thousand at a time."""
        with self._lock:
            cursor = self._db.execute(sql, params)
        while True:
            with self._lock:
                chunk = cursor.fetchmany(FETCH)
            if not chunk:
                return
            yield from chunk

    def names(self, contact_ids: Sequence[str]) -> dict[str, str]:
        """The names of those of `contact_ids` in the index, by id (a query per 500 ids)."""
        found: dict[str, str] = {}
        for start in range(0, len(contact_ids), 500):
            chunk = tuple(contact_ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT id, name FROM contact WHERE id IN ({marks})"
            found.update((row[0], row[1]) for row in self.rows(sql, chunk))
        return found

    def contact_row(self, contact_id: str) -> Row | None:
        """The row of one contact."""
        return self.one(f"SELECT {COLUMNS} FROM contact c WHERE c.id = ?", (contact_id,))

    def matching(self, condition: Condition) -> Iterator[Row]:
        """The rows of the contacts meeting `condition`, ordered by id."""
        return self.rows(
            f"SELECT {COLUMNS} FROM contact c WHERE {condition.sql} ORDER BY c.id",
            condition.params,
        )

    def meets(self, contact_id: str, condition: Condition) -> bool:
        """Whether one contact meets `condition`."""
        sql = f"SELECT 1 FROM contact c WHERE c.id = ? AND ({condition.sql})"
        return self.one(sql, (contact_id, *condition.params)) is not None

    def relatives(self, cadre_id: str) -> Iterator[Row]:
        """The rows of a cadre's family members, ordered by id."""
        return self.rows(
            f"SELECT {COLUMNS} FROM contact c WHERE c.family_of = ? ORDER BY c.id", (cadre_id,)
        )

    def count(self) -> tuple[int, int]:
        """How many contacts, and how many of them are family members."""
        found = self.one("SELECT COUNT(*), COUNT(family_of) FROM contact")
        assert found is not None
        return int(found[0]), int(found[1])

    def family_links(self) -> Iterator[tuple[str, int, str | None, str | None, bool, bool]]:
        """For each contact with `family_of` or `relation`, in reading order: file, line,
        family_of, relation, whether that cadre exists, whether that cadre is a family member."""
        return self.rows(
            "SELECT c.file, c.line, c.family_of, c.relation, p.id IS NOT NULL, "
            "p.family_of IS NOT NULL FROM contact c LEFT JOIN contact p ON p.id = c.family_of "
            "WHERE c.family_of IS NOT NULL OR c.relation IS NOT NULL ORDER BY c.seq"
        )

    def close(self) -> None:
        """Drop the database (its file, if SQLite made one, goes with it)."""
        with self._lock:
            self._db.close()
