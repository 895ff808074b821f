"""Warning-education case summaries, read from `cases/*.yaml` (a `cases:` list in each).

A case may declare the surname of its subject (`subject_surname: 朱`, or a list); otherwise it
is read from the title and summary ("朱某", "欧阳某": `reminder.inputs.surnames`).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from reminder.errors import Problem
from reminder.i18n import _
from reminder.inputs.surnames import is_han, subject_surnames
from reminder.inputs.yaml_source import LineDict, LineList, validation_problems, yaml_files


class Case(BaseModel):
    """One short summary of a real disciplinary case, used for warning education."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    summary: str
    year: int
    tags: frozenset[str] = frozenset()
    #: The surname(s) of the case's subject, as declared; None: read from the words.
    subject_surname: tuple[str, ...] | None = None

    @field_validator("id", "title", "summary", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        text = str(value).strip() if value is not None else ""
        if not text:
            raise ValueError(_("must not be empty"))
        return text

    @field_validator("subject_surname", mode="before")
    @classmethod
    def _surnames(cls, value: object) -> object:
        if value is None:
            return None
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list | tuple):
            raise ValueError("give a surname or a list of surnames")
        cleaned = tuple(str(name).strip() for name in names)
        if any(not name or len(name) > 2 or not all(map(is_han, name)) for name in cleaned):
            raise ValueError("a surname is one or two Chinese characters, e.g. 朱 or 欧阳")
        return cleaned

    @cached_property
    def surnames(self) -> frozenset[str]:
        """The surnames of the case's subject: declared, else every "X某" of title and summary."""
        if self.subject_surname is not None:
            return frozenset(self.subject_surname)
        return subject_surnames(self.title) | subject_surnames(self.summary)


def load_cases(folder: Path, problems: list[Problem]) -> dict[str, Case]:
    """Every case of every file in `folder`, by id; problems are appended, not raised."""
    cases: dict[str, Case] = {}
    where: dict[str, str] = {}
    if not folder.is_dir():
        return cases
    for name, data in yaml_files(folder, problems):
        if data is None:
            continue
        if not isinstance(data, LineDict) or not isinstance(data.get("cases"), LineList):
            problems.append(Problem(name, _("expected a mapping with a 'cases:' list"), line=1))
            continue
        items = data["cases"]
        for item, line in zip(items, items.item_lines, strict=True):
            try:
                case = Case.model_validate(item)
            except ValidationError as exc:
                for problem in validation_problems(exc, item, name):
                    problems.append(
                        problem if problem.line else Problem(name, problem.message, line=line)
                    )
                continue
            if case.id in cases:
                problems.append(
                    Problem(
                        name,
                        _("duplicate case id {id!r} (first at {first})").format(
                            id=case.id, first=where[case.id]
                        ),
                        line=line,
                    )
                )
                continue
            cases[case.id] = case
            where[case.id] = f"{name}:{line}"
    return cases
