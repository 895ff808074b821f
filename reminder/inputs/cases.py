"""Warning-education case summaries, read from `cases/*.yaml` (a `cases:` list in each)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from reminder.errors import Problem
from reminder.i18n import _
from reminder.inputs.yaml_source import LineDict, LineList, validation_problems, yaml_files


class Case(BaseModel):
    """One short summary of a real disciplinary case, used for warning education."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    summary: str
    year: int
    tags: frozenset[str] = frozenset()

    @field_validator("id", "title", "summary", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        text = str(value).strip() if value is not None else ""
        if not text:
            raise ValueError(_("must not be empty"))
        return text


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
