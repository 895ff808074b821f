"""Finding gateways through the `reminder.gateways` entry-point group and building them.

The built-in gateways register through the same group as third-party ones (pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from reminder.delivery.gateways.base import Gateway, TemplateCodeSettings
from reminder.errors import CredentialError, InputError, MissingExtraError, Problem
from reminder.i18n import _, ngettext
from reminder.inputs.config import Config
from reminder.inputs.yaml_source import SECRET_REFERENCE, LineDict, interpolate, validation_problems

GROUP = "reminder.gateways"


def available() -> list[str]:
    """The names of every installed gateway."""
    return sorted({ep.name for ep in entry_points(group=GROUP)})


def gateway_class(name: str) -> type[Gateway]:
    """The class registered under `name`; an unknown name is an `InputError`-ready KeyError."""
    for ep in entry_points(group=GROUP, name=name):
        try:
            cls = ep.load()
        except ImportError as exc:
            raise MissingExtraError(
                _(
                    "gateway {name!r} needs a package that is not installed "
                    "({package}); install it with: pip install 'reminder[{name}]'"
                ).format(name=name, package=exc.name)
            ) from None
        if not (isinstance(cls, type) and issubclass(cls, Gateway)):
            raise TypeError(f"entry point {ep.value} is not a Gateway subclass")
        return cls
    raise KeyError(name)


def build_gateway(config: Config, name: str | None = None) -> Gateway:
    """Build the configured gateway (or `name`), validating its settings against the config file."""
    name = name or config.settings.gateway
    file = config.source_name
    raw, line = config.gateway_settings(name)
    try:
        cls = gateway_class(name)
    except KeyError:
        message = f"unknown gateway {name!r}; installed: {', '.join(available())}"
        gateway_line = config.key_lines.get("gateway")
        if gateway_line is None:
            raise InputError([Problem(file, message, field="gateway")]) from None
        raise InputError(
            [Problem(file, _("gateway: {message}").format(message=message), line=gateway_line)]
        ) from None
    if raw is None:
        raw = LineDict()
    if not isinstance(raw, dict):
        raise InputError(
            [Problem(file, _("gateways.{name}: expected a mapping").format(name=name), line=line)]
        )
    problems = _literal_secrets(cls, raw, file, name, line)
    unset = _unset_credentials(cls, raw)
    if unset:
        # Read as placeholders so that every problem of the file is reported first (exit 2);
        # then the missing variables, a problem of the environment (exit 1).
        raw = _with_placeholders(raw, unset)
    values = interpolate(_without_templates(cls, raw), file, problems, f"gateways.{name}", line)
    if values is not raw and "templates" in raw:
        # A provider's template text is written as registered, `${param}` and all (Aliyun's
        # placeholders): taken verbatim, never read from the environment.
        values["templates"] = raw["templates"]
    if problems:
        raise InputError(problems)
    try:
        settings = cls.Settings.model_validate(values)
    except ValidationError as exc:
        located = validation_problems(exc, values, file, prefix=("gateways", name))
        raise InputError(
            [
                p
                if p.line is not None or line is None
                else Problem(file, f"{p.field}: {p.message}", line=line)
                for p in located
            ]
        ) from None
    if unset:
        raise CredentialError(_unset_message(name, unset, file))
    return cls(settings, base_dir=config.base_dir)


def _literal_secrets(
    cls: type[Gateway], raw: dict[str, Any], file: str, name: str, line: int | None
) -> list[Problem]:
    """A problem for each secret setting written in the file instead of as `${VARIABLE}`."""
    problems = []
    for key in sorted(cls.secret_fields & set(raw)):
        value = raw[key]
        if not (isinstance(value, str) and SECRET_REFERENCE.match(value)):
            problems.append(
                _problem(
                    file,
                    f"gateways.{name}.{key}",
                    "is a secret: write it as ${VARIABLE} and set that environment variable",
                    raw,
                    key,
                    line,
                )
            )
    return problems


def _unset_credentials(cls: type[Gateway], raw: Any) -> dict[str, str]:
    """The secret settings of `raw` whose environment variable is not set: field → variable."""
    if not isinstance(raw, dict):
        return {}
    unset = {}
    for key in sorted(cls.secret_fields & set(raw)):
        value = raw[key]
        if isinstance(value, str) and SECRET_REFERENCE.match(value):
            variable = value[2:-1]
            if variable not in os.environ:
                unset[key] = variable
    return unset


def _with_placeholders(raw: dict[str, Any], unset: dict[str, str]) -> LineDict:
    copy = LineDict((key, "unset" if key in unset else value) for key, value in raw.items())
    if isinstance(raw, LineDict):
        copy.line, copy.key_lines = raw.line, raw.key_lines
    return copy


def _unset_message(name: str, unset: dict[str, str], file: str) -> str:
    variables = ", ".join(unset.values())
    fields = ", ".join(f"gateways.{name}.{key}" for key in unset)
    return ngettext(
        "the {gateway} gateway cannot send: environment variable {variables} is not set "
        "({file}: {fields} names it); set it and run again",
        "the {gateway} gateway cannot send: environment variables {variables} are not set "
        "({file}: {fields} name them); set them and run again",
        len(unset),
    ).format(gateway=name, variables=variables, file=file, fields=fields)


def credential_variables(config: Config, name: str, fields: Iterable[str]) -> list[str]:
    """Where each of gateway `name`'s settings `fields` comes from: the environment variable
    its `${VARIABLE}` names, or the setting itself when it is written in the file."""
    raw, _line = config.gateway_settings(name)
    named = []
    for key in fields:
        value = raw.get(key) if isinstance(raw, dict) else None
        if isinstance(value, str) and SECRET_REFERENCE.match(value):
            named.append(value[2:-1])
        else:
            named.append(f"gateways.{name}.{key}")
    return named


def _without_templates(cls: type[Gateway], raw: Any) -> Any:
    """`raw` without `templates` for a template-code gateway (interpolated apart: not at all)."""
    if not (issubclass(cls.Settings, TemplateCodeSettings) and isinstance(raw, LineDict)):
        return raw
    if "templates" not in raw:
        return raw
    trimmed = LineDict((key, value) for key, value in raw.items() if key != "templates")
    trimmed.line, trimmed.key_lines = raw.line, raw.key_lines
    return trimmed


def _problem(file: str, field: str, message: str, raw: Any, key: str, line: int | None) -> Problem:
    key_line = raw.key_lines.get(key) if isinstance(raw, LineDict) else None
    where = key_line or line
    if where is None:
        return Problem(file, message, field=field)
    return Problem(file, f"{field}: {message}", line=where)


def callback_gateways(config: Config) -> dict[str, Gateway]:
    """Every configured gateway whose provider calls the receipt server, built; the selected
    gateway must build, another whose package is not installed is left out."""
    found: dict[str, Gateway] = {}
    for name in sorted(set(config.settings.gateways) | {config.settings.gateway}):
        try:
            cls = gateway_class(name)
        except (KeyError, MissingExtraError):
            if name == config.settings.gateway:
                raise
            continue
        if cls.receives_callbacks:
            found[name] = build_gateway(config, name)
    return found
