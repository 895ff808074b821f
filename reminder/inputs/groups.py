"""Groups: named selections of contacts, defined under `groups:` in contact YAML files.

A group is exactly one of:
- `ids: [c001, c002]`                         explicit contacts;
- a filter: `rank: ">= deputy_division"`, `units: [...]`, `tags: [...]` (all given must match;
  a filter selects cadres, never family members);
- `family_of: other_group` (optionally `relations: [spouse]`): the family of that group's cadres;
- `union: [group_a, group_b]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from reminder.errors import Problem
from reminder.i18n import _
from reminder.inputs.contact_index import Condition
from reminder.inputs.contacts import Contact, ContactBook
from reminder.inputs.ranks import RankRange, parse_rank_range
from reminder.inputs.yaml_source import validation_problems


class GroupSpec(BaseModel):
    """The definition of one group, as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    ids: tuple[str, ...] | None = None
    rank: RankRange | None = None
    units: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    family_of: str | None = None
    relations: tuple[str, ...] | None = None
    union: tuple[str, ...] | None = None

    @field_validator("rank", mode="before")
    @classmethod
    def _rank(cls, value: Any) -> RankRange | None:
        if value is None or isinstance(value, RankRange):
            return value
        return parse_rank_range(str(value))

    @model_validator(mode="after")
    def _one_kind(self) -> GroupSpec:
        kinds = [
            name
            for name, given in (
                ("ids", self.ids is not None),
                ("filter", any(v is not None for v in (self.rank, self.units, self.tags))),
                ("family_of", self.family_of is not None),
                ("union", self.union is not None),
            )
            if given
        ]
        if len(kinds) != 1:
            raise ValueError(
                "a group is exactly one of: ids, a filter (rank/units/tags), family_of, union"
                + (f"; this one mixes {', '.join(kinds)}" if kinds else "")
            )
        if self.relations is not None and self.family_of is None:
            raise ValueError(_("relations only goes with family_of"))
        return self

    def references(self) -> tuple[str, ...]:
        """The names of the other groups this one is built from."""
        if self.family_of is not None:
            return (self.family_of,)
        return self.union or ()


@dataclass(frozen=True)
class GroupDef:
    """A validated group and where it was defined."""

    name: str
    spec: GroupSpec
    file: str
    line: int


def load_groups(book: ContactBook, problems: list[Problem]) -> dict[str, GroupDef]:
    """Validate every group definition found in the contact files, including references."""
    groups: dict[str, GroupDef] = {}
    for file, mapping in book.group_sources:
        for name, body in mapping.items():
            line = mapping.key_lines[name]
            if name in groups:
                first = groups[name]
                problems.append(
                    Problem(
                        file,
                        _("duplicate group {name!r} (first at {file}:{line})").format(
                            name=name, file=first.file, line=first.line
                        ),
                        line=line,
                    )
                )
                continue
            try:
                spec = GroupSpec.model_validate(body if body is not None else {})
            except ValidationError as exc:
                for problem in validation_problems(exc, body, file, prefix=(name,)):
                    problems.append(
                        problem if problem.line else Problem(file, problem.message, line=line)
                    )
                continue
            groups[str(name)] = GroupDef(str(name), spec, file, line)
    _check_references(groups, book, problems)
    return groups


def _check_references(
    groups: dict[str, GroupDef], book: ContactBook, problems: list[Problem]
) -> None:
    for group in groups.values():
        for ref in group.spec.references():
            if ref not in groups:
                problems.append(
                    Problem(
                        group.file,
                        _("group {name!r} refers to unknown group {ref!r}").format(
                            name=group.name, ref=ref
                        ),
                        line=group.line,
                    )
                )
        for contact_id in group.spec.ids or ():
            if contact_id not in book.contacts:
                problems.append(
                    Problem(
                        group.file,
                        _("group {name!r}: no contact has id {contact_id!r}").format(
                            name=group.name, contact_id=contact_id
                        ),
                        line=group.line,
                    )
                )
    for group in groups.values():
        if _cycle(group.name, groups, []):
            problems.append(
                Problem(
                    group.file,
                    _("group {name!r} includes itself through its references").format(
                        name=group.name
                    ),
                    line=group.line,
                )
            )


def _cycle(name: str, groups: dict[str, GroupDef], path: list[str]) -> bool:
    if name in path:
        return True
    group = groups.get(name)
    if group is None:
        return False
    return any(_cycle(ref, groups, [*path, name]) for ref in group.spec.references())


def condition(name: str, groups: dict[str, GroupDef], alias: str = "c") -> Condition:
    """A group as a SQL condition on the contact aliased `alias` (groups must be validated).

    Lists travel as one JSON parameter each, so a group of any size is one statement; a family
    group looks up each member's cadre (`EXISTS` on the primary key), never the whole group.
    """
    spec = groups[name].spec
    if spec.ids is not None:
        return Condition(f"{alias}.id IN (SELECT value FROM json_each(?))", (json.dumps(spec.ids),))
    if spec.union is not None:
        return _any_of([condition(member, groups, alias) for member in spec.union])
    if spec.family_of is not None:
        cadre = condition(spec.family_of, groups, alias + "f")
        sql = (
            f"EXISTS (SELECT 1 FROM contact {alias}f WHERE {alias}f.id = {alias}.family_of "
            f"AND ({cadre.sql}))"
        )
        if spec.relations is None:
            return Condition(sql, cadre.params)
        sql += f" AND {alias}.relation IN (SELECT value FROM json_each(?))"
        return Condition(sql, (*cadre.params, json.dumps(spec.relations)))
    clauses = [f"{alias}.family_of IS NULL"]
    params: tuple[Any, ...] = ()
    if spec.rank is not None:
        clauses.append(f"{alias}.rank IS NOT NULL")
        if spec.rank.low is not None:
            clauses.append(f"{alias}.rank >= ?")
            params += (int(spec.rank.low),)
        if spec.rank.high is not None:
            clauses.append(f"{alias}.rank <= ?")
            params += (int(spec.rank.high),)
    if spec.units is not None:
        clauses.append(f"{alias}.unit IN (SELECT value FROM json_each(?))")
        params += (json.dumps(spec.units),)
    if spec.tags is not None:
        clauses.append(
            f"EXISTS (SELECT 1 FROM contact_tag {alias}t WHERE {alias}t.contact_id = {alias}.id "
            f"AND {alias}t.tag IN (SELECT value FROM json_each(?)))"
        )
        params += (json.dumps(spec.tags),)
    return Condition(" AND ".join(clauses), params)


def audience_condition(names: tuple[str, ...], groups: dict[str, GroupDef]) -> Condition:
    """The union of several groups as one SQL condition."""
    return _any_of([condition(name, groups) for name in names])


def _any_of(parts: list[Condition]) -> Condition:
    if not parts:
        return Condition("0")
    return Condition(
        "(" + " OR ".join(f"({p.sql})" for p in parts) + ")",
        tuple(param for p in parts for param in p.params),
    )


def resolve(name: str, groups: dict[str, GroupDef], book: ContactBook) -> Iterator[Contact]:
    """The contacts of one group, ordered by id, streamed (groups must have been validated)."""
    return book.matching(condition(name, groups))


def audience(
    names: tuple[str, ...], groups: dict[str, GroupDef], book: ContactBook
) -> Iterator[Contact]:
    """The union of several groups, each person once, ordered by id, streamed."""
    return book.matching(audience_condition(names, groups))
