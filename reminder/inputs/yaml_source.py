"""Reading the user's YAML with line numbers, and turning validation errors into `Problem`s.

Every mapping and list loaded here remembers the line of each key and item, so that an error
found later (by pydantic, or by a cross-file check) can still say `file:line: message`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from reminder.errors import InputError, Problem, display_path
from reminder.i18n import N_, _


class LineDict(dict[Any, Any]):
    """A YAML mapping that knows its own line and the line of each key (1-based)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int = 0
        self.key_lines: dict[Any, int] = {}


class LineList(list[Any]):
    """A YAML sequence that knows its own line and the line of each item (1-based)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line: int = 0
        self.item_lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in mapping:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        items = LineList(self.construct_object(child, deep=True) for child in node.value)
        items.line = node.start_mark.line + 1
        items.item_lines = [child.start_mark.line + 1 for child in node.value]
        return items


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _LineLoader.construct_mapping,
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
    _LineLoader.construct_sequence,
)


def load_yaml(path: Path) -> Any:
    """Load one YAML file; a syntax error becomes an `InputError` with file and line."""
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem(name, _("file is not UTF-8 text"))]) from None
    except OSError as exc:
        raise InputError(
            [Problem(name, _("cannot read file: {strerror}").format(strerror=exc.strerror))]
        ) from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or str(exc)
        raise InputError(
            [Problem(name, _("invalid YAML: {what}").format(what=what), line=line)]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(name, _("invalid YAML: {exc}").format(exc=exc))]) from None


def yaml_files(folder: Path, problems: list[Problem]) -> Iterator[tuple[str, Any]]:
    """(name as shown, data) of every YAML file of `folder` in order; unreadable ones become
    problems and are skipped."""
    for path in sorted(folder.glob("*.y*ml")):
        try:
            data = load_yaml(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        yield display_path(path), data


def line_of(data: Any, loc: Sequence[Any]) -> int | None:
    """The line of the deepest node along `loc` that was read from YAML."""
    line = getattr(data, "line", None) or None
    node = data
    for step in loc:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


Model = TypeVar("Model", bound=BaseModel)


def validation_problems(
    exc: ValidationError, data: Any, file: str, prefix: Sequence[Any] = ()
) -> list[Problem]:
    """Turn a pydantic error into one `Problem` per error, located in the YAML source."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [step for step in error["loc"] if not _is_union_tag(step)]
        field = ".".join(str(step) for step in (*prefix, *loc))
        message = _clean_message(error)
        line = line_of(data, loc)
        if line is None:
            problems.append(Problem(file, message, field=field or None))
        else:
            where = f"{field}: " if field else ""
            problems.append(Problem(file, where + message, line=line))
    return problems


def _is_union_tag(step: Any) -> bool:
    return isinstance(step, str) and (step.startswith("function-") or "[" in step)


#: Pydantic's messages for the errors a person makes most, in our words and catalogs (by error
#: type; placeholders from the error's context). Others keep pydantic's own English.
PYDANTIC_MESSAGES = {
    "extra_forbidden": N_("unknown field"),
    "missing": N_("Field required"),
    "string_type": N_("expected text"),
    "int_type": N_("expected a whole number"),
    "int_parsing": N_("expected a whole number"),
    "int_from_float": N_("expected a whole number"),
    "float_type": N_("expected a number"),
    "float_parsing": N_("expected a number"),
    "bool_type": N_("expected true or false"),
    "bool_parsing": N_("expected true or false"),
    "list_type": N_("expected a list"),
    "dict_type": N_("expected a mapping"),
    "model_type": N_("expected a mapping"),
    "model_attributes_type": N_("expected a mapping"),
    "date_type": N_("expected a date (YYYY-MM-DD)"),
    "date_parsing": N_("expected a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("expected a date (YYYY-MM-DD)"),
    "time_type": N_("expected a time (HH:MM)"),
    "time_parsing": N_("expected a time (HH:MM)"),
    "literal_error": N_("Input should be {expected}"),
    "enum": N_("Input should be {expected}"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "too_short": N_("too short: at least {min_length} expected"),
    "string_too_short": N_("must not be empty"),
    "too_long": N_("too long: at most {max_length} expected"),
    "string_too_long": N_("too long: at most {max_length} characters"),
    "string_pattern_mismatch": N_("does not match the pattern {pattern}"),
    "datetime_type": N_("expected a date and time (YYYY-MM-DDTHH:MM)"),
    "datetime_parsing": N_("expected a date and time (YYYY-MM-DDTHH:MM)"),
    "datetime_from_date_parsing": N_("expected a date and time (YYYY-MM-DDTHH:MM)"),
    "time_delta_type": N_("expected a duration"),
    "time_delta_parsing": N_("expected a duration"),
    "set_type": N_("expected a list"),
    "tuple_type": N_("expected a list"),
    "none_required": N_("must be empty (null)"),
    "union_tag_invalid": N_("unknown kind {tag}: expected {expected_tags}"),
    "union_tag_not_found": N_("missing {discriminator}"),
    "url_parsing": N_("expected a web address (https://…)"),
    "url_type": N_("expected a web address (https://…)"),
    "url_scheme": N_("the address should start with {expected_schemes}"),
    "multiple_of": N_("must be a multiple of {multiple_of}"),
    "finite_number": N_("must be a finite number"),
}


def _clean_message(error: Any) -> str:
    known = PYDANTIC_MESSAGES.get(error["type"])
    if known is not None:
        try:
            return _(known).format(**error.get("ctx", {}))
        except (KeyError, IndexError):
            pass
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def parse_model(model: type[Model], data: Any, file: str, problems: list[Problem]) -> Model | None:
    """Validate `data` as `model`; on failure append the located problems and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, data, file))
        return None


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")


def interpolate(
    data: Any, file: str, problems: list[Problem], field: str = "", line: int | None = None
) -> Any:
    """Replace `${NAME}` in every string with the environment variable NAME.

    A missing variable is a problem naming the variable (never a value).
    Line information is kept on the copies.
    """
    if isinstance(data, LineDict):
        copy = LineDict(
            (key, interpolate(value, file, problems, _join(field, key), data.key_lines.get(key)))
            for key, value in data.items()
        )
        copy.line, copy.key_lines = data.line, data.key_lines
        return copy
    if isinstance(data, LineList):
        items = LineList(
            interpolate(value, file, problems, _join(field, i), data.item_lines[i])
            for i, value in enumerate(data)
        )
        items.line, items.item_lines = data.line, data.item_lines
        return items
    if isinstance(data, str):
        return _VARIABLE.sub(lambda m: _lookup(m.group(1), file, problems, field, line), data)
    return data


def _join(field: str, step: Any) -> str:
    return f"{field}.{step}" if field else str(step)


def _lookup(name: str, file: str, problems: list[Problem], field: str, line: int | None) -> str:
    value = os.environ.get(name)
    if value is None:
        message = f"environment variable {name} is not set"
        if line is None:
            problems.append(Problem(file, message, field=field or None))
        else:
            problems.append(Problem(file, f"{field}: {message}", line=line))
        return ""
    return value


def raise_if(problems: Iterable[Problem]) -> None:
    """Raise an `InputError` carrying all problems, if there are any."""
    problems = list(problems)
    if problems:
        raise InputError(problems)
