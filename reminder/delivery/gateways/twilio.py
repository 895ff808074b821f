"""The `twilio` gateway: Twilio's Messages API through the official `twilio` package (async).

Install with `pip install 'reminder[twilio]'`. `base_url` (default Twilio's own) points the
client at a mock or a regional proxy. Twilio's errors become typed errors carrying Twilio's code.
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlparse

from pydantic import SecretStr, field_validator, model_validator

from reminder.delivery.gateways.base import (
    Accepted,
    CallbackAnswer,
    CallbackKind,
    CallbackRequest,
    Gateway,
    GatewaySettings,
    Inbound,
    OutgoingMessage,
    Receipt,
    needs_extra,
)
from reminder.delivery.gateways.percent import form_body
from reminder.errors import (
    AmbiguousGatewayError,
    GatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TransientGatewayError,
)
from reminder.i18n import _
from reminder.logsetup import MaskPhones
from reminder.phones import mask_in_text
from reminder.status import Status

with needs_extra("twilio", "twilio"):
    import aiohttp
    from twilio.base.exceptions import TwilioRestException
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.request_validator import RequestValidator, remove_port
    from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"

#: Twilio's answer to a wrong account SID or auth token (HTTP 401).
AUTHENTICATE = 20003
#: Twilio error codes worth retrying later (queue overflow, rate limits, carrier trouble).
TRANSIENT_CODES = frozenset({20429, 20500, 20503, 30001, 30003, 30008, 30017, 30022, 30027})
#: Twilio error codes that will fail again (bad or unreachable numbers, opt-outs, blocked content).
PERMANENT_CODES = frozenset(
    {
        21211,
        21212,
        21408,
        21602,
        21604,
        21606,
        21608,
        21610,
        21612,
        21614,
        21617,
        21703,
        30002,
        30004,
        30005,
        30006,
        30007,
        30032,
        30034,
    }
)


#: Twilio's message statuses (the `MessageStatus` of a callback, `status` of a fetch).
STATUS_WORDS: dict[str, Status] = {
    "accepted": Status.sent,
    "scheduled": Status.sent,
    "queued": Status.sent,
    "sending": Status.sent,
    "sent": Status.sent,
    "delivered": Status.delivered,
    "read": Status.delivered,
    "undelivered": Status.undelivered,
    "failed": Status.failed,
    "canceled": Status.failed,
}
#: 21610 "Attempt to send to unsubscribed recipient": the person replied STOP to this sender.
OPTED_OUT_CODES = frozenset({"21610"})


def classify(code: int | None, http_status: int | None) -> type[GatewayError]:
    """Transient or permanent, from Twilio's error code first and the HTTP status second; a
    refused credential (20003, HTTP 401) stops the gateway: every message would fail alike."""
    if code == AUTHENTICATE or http_status == 401:
        return GatewayStoppedError
    if code in TRANSIENT_CODES:
        return TransientGatewayError
    if code in PERMANENT_CODES:
        return PermanentGatewayError
    if http_status is not None and (http_status == 429 or http_status >= 500):
        return TransientGatewayError
    return PermanentGatewayError


class TwilioSettings(GatewaySettings):
    """Settings of the Twilio gateway; `auth_token` must come from an environment variable."""

    account_sid: str
    auth_token: SecretStr
    from_number: str | None = None
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    base_url: str = TWILIO_API

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict) and "timeout" in data:
            raise ValueError(_("timeout is now delivery.request_timeout_seconds (default 5)"))
        return data

    @field_validator("account_sid")
    @classmethod
    def _account_sid(cls, value: str) -> str:
        if not re.fullmatch(r"AC[0-9a-fA-F]{32}", value):
            raise ValueError(_("an Account SID is 'AC' followed by 32 hexadecimal digits"))
        return value

    @field_validator("messaging_service_sid")
    @classmethod
    def _service_sid(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"MG[0-9a-fA-F]{32}", value):
            raise ValueError(_("a Messaging Service SID is 'MG' followed by 32 hexadecimal digits"))
        return value

    @field_validator("status_callback", "base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value is not None else None

    @model_validator(mode="after")
    def _sender(self) -> TwilioSettings:
        if (self.from_number is None) == (self.messaging_service_sid is None):
            raise ValueError("give exactly one of from_number and messaging_service_sid")
        return self


# The client logs each request, the recipient's number in it, at INFO: masked whoever set up
# logging (the command line also masks every record as it is created).
_HTTP_LOG = logging.getLogger("twilio.async_http_client")
if not any(isinstance(f, MaskPhones) for f in _HTTP_LOG.filters):
    _HTTP_LOG.addFilter(MaskPhones())


class _RebasedHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """Twilio's async HTTP client, sending to `base_url` instead of api.twilio.com."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(pool_connections=True, timeout=timeout)
        self._base_url = base_url
        self._timeout = timeout

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.startswith(TWILIO_API):
            url = self._base_url + url[len(TWILIO_API) :]
        # aiohttp deprecates BasicAuth objects; send the same header ourselves.
        auth = kwargs.pop("auth", None)
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            kwargs["headers"] = {**(kwargs.get("headers") or {}), "Authorization": f"Basic {token}"}
        # aiohttp would encode the form with `urlencode`, a Python call per byte of the body.
        data = kwargs.get("data")
        if isinstance(data, dict):
            kwargs["data"] = form_body(data)
        # The async client ignores its own timeout; hand it to aiohttp.
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return await super().request(method, url, *args, **kwargs)


def _rest_error(exc: TwilioRestException) -> GatewayError:
    error = classify(exc.code, exc.status)
    text = mask_in_text(str(exc.msg or f"HTTP {exc.status}"))
    code = str(exc.code) if exc.code is not None else f"http-{exc.status}"
    return error(text, code=code, status=exc.status)


class TwilioGateway(Gateway):
    """Sends through Twilio's Messages API; asks Twilio for status callbacks when configured."""

    name: ClassVar[str] = "twilio"
    real: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True
    can_poll: ClassVar[bool] = True
    confirms_delivery: ClassVar[bool] = True
    receives_callbacks: ClassVar[bool] = True
    Settings = TwilioSettings
    secret_fields: ClassVar[frozenset[str]] = frozenset({"auth_token"})
    #: 20003 "Authenticate" (HTTP 401): the account SID or the auth token is wrong.
    credential_codes: ClassVar[dict[str, tuple[str, ...]]] = {
        "20003": ("account_sid", "auth_token"),
        "http-401": ("account_sid", "auth_token"),
    }
    #: A long code sends about one segment a second (Twilio's "Understanding Twilio Rate
    #: Limits and Message Queues"); a faster sender (short code, toll-free) says so in config.
    default_delivery: ClassVar[dict[str, Any]] = {"segments_per_second": 1.0}
    opted_out_codes: ClassVar[frozenset[str]] = OPTED_OUT_CODES
    status_words: ClassVar[dict[str, Status]] = STATUS_WORDS

    def __init__(self, settings: GatewaySettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._http: _RebasedHttpClient | None = None
        self._client: Client | None = None

    @property
    def _settings(self) -> TwilioSettings:
        assert isinstance(self.settings, TwilioSettings)
        return self.settings

    def _connect(self) -> Client:
        # The aiohttp session must be created inside the running event loop.
        if self._client is None:
            settings = self._settings
            self._http = _RebasedHttpClient(
                settings.base_url, settings.delivery.request_timeout_seconds
            )
            self._client = Client(
                settings.account_sid,
                settings.auth_token.get_secret_value(),
                http_client=self._http,
            )
        return self._client

    async def send(self, message: OutgoingMessage) -> Accepted:
        settings = self._settings
        arguments: dict[str, Any] = {"to": message.to, "body": message.body}
        if settings.messaging_service_sid:
            arguments["messaging_service_sid"] = settings.messaging_service_sid
        else:
            arguments["from_"] = settings.from_number
        if settings.status_callback:
            arguments["status_callback"] = settings.status_callback
        try:
            created = await self._connect().messages.create_async(**arguments)
        except TwilioRestException as exc:
            raise _rest_error(exc) from None
        except aiohttp.ClientConnectorError as exc:
            # No connection was made: the request never left.
            raise TransientGatewayError(
                f"cannot connect to Twilio: {type(exc).__name__}", code="network"
            ) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise AmbiguousGatewayError(
                f"no complete answer from Twilio ({type(exc).__name__}); the message may have "
                "been accepted",
                code="no-answer",
            ) from None
        return Accepted(provider_id=created.sid, status=created.status)

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        """Find a message Twilio accepted for this recipient and text since `since`."""
        try:
            found = await self._connect().messages.list_async(to=message.to, limit=50)
        except TwilioRestException as exc:
            raise _rest_error(exc) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientGatewayError(
                f"cannot list messages: {type(exc).__name__}", code="network"
            ) from None
        for record in found:
            created = record.date_created
            if record.body == message.body and (created is None or created >= since):
                return Accepted(provider_id=record.sid, status=record.status)
        return None

    async def fetch_status(self, provider_id: str) -> Receipt | None:
        """Twilio's current status of one message."""
        try:
            record = await self._connect().messages(provider_id).fetch_async()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise _rest_error(exc) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientGatewayError(
                f"cannot fetch the message: {type(exc).__name__}", code="network"
            ) from None
        code = str(record.error_code) if record.error_code else None
        return Receipt(provider_id, str(record.status), code, record.error_message)

    def verify_callback(self, request: CallbackRequest) -> bool:
        """Twilio's `X-Twilio-Signature` over the called URL and the form fields."""
        signature = request.headers.get("x-twilio-signature")
        if not signature or request.method != "POST":
            return False
        validator = RequestValidator(self._settings.auth_token.get_secret_value())
        # The SDK's `validate` signs the URL twice (with and without its port) on every call;
        # the URL as called, signed by the SDK, settles a genuine request in one. A body hash
        # or a mismatch goes through `validate` itself.
        if "bodySHA256=" not in request.url:
            expected = validator.compute_signature(remove_port(urlparse(request.url)), request.form)
            if hmac.compare_digest(expected.encode(), signature.encode()):
                return True
        return bool(validator.validate(request.url, request.form, signature))

    def parse_receipts(self, request: CallbackRequest) -> list[Receipt]:
        """A status callback: `MessageSid` and `MessageStatus` (or the older `Sms*` names)."""
        form = request.form
        sid = form.get("MessageSid") or form.get("SmsSid")
        status = form.get("MessageStatus") or form.get("SmsStatus")
        if not sid or not status:
            raise ValueError("a status callback needs MessageSid and MessageStatus")
        return [
            Receipt(sid, status, form.get("ErrorCode") or None, form.get("ErrorMessage") or None)
        ]

    def parse_inbound(self, request: CallbackRequest) -> list[Inbound]:
        """An incoming message: `From`, `Body`, `MessageSid`."""
        form = request.form
        if not form.get("From"):
            raise ValueError("an incoming message needs From")
        return [Inbound(form["From"], form.get("Body", ""), form.get("MessageSid") or None)]

    def callback_answer(self, kind: CallbackKind) -> CallbackAnswer:
        """An empty TwiML response to an incoming message (no reply); 204 to a receipt."""
        if kind == "inbound":
            return CallbackAnswer(200, b"<Response/>", "text/xml")
        return CallbackAnswer()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            self._client = None
