"""`config.yaml`: organisation, zone, store, signature, quiet hours, folders, gateway choice.

Found at `--config`, else `$REMINDER_CONFIG`, else `./config.yaml`; with none of those present the
embedded defaults apply (SQLite file `reminder.db`, the console gateway, the folders of the
working directory). `${NAME}` in a value is read from the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reminder.errors import InputError, Problem, ReminderError, UsageError, display_path
from reminder.i18n import _, normalise_language
from reminder.inputs.yaml_source import LineDict, interpolate, load_yaml, parse_model, raise_if

DEFAULT_CONFIG_NAME = "config.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuietHours(_Strict):
    """Hours of the night in which no reminder may arrive (campaign time zone)."""

    start: time = time(21, 30)
    end: time = time(7, 30)

    def contains(self, moment: time) -> bool:
        """True when `moment` falls inside the quiet hours (which may wrap past midnight)."""
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def overlaps(self, first: time, last: time) -> bool:
        """True when any moment from `first` to `last` (same day, inclusive) is quiet."""
        if self.start <= self.end:
            return first < self.end and last >= self.start
        return first < self.end or last >= self.start


class Paths(_Strict):
    """Where the data folders are, relative to the config file."""

    campaigns: str = "campaigns"
    templates: str = "templates"
    contacts: str = "contacts"
    cases: str = "cases"


class SchedulerSettings(_Strict):
    """How `reminder run` treats occurrences it missed while it was down."""

    grace_minutes: int = Field(default=120, ge=0)
    catch_up_days: int = Field(default=7, ge=1)
    #: Between firings, every push is checked this often (engine time) for messages a dead
    #: process left unfinished.
    sweep_minutes: float = Field(default=5, gt=0)
    #: On PostgreSQL, how often (real seconds) a node that does not lead asks for leadership
    #: and looks for planned messages to send, and the leader checks it still leads.
    node_poll_seconds: float = Field(default=3, gt=0, le=20)


class ReceiptSettings(_Strict):
    """Where `reminder serve` listens, and the public URL providers call (their signatures
    cover it)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    public_url: str | None = None


class WebSettings(_Strict):
    """Where the web console listens (`reminder web`, `reminder run --web`)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=1, le=65535)
    #: Session cookies with the Secure flag (sent over HTTPS only): false only for plain HTTP
    #: on 127.0.0.1 without a proxy.
    secure_cookies: bool = True


class SuppressionSettings(_Strict):
    """Who the suppression list applies to."""

    #: When true, suppressed cadre numbers are still sent official reminders; family members'
    #: numbers are always honoured.
    protect_cadres: bool = False


class ApprovalSettings(_Strict):
    """Whether an occurrence needs approval before it is sent (None: only through a gateway
    that reaches real phones)."""

    required: bool | None = None
    #: How long a console session lasts without a request.
    session_minutes: int = Field(default=30, ge=1)


class Settings(_Strict):
    """The validated content of a config file."""

    #: The language of everything a person reads: `zh-CN` or `en` (None: the locale's).
    language: str | None = None
    organisation: str = "某某市纪委监委"
    timezone: str = "Asia/Shanghai"
    database_url: str = "sqlite:///reminder.db"
    signature: str = "【某某市纪委监委】"
    hotline: str = "12388"
    default_region: str = "CN"
    #: At most this many messages to one number in 24 hours, across all campaigns (None: no cap).
    per_number_cap: int | None = Field(default=3, ge=1)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    paths: Paths = Field(default_factory=Paths)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    receipts: ReceiptSettings = Field(default_factory=ReceiptSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    suppression: SuppressionSettings = Field(default_factory=SuppressionSettings)
    approval: ApprovalSettings = Field(default_factory=ApprovalSettings)
    gateway: str = "console"
    # Each gateway validates its own settings when it is built (delivery.gateways.registry).
    gateways: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is None:
            return None
        known = normalise_language(value)
        if known is None or known.lower() != value.replace("_", "-").lower():
            raise ValueError(_("unknown language {value!r}: use zh-CN or en").format(value=value))
        return known

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("unknown time zone {value!r}").format(value=value)) from None
        return value

    @field_validator("signature")
    @classmethod
    def _signature_present(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(_("carriers require a signature such as 【某某市纪委监委】"))
        return value.strip()


@dataclass(frozen=True)
class Config:
    """Settings plus where they came from; folder paths resolved against the config file."""

    settings: Settings
    base_dir: Path
    source: Path | None = None
    raw_gateways: Any = field(default=None, compare=False)
    key_lines: dict[str, int] = field(default_factory=dict, compare=False)

    @property
    def source_name(self) -> str:
        """The config file as shown in messages (or a note that defaults apply)."""
        return display_path(self.source) if self.source else "(built-in defaults)"

    def folder(self, name: str) -> Path:
        """The absolute path of one data folder (`campaigns`, `templates`, …)."""
        folder: Path = (self.base_dir / getattr(self.settings.paths, name)).resolve()
        return folder

    @property
    def database_url(self) -> str:
        """The store URL; a relative SQLite path is taken relative to the config file."""
        url = self.settings.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str((self.base_dir / url[len(prefix) :]).resolve())
        return url

    def gateway_settings(self, name: str) -> tuple[Any, int | None]:
        """The raw (not yet interpolated) settings of one gateway, and their line in the file."""
        raw = self.raw_gateways if isinstance(self.raw_gateways, LineDict) else None
        if raw is None or name not in raw:
            return LineDict(), None
        return raw[name], raw.key_lines.get(name)


def find_config(explicit: Path | None) -> Path | None:
    """The config file to read: `--config`, else `$REMINDER_CONFIG`, else `./config.yaml`."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(
                _("config file {explicit} does not exist").format(explicit=display_path(explicit))
            )
        return explicit
    from_env = os.environ.get("REMINDER_CONFIG")
    if from_env:
        path = Path(from_env)
        if not path.is_file():
            raise UsageError(
                _("REMINDER_CONFIG names {from_env}, which does not exist").format(
                    from_env=from_env
                )
            )
        return path
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def configured_language(explicit: Path | None = None) -> str | None:
    """The `language:` of the config file, read before anything else is checked, so that the
    config's own problems and a command's `--help` are in that language (None: none named)."""
    try:
        path = find_config(explicit)
        data = load_yaml(path) if path is not None else None
    except ReminderError:
        return None
    value = data.get("language") if isinstance(data, dict) else None
    return normalise_language(value) if isinstance(value, str) else None


def load_config(explicit: Path | None = None) -> Config:
    """Find and validate the config; every problem is reported at once as an `InputError`."""
    path = find_config(explicit)
    if path is None:
        return Config(settings=Settings(), base_dir=Path.cwd())
    name = display_path(path)
    data = load_yaml(path)
    if data is None:
        data = LineDict()
    if not isinstance(data, LineDict):
        raise InputError([Problem(name, _("a config file is a mapping of settings"), line=1)])
    problems: list[Problem] = []
    raw_gateways = data.get("gateways")
    without_gateways = LineDict((k, v) for k, v in data.items() if k != "gateways")
    without_gateways.line, without_gateways.key_lines = data.line, data.key_lines
    values = interpolate(without_gateways, name, problems)
    values["gateways"] = raw_gateways if raw_gateways is not None else {}
    settings = parse_model(Settings, values, name, problems)
    raise_if(problems)
    assert settings is not None
    return Config(
        settings=settings,
        base_dir=path.parent.resolve(),
        source=path,
        raw_gateways=raw_gateways,
        key_lines=dict(data.key_lines),
    )
