"""Contacts: cadres and their family members, read from YAML and CSV files in `contacts/`.

A YAML file holds `contacts:` (a list) and may hold `groups:` (see `reminder.inputs.groups`).
A CSV file has a header row with the columns id, name, phone, rank, unit, post, tags
(separated by `;`), family_of and relation.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from reminder.errors import InputError, Problem, display_path
from reminder.i18n import _
from reminder.inputs.contact_index import (
    TAG_SEPARATOR,
    Condition,
    Conflict,
    ContactIndex,
    Row,
)
from reminder.inputs.ranks import Rank, parse_rank
from reminder.inputs.spreadsheets import header_problem, read_rows
from reminder.inputs.yaml_source import LineDict, LineList, load_yaml, validation_problems
from reminder.phones import normalise


class Contact(BaseModel):
    """One person: a cadre, or a family member pointing at a cadre with `family_of`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    phone: str
    rank: Rank | None = None
    unit: str = ""
    post: str = ""
    tags: frozenset[str] = frozenset()
    family_of: str | None = None
    relation: str | None = None

    @field_validator("id", "name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not str(value).strip():
            raise ValueError(_("must not be empty"))
        return str(value).strip()

    @field_validator("rank", mode="before")
    @classmethod
    def _rank(cls, value: Any) -> Rank | None:
        if value is None or value == "":
            return None
        return value if isinstance(value, Rank) else parse_rank(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> frozenset[str]:
        if value is None or value == "":
            return frozenset()
        if isinstance(value, str):
            return frozenset(t.strip() for t in value.replace("，", ";").split(";") if t.strip())
        return frozenset(str(t).strip() for t in value)

    @field_validator("family_of", "relation", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> str | None:
        return None if value is None or str(value).strip() == "" else str(value).strip()

    @property
    def is_family(self) -> bool:
        """True for a family member (who has a `family_of` cadre)."""
        return self.family_of is not None


@dataclass(frozen=True)
class Located:
    """Where one record was read: file and line (CSV, Excel: the row), and for Excel the sheet
    and the column letter of each field."""

    file: str
    line: int
    sheet: str | None = None
    columns: dict[str, str] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" + (f" (sheet {self.sheet})" if self.sheet else "")

    def problem(self, field_name: str | None, reason: str) -> Problem:
        """A problem with one field of this record, naming sheet and column where known."""
        label = field_name or ""
        if field_name and self.columns and field_name in self.columns:
            label = _("column {letter} ({field})").format(
                letter=self.columns[field_name], field=field_name
            )
        if self.sheet:
            sheet = _("sheet {sheet}").format(sheet=self.sheet)
            label = _("{sheet}, {column}").format(sheet=sheet, column=label) if label else sheet
        return Problem(self.file, f"{label}: {reason}" if label else reason, line=self.line)


#: The condition every contact meets.
EVERYONE = Condition("1")


class ContactTable:
    """The contacts of a book by id: a read-only mapping over the book's index, iterated in id
    order and streamed, never held in memory as a whole."""

    def __init__(self, index: ContactIndex) -> None:
        self._index = index

    def __getitem__(self, contact_id: str) -> Contact:
        found = self.get(contact_id)
        if found is None:
            raise KeyError(contact_id)
        return found

    def get(self, contact_id: str) -> Contact | None:
        """One contact, or None."""
        row = self._index.contact_row(contact_id)
        return None if row is None else contact_from_row(row)

    def __contains__(self, contact_id: object) -> bool:
        return isinstance(contact_id, str) and self._index.contact_row(contact_id) is not None

    def __len__(self) -> int:
        return self._index.count()[0]

    def __iter__(self) -> Iterator[str]:
        return (contact.id for contact in self.values())

    def values(self) -> Iterator[Contact]:
        """Every contact, ordered by id."""
        return map(contact_from_row, self._index.matching(EVERYONE))


class ContactBook:
    """Every contact of a project, kept in a `ContactIndex`, plus the raw group definitions."""

    def __init__(self) -> None:
        self.index = ContactIndex()
        self.contacts = ContactTable(self.index)
        self.group_sources: list[tuple[str, LineDict]] = []

    def add(self, contact: Contact, where: Located) -> None:
        """Add one contact; raises `Conflict` when its id or phone number is taken."""
        self.index.add(
            (
                contact.id,
                contact.name,
                contact.phone,
                int(contact.rank) if contact.rank is not None else None,
                contact.unit,
                contact.post,
                TAG_SEPARATOR.join(sorted(contact.tags)),
                contact.family_of,
                contact.relation,
            ),
            sorted(contact.tags),
            where.file,
            where.line,
            where.sheet,
        )

    def seal(self) -> None:
        """End loading (see `ContactIndex.seal`)."""
        self.index.seal()

    def matching(self, condition: Condition) -> Iterator[Contact]:
        """The contacts meeting a SQL condition (see `reminder.inputs.groups.condition`), by id."""
        return map(contact_from_row, self.index.matching(condition))

    def family_of(self, cadre_id: str) -> list[Contact]:
        """The family members of one cadre, ordered by id."""
        return [contact_from_row(row) for row in self.index.relatives(cadre_id)]

    def cadre_of(self, contact: Contact) -> Contact | None:
        """The cadre a family member belongs to (None for a cadre)."""
        return self.contacts.get(contact.family_of) if contact.family_of else None

    def counts(self) -> tuple[int, int]:
        """How many cadres and how many family members."""
        total, family = self.index.count()
        return total - family, family


_CONTACT_FIELDS = frozenset(Contact.model_fields)
_RANKS: dict[int | None, Rank] = {int(rank): rank for rank in Rank}


def contact_from_row(row: Row) -> Contact:
    """A contact rebuilt from its index row, validated when it was added.

    Built the way `model_construct` builds a model, minus its per-field bookkeeping: planning
    rebuilds one contact per message, and this is a quarter of the cost.
    """
    contact_id, name, phone, rank, unit, post, tags, family_of, relation = row
    contact = object.__new__(Contact)
    fields = {
        "id": contact_id,
        "name": name,
        "phone": phone,
        "rank": _RANKS.get(rank),
        "unit": unit,
        "post": post,
        "tags": frozenset(tags.split(TAG_SEPARATOR)) if tags else frozenset(),
        "family_of": family_of,
        "relation": relation,
    }
    object.__setattr__(contact, "__dict__", fields)
    object.__setattr__(contact, "__pydantic_fields_set__", set(_CONTACT_FIELDS))
    object.__setattr__(contact, "__pydantic_extra__", None)
    object.__setattr__(contact, "__pydantic_private__", None)
    return contact


def contact_files(folder: Path) -> list[Path]:
    """The contact files of a folder, in a stable order."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in {".yaml", ".yml", ".csv", ".xlsx"}
        and not p.name.startswith("~$")  # Excel's lock file while a workbook is open
    )


def load_contacts(folder: Path, region: str, problems: list[Problem]) -> ContactBook:
    """Read every contact file of `folder`; append every problem found, keep going."""
    book = ContactBook()
    if not folder.is_dir():
        problems.append(Problem(display_path(folder), _("contacts folder does not exist")))
        return book
    for path in contact_files(folder):
        for record, where in _records(path, book, problems):
            contact = _parse(record, where, region, problems)
            if contact is None:
                continue
            try:
                book.add(contact, where)
            except Conflict as clash:
                what = f"contact id {contact.id!r}" if clash.column == "id" else "phone number"
                label = "first at" if clash.column == "id" else "also at"
                message = f"duplicate {what} ({label} {Located(*clash.first)})"
                problems.append(Problem(where.file, message, line=where.line))
    book.seal()
    _check_families(book, problems)
    if not len(book.contacts) and not problems:
        problems.append(Problem(display_path(folder), _("no contacts found")))
    return book


def _records(
    path: Path, book: ContactBook, problems: list[Problem]
) -> Iterator[tuple[dict[str, Any], Located]]:
    name = display_path(path)
    if path.suffix.lower() == ".csv":
        yield from _csv_records(path, name, problems)
        return
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx_records(path, name, problems)
        return
    try:
        data = load_yaml(path)
    except InputError as exc:
        problems.extend(exc.problems)
        return
    if data is None:
        return
    if not isinstance(data, LineDict):
        problems.append(
            Problem(name, _("expected a mapping with 'contacts:' and/or 'groups:'"), line=1)
        )
        return
    unknown = set(data) - {"contacts", "groups"}
    for key in sorted(unknown, key=str):
        problems.append(
            Problem(name, _("unknown section {key!r}").format(key=key), line=data.key_lines[key])
        )
    if "groups" in data:
        groups = data["groups"]
        if isinstance(groups, LineDict):
            book.group_sources.append((name, groups))
        else:
            text = _("groups: expected a mapping of group names")
            problems.append(Problem(name, text, line=data.key_lines["groups"]))
    contacts = data.get("contacts")
    if contacts is None:
        return
    if not isinstance(contacts, LineList):
        problems.append(
            Problem(name, _("contacts: expected a list"), line=data.key_lines["contacts"])
        )
        return
    for item, line in zip(contacts, contacts.item_lines, strict=True):
        if not isinstance(item, dict):
            problems.append(Problem(name, _("a contact is a mapping of fields"), line=line))
            continue
        yield item, Located(name, line)


def _csv_records(
    path: Path, name: str, problems: list[Problem]
) -> Iterator[tuple[dict[str, Any], Located]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        problems.append(
            Problem(name, _("cannot read file: {strerror}").format(strerror=exc.strerror))
        )
        return
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            problem = header_problem(header)
            if problem:
                problems.append(Problem(name, problem, line=1))
                return
            for row in reader:
                line = reader.line_num
                if None in row:
                    problems.append(Problem(name, _("more fields than columns"), line=line))
                    continue
                values = {k: v for k, v in row.items() if v is not None and v.strip() != ""}
                if not values:
                    continue
                yield values, Located(name, line)
        except UnicodeDecodeError:
            problems.append(Problem(name, _("file is not UTF-8 text")))
        except csv.Error as exc:
            problems.append(Problem(name, _("invalid CSV: {exc}").format(exc=exc)))


def _xlsx_records(
    path: Path, name: str, problems: list[Problem]
) -> Iterator[tuple[dict[str, Any], Located]]:
    try:
        for sheet, row, values, letters in read_rows(path):
            where = Located(name, row, sheet, letters)
            if "__error__" in values:
                problems.append(where.problem(None, values["__error__"]))
                continue
            yield values, where
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        problems.append(Problem(name, _("cannot read the workbook: {exc}").format(exc=exc)))


def _parse(
    record: dict[str, Any], where: Located, region: str, problems: list[Problem]
) -> Contact | None:
    values = dict(record)
    phone = values.get("phone")
    if phone is not None:
        try:
            values["phone"] = normalise(str(phone), region)
        except ValueError as exc:
            problems.append(where.problem("phone", str(exc)))
            return None
    for key in ("id", "name", "unit", "post"):
        if key in values and values[key] is not None:
            values[key] = str(values[key])
    try:
        return Contact.model_validate(values)
    except ValidationError as exc:
        for problem in validation_problems(exc, None, where.file):
            problems.append(where.problem(problem.field, problem.message))
        return None


def _check_families(book: ContactBook, problems: list[Problem]) -> None:
    for file, line, family_of, relation, cadre_exists, cadre_is_family in book.index.family_links():
        if family_of is None:
            if relation:
                problems.append(Problem(file, _("relation is set but family_of is not"), line=line))
        elif not cadre_exists:
            text = _("family_of: no contact has id {family_of!r}").format(family_of=family_of)
            problems.append(Problem(file, text, line=line))
        elif cadre_is_family:
            text = _("family_of: {family_of!r} is itself a family member")
            problems.append(Problem(file, text.format(family_of=family_of), line=line))
