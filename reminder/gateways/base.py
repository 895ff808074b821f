"""The gateway interface: send one message, get `Accepted` or a typed `GatewayError`.

A gateway never touches the store, the clock or the config files. It receives everything it
needs in `OutgoingMessage`: the rendered text, and the template name and variables for
providers that send a registered template code plus parameters instead of free text.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class OutgoingMessage:
    """One message as a gateway sees it."""

    message_id: int
    campaign: str
    push: str
    occurrence: date
    contact_id: str
    to: str  # E.164
    body: str
    segments: int
    template: str
    variables: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; `provider_id` is its reference, `status` its first word."""

    provider_id: str | None = None
    status: str | None = None


class GatewaySettings(BaseModel):
    """Base of every gateway's settings: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Gateway(ABC):
    """Base class of gateways; subclasses declare their metadata as class attributes."""

    name: ClassVar[str]
    #: True when messages reach real phones: `reminder send` then asks for confirmation.
    real: ClassVar[bool] = False
    Settings: ClassVar[type[GatewaySettings]] = GatewaySettings
    #: Settings that must come from environment variables (`${NAME}`), never literal YAML.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, settings: GatewaySettings, *, base_dir: Path | None = None) -> None:
        self.settings = settings
        self.base_dir = base_dir or Path.cwd()

    @abstractmethod
    async def send(self, message: OutgoingMessage) -> Accepted:
        """Send one message. Raise `TransientGatewayError` or `PermanentGatewayError` on failure."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default has none."""

    def describe(self) -> dict[str, Any]:
        """The settings with secrets masked, for display."""
        shown = self.settings.model_dump(mode="json")
        for key in self.secret_fields:
            if shown.get(key):
                shown[key] = "********"
        return shown

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"
