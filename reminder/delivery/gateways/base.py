"""The gateway interface: send one message, get `Accepted` or a typed `GatewayError`.

A gateway never touches the store, the clock or the config files. It receives everything it
needs in `OutgoingMessage`: the rendered text, and the template name and variables for
providers that send a registered template code plus parameters instead of free text.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reminder.errors import GatewayError, MissingExtraError
from reminder.i18n import _
from reminder.status import Status


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


class DeliveryPolicy(BaseModel):
    """How fast and how persistently the dispatcher uses one gateway (`delivery:` in its
    settings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concurrency: int = Field(default=8, ge=1, le=1000)
    messages_per_second: float | None = Field(default=None, gt=0)
    segments_per_second: float | None = Field(default=None, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=1.0, gt=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)
    retry_deadline_seconds: float = Field(default=600.0, gt=0)
    #: How long one request to the provider may wait for its answer (gateways that make
    #: requests apply it). An answer that does not come leaves the message `unknown` (it may
    #: have arrived) and holds a concurrency slot this long: a few seconds, not the quarter of a
    #: minute HTTP clients commonly wait.
    request_timeout_seconds: float = Field(default=5.0, gt=0)
    #: A message left `sending` by another machine is taken as abandoned after this long.
    claim_lease_seconds: float = Field(default=300.0, gt=0)
    #: A provider lookup (reconciliation) starts this long before the message's claim time, by
    #: the claiming machine's clock: room for the provider's clock to differ from ours.
    lookup_margin_seconds: float = Field(default=900.0, ge=0)


class GatewaySettings(BaseModel):
    """Base of every gateway's settings: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery: DeliveryPolicy = Field(default_factory=DeliveryPolicy)


class ProviderTemplate(BaseModel):
    """One of our templates as a template-code provider registered it: its code, the provider's
    own text of it (what the phone shows, rendered from the parameters), and which of our flat
    template variables fills each of its parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1)
    text: str = Field(min_length=1)
    #: Provider parameter name → our flat variable name (e.g. `name: contact_name`).
    params: dict[str, str] = Field(default_factory=dict)


class TemplateCodeSettings(GatewaySettings):
    """Settings of a provider that sends a registered template code plus parameters (Aliyun,
    Tencent Cloud): the approved signature, written without 【】, and our templates mapped to
    the provider's approved ones (`templates:` keyed by our template file, e.g. `daily.j2`)."""

    sign_name: str = Field(min_length=1)
    templates: dict[str, ProviderTemplate] = Field(default_factory=dict)

    @field_validator("sign_name")
    @classmethod
    def _bare_signature(cls, value: str) -> str:
        if any(mark in value for mark in "【】[]"):
            raise ValueError(_("write the signature without 【】: the provider adds them"))
        return value


def http_url(value: str) -> str:
    """A provider endpoint setting: an http:// or https:// URL, without a trailing slash."""
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(_("must be an http:// or https:// URL"))
    return value.rstrip("/")


@dataclass(frozen=True)
class Receipt:
    """What a provider says of a message it accepted (a status callback, or a poll)."""

    provider_id: str
    status: str  # provider's word: queued, sent, delivered, undelivered, failed, …
    error_code: str | None = None
    error_text: str | None = None
    #: Other ways the provider may have written `provider_id` when it sent the message (SMPP:
    #: the id in decimal or hexadecimal), tried only when `provider_id` matches no message.
    aliases: tuple[str, ...] = ()
    #: Matching nothing as written nor under its aliases, the receipt is of a later part of a
    #: long message (SMPP: written another way): dropped, not waited for.
    later_part: bool = False


@dataclass(frozen=True)
class Inbound:
    """A message a person sent to us (a reply), as the provider reported it."""

    sender: str  # as the provider wrote it; normalised by whoever reads it
    text: str
    provider_id: str | None = None


#: What a provider calls the server for: delivery receipts, or messages people sent.
CallbackKind = Literal["receipts", "inbound"]


@dataclass(frozen=True)
class CallbackRequest:
    """One HTTP request a provider made to the receipt server, as the gateway needs it to verify
    and parse it. `url` is the public address the provider called (what it signs)."""

    method: str
    url: str
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    @cached_property
    def form(self) -> dict[str, str]:
        """The body as `application/x-www-form-urlencoded` fields (the last of repeated ones)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass(frozen=True)
class CallbackAnswer:
    """What the receipt server answers a provider once the request's content is durable."""

    status: int = 204
    body: bytes = b""
    content_type: str = "text/plain"


class BindSink(Protocol):
    """Where a gateway whose provider reports on its own connection (SMPP's deliver_sm), not
    over HTTP, hands receipts and the messages people send. Each call returns once what it was
    given is durable (the gateway acknowledges only then) and raises if it could not be kept."""

    async def take_receipts(self, gateway: Gateway, receipts: Sequence[Receipt]) -> None:
        """Apply `gateway`'s delivery receipts (forward only)."""

    async def take_inbound(self, gateway: Gateway, messages: Sequence[Inbound]) -> None:
        """Take messages people sent (opt-outs)."""


class Gateway(ABC):
    """Base class of gateways; subclasses declare their metadata (the provider's facts) as
    class attributes, and override the methods their provider supports."""

    name: ClassVar[str]
    #: True when messages reach real phones: `reminder send` then asks for confirmation.
    real: ClassVar[bool] = False
    Settings: ClassVar[type[GatewaySettings]] = GatewaySettings
    #: Settings that must come from environment variables (`${NAME}`), never literal YAML.
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    #: The provider's codes that mean it refused the credential (raised as a
    #: `GatewayStoppedError`), each with the settings it points at: `send` then stops with
    #: one line naming the gateway and the environment variable to check.
    credential_codes: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    #: The provider's own pace, applied to every `delivery:` key the settings leave out
    #: (Twilio: one segment a second); a key set in the config wins, `null` lifts the limit.
    default_delivery: ClassVar[Mapping[str, Any]] = {}
    #: The provider's error codes that mean the recipient opted out: the number is suppressed.
    opted_out_codes: ClassVar[frozenset[str]] = frozenset()
    #: The provider's words for where a message is (lower case), as our statuses.
    status_words: ClassVar[Mapping[str, Status]] = {}
    #: True when the provider calls the receipt server (`/receipts/NAME`, `/inbound/NAME`).
    receives_callbacks: ClassVar[bool] = False
    #: Messages one request may carry (`send_batch`); 1: one request a message.
    max_batch: ClassVar[int] = 1
    #: The provider's own limit on the characters of one template parameter (template-code
    #: providers; None: no limit). `validate` checks every value the audience can produce.
    max_param_length: ClassVar[int | None] = None
    #: The provider's own per-number limits, as (messages, seconds) pairs (e.g. 10 a day:
    #: (10, 86400)); the stricter of these and `per_number_cap` holds.
    per_number_limits: ClassVar[tuple[tuple[int, float], ...]] = ()

    def __init__(self, settings: GatewaySettings, *, base_dir: Path | None = None) -> None:
        self.settings = with_default_delivery(settings, self.default_delivery)
        self.base_dir = base_dir or Path.cwd()
        #: Where receipts and replies arriving on the provider's connection go (`attach`).
        self.sink: BindSink | None = None

    def attach(self, sink: BindSink | None) -> None:
        """Hand receipts and replies that arrive on the provider's own connection (not through
        the receipt server) to `sink`; gateways whose provider calls back over HTTP ignore it."""
        self.sink = sink

    #: True when `lookup` can tell whether the provider received a message (reconciliation).
    can_lookup: ClassVar[bool] = False
    #: True when `fetch_status` can poll the provider for a message's status (`reminder sync`).
    can_poll: ClassVar[bool] = False
    #: True when the provider reports delivery; otherwise acceptance counts as reaching someone.
    confirms_delivery: ClassVar[bool] = False
    #: True for providers that send a registered template code plus variables (Aliyun, Tencent
    #: Cloud): planning then keeps each message's flat template variables in the store. Others
    #: get the rendered text only, and the store does not carry variables nobody will read.
    uses_template_variables: ClassVar[bool] = False

    @abstractmethod
    async def send(self, message: OutgoingMessage) -> Accepted:
        """Send one message. Raise `TransientGatewayError`, `PermanentGatewayError`, or
        `AmbiguousGatewayError` when the request may have reached the provider."""

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        """Whether the provider received `message` since `since` (for `can_lookup` gateways)."""
        raise NotImplementedError(f"the {self.name} gateway cannot look messages up")

    async def fetch_status(self, provider_id: str) -> Receipt | None:
        """The provider's current status of a message (for `can_poll` gateways)."""
        raise NotImplementedError(f"the {self.name} gateway cannot be polled")

    async def send_batch(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[Accepted | GatewayError]:
        """Send up to `max_batch` messages in one request; one outcome per message, in order.
        A failure of the whole request is raised (as `send` raises); the default sends one by
        one."""
        outcomes: list[Accepted | GatewayError] = []
        for message in messages:
            try:
                outcomes.append(await self.send(message))
            except GatewayError as exc:
                outcomes.append(exc)
        return outcomes

    def phone_text(self, message: OutgoingMessage) -> str:
        """What the phone will show for `message` (`preview`): the rendered text, or for a
        template-code provider its own template text filled with the parameters."""
        return message.body

    def status_of(self, word: str) -> Status | None:
        """Our status for the provider's word, None for a word we do not know."""
        return self.status_words.get(word.strip().lower())

    def verify_callback(self, request: CallbackRequest) -> bool:
        """Whether `request` really comes from the provider (its signature); the default
        trusts nothing."""
        return False

    def parse_receipts(self, request: CallbackRequest) -> list[Receipt]:
        """The delivery receipts a verified callback carries; `ValueError` if it is malformed."""
        return []

    def parse_inbound(self, request: CallbackRequest) -> list[Inbound]:
        """The messages people sent that a verified callback carries; `ValueError` if malformed."""
        return []

    def callback_answer(self, kind: CallbackKind) -> CallbackAnswer:
        """What the provider expects back once a callback of `kind` is taken."""
        return CallbackAnswer()

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


def with_default_delivery(
    settings: GatewaySettings, defaults: Mapping[str, Any]
) -> GatewaySettings:
    """`settings` with the provider's `defaults` in every `delivery:` key they did not set."""
    if not defaults:
        return settings
    given = settings.delivery.model_fields_set if "delivery" in settings.model_fields_set else set()
    missing = {key: value for key, value in defaults.items() if key not in given}
    if not missing:
        return settings
    delivery = DeliveryPolicy.model_validate(
        {**settings.delivery.model_dump(include=given), **missing}
    )
    return settings.model_copy(update={"delivery": delivery})


@contextmanager
def needs_extra(gateway: str, package: str) -> Iterator[None]:
    """Around a gateway module's imports of its extra: a missing package is a
    `MissingExtraError` saying how to install it, not an `ImportError`."""
    try:
        yield
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingExtraError(
            _(
                "the {gateway} gateway needs the {package} package: "
                "pip install 'reminder[{gateway}]'"
            ).format(gateway=gateway, package=package)
        ) from exc
