"""The `tencent` gateway: Tencent Cloud SMS (API 2021-01-11) over httpx (the small pools of
`http_pool`, shared with the aliyun gateway), signed ourselves.

Install with `pip install 'reminder[tencent]'`. `SendSms` carries up to 200 numbers when their
template parameters are equal (`send_batch` groups them), one request a message otherwise;
`SessionContext` carries our message ids. Tencent is not idempotent: an answer lost after the
request left leaves the message `unknown`, resolved by `lookup` (the delivery reports of the
number, `PullSmsSendStatusByPhoneNumber`) before anything is sent again. The error-code classes
are in `tencent_signing` (and the README); receipts come by Tencent's status callback, which
Tencent does not sign: the callback URL carries a secret `token` query parameter instead.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from reminder.clock import Clock, SystemClock
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
from reminder.delivery.gateways.tencent_signing import OPTED_OUT_CODES, error_for, signed_headers
from reminder.delivery.gateways.tencent_wire import (
    MAX_NUMBERS,
    PLACEHOLDER,
    PULL_DAYS,
    STATUS_WORDS,
    TencentSettings,
    answered_at,
    as_number,
    context_holds,
    e164,
    json_items,
    number_outcome,
    report_list,
    report_receipt,
    session_context,
)
from reminder.errors import (
    AmbiguousGatewayError,
    GatewayError,
    TemplateRejectedError,
    TransientGatewayError,
)
from reminder.phones import mask_in_text
from reminder.status import Status

with needs_extra("tencent", "httpx"):
    import httpx

    from reminder.delivery.gateways.http_pool import ClientPool

__all__ = ["TencentGateway", "TencentSettings"]


class TencentGateway(Gateway):
    """Sends through Tencent Cloud SMS `SendSms`; receipts by callback or pulled reports."""

    name: ClassVar[str] = "tencent"
    real: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True
    can_poll: ClassVar[bool] = True
    confirms_delivery: ClassVar[bool] = True
    receives_callbacks: ClassVar[bool] = True
    uses_template_variables: ClassVar[bool] = True
    Settings = TencentSettings
    secret_fields: ClassVar[frozenset[str]] = frozenset(
        {"secret_id", "secret_key", "callback_token"}
    )
    #: Tencent's answers to a wrong API key (an unknown or disabled SecretId, a wrong SecretKey).
    credential_codes: ClassVar[dict[str, tuple[str, ...]]] = {
        "AuthFailure.SecretIdNotFound": ("secret_id",),
        "AuthFailure.InvalidSecretId": ("secret_id",),
        "AuthFailure.SignatureFailure": ("secret_key",),
    }
    #: SendSms: "默认接口请求频率限制：3000次/秒" (requests; a batch request carries up to 200).
    default_delivery: ClassVar[dict[str, Any]] = {"messages_per_second": 3000.0}
    opted_out_codes: ClassVar[frozenset[str]] = OPTED_OUT_CODES
    status_words: ClassVar[dict[str, Status]] = STATUS_WORDS
    max_batch: ClassVar[int] = MAX_NUMBERS
    max_param_length: ClassVar[int | None] = 6
    #: The carriers' cap of 10 notification messages a day to a number. Tencent's other default,
    #: identical content once in 30 s to a number, is left out: the dispatcher's limits count
    #: every message alike, and the engine never sends one contact the same push of the same
    #: day twice (one message per contact, push and date), so it would only hold back different
    #: messages of different pushes or days.
    per_number_limits: ClassVar[tuple[tuple[int, float], ...]] = ((10, 86400.0),)

    def __init__(
        self, settings: GatewaySettings, *, clock: Clock | None = None, **kwargs: Any
    ) -> None:
        super().__init__(settings, **kwargs)
        #: The machine's wall clock: what Tencent's signatures and report times are in.
        self.clock: Clock = clock or SystemClock()
        # An account whose console shows a longer variable limit says so in its settings.
        self.max_param_length = self._settings.max_param_length  # type: ignore[misc]
        self._http: ClientPool | None = None
        self._pulled: dict[str, Receipt] = {}

    @property
    def _settings(self) -> TencentSettings:
        assert isinstance(self.settings, TencentSettings)
        return self.settings

    def _client(self) -> ClientPool:
        # The connections belong to the running event loop: made on first use.
        if self._http is None:
            self._http = ClientPool.for_delivery(self._settings.delivery)
        return self._http

    # --- requests -------------------------------------------------------------------------

    async def _call(
        self, action: str, body: dict[str, Any], *, sending: bool
    ) -> tuple[dict[str, Any], datetime | None]:
        """One signed API call: Tencent's `Response` object and the time it answered (its
        `Date`). A request-level `Error` is raised as its class; an answer that may have come
        after a message was taken is ambiguous when `sending`."""
        settings = self._settings
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        # The signature carries the real time (Tencent refuses more than 5 minutes of skew),
        # never the engine's clock, which a rehearsal simulates.
        headers = signed_headers(
            settings.secret_id.get_secret_value(),
            settings.secret_key.get_secret_value(),
            host=urlsplit(settings.endpoint).netloc,
            action=action,
            region=settings.region,
            payload=payload,
            timestamp=int(self.clock.wall_now().timestamp()),
        )
        unsure = AmbiguousGatewayError if sending else TransientGatewayError
        try:
            answer = await self._client().post(
                settings.endpoint + "/", content=payload, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection was made: the request never left.
            raise TransientGatewayError(
                f"cannot connect to Tencent Cloud: {type(exc).__name__}", code="network"
            ) from None
        except httpx.TransportError as exc:
            raise unsure(
                f"no complete answer from Tencent Cloud ({type(exc).__name__})"
                + ("; the message may have been accepted" if sending else ""),
                code="no-answer",
            ) from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise TransientGatewayError(
                f"Tencent Cloud answered HTTP {answer.status_code}",
                code=f"http-{answer.status_code}",
                status=answer.status_code,
            )
        try:
            response = answer.json()["Response"]
            if not isinstance(response, dict):
                raise TypeError("Response is not an object")
        except (ValueError, KeyError, TypeError):
            raise unsure(
                f"an answer of {action} not in Tencent's documented shape "
                f"(HTTP {answer.status_code})",
                code="bad-answer",
                status=answer.status_code,
            ) from None
        error = response.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code") or "UnknownError")
            raise error_for(code, mask_in_text(str(error.get("Message") or code)))
        return response, answered_at(answer.headers.get("date"))

    # --- sending --------------------------------------------------------------------------

    def _params(self, message: OutgoingMessage) -> tuple[str, list[str]]:
        """The TemplateId and TemplateParamSet of `message`."""
        template = self._settings.templates.get(message.template)
        if template is None:
            raise TemplateRejectedError(
                f"no Tencent template is mapped to {message.template}", code="no-template-mapping"
            )
        values = []
        for key in sorted(template.params, key=int):
            variable = template.params[key]
            if variable not in message.variables:
                raise TemplateRejectedError(
                    f"{message.template}: parameter {{{key}}} needs the variable {variable}, "
                    "which the message does not carry",
                    code="missing-template-variable",
                )
            values.append(message.variables[variable])
        return template.code, values

    async def send(self, message: OutgoingMessage) -> Accepted:
        """Send one message (one SendSms request)."""
        (outcome,) = await self._send_group([message])
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome

    async def send_batch(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[Accepted | GatewayError]:
        """Send up to 200 messages: one SendSms request for each set of messages whose template
        and parameters are equal (a number at most once a request), the requests concurrently.
        When all travel in one request, its failure is raised; otherwise each message of a
        failed request gets the request's error."""
        groups: dict[tuple[str, tuple[str, ...]], list[list[int]]] = {}
        outcomes: list[Accepted | GatewayError | None] = [None] * len(messages)
        for index, message in enumerate(messages):
            try:
                code, values = self._params(message)
            except GatewayError as exc:
                outcomes[index] = exc
                continue
            chunks = groups.setdefault((code, tuple(values)), [[]])
            chunk = next(
                (
                    c
                    for c in chunks
                    if len(c) < MAX_NUMBERS and all(messages[i].to != message.to for i in c)
                ),
                None,
            )
            if chunk is None:
                chunk = []
                chunks.append(chunk)
            chunk.append(index)
        requests = [chunk for chunks in groups.values() for chunk in chunks if chunk]
        limit = asyncio.Semaphore(self._settings.delivery.concurrency)

        async def one(chunk: list[int]) -> None:
            async with limit:
                try:
                    results = await self._send_group([messages[i] for i in chunk])
                except GatewayError as exc:
                    if len(requests) == 1 and len(chunk) == len(messages):
                        raise
                    results = [exc] * len(chunk)
            for i, result in zip(chunk, results, strict=True):
                outcomes[i] = result

        await asyncio.gather(*(one(chunk) for chunk in requests))
        return [o if o is not None else AmbiguousGatewayError("no outcome") for o in outcomes]

    async def _send_group(self, group: Sequence[OutgoingMessage]) -> list[Accepted | GatewayError]:
        """One SendSms request for messages with equal template and parameters, one outcome
        each from `SendStatusSet` (matched by number). A request-level failure is raised."""
        settings = self._settings
        code, values = self._params(group[0])
        body = {
            "PhoneNumberSet": [m.to for m in group],
            "SmsSdkAppId": settings.sms_sdk_app_id,
            "SignName": settings.sign_name,
            "TemplateId": code,
            "TemplateParamSet": values,
            "SessionContext": session_context([m.message_id for m in group]),
        }
        response, _ = await self._call("SendSms", body, sending=True)
        statuses = response.get("SendStatusSet")
        if not isinstance(statuses, list):
            raise AmbiguousGatewayError("a SendSms answer without SendStatusSet", code="bad-answer")
        return [number_outcome(message, statuses) for message in group]

    # --- lookup and polling -----------------------------------------------------------------

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        """Whether Tencent took `message`: its delivery report among the number's reports
        since `since`, matched by our SessionContext (or, where Tencent returns none, the one
        report since the claim). No report is proof only once `report_wait_seconds` have
        passed by Tencent's clock; before that the message stays unknown."""
        settings = self._settings
        now = int(self.clock.wall_now().timestamp())
        begin = max(int(since.timestamp()), now - PULL_DAYS * 86400 + 60)
        response, answered = await self._call(
            "PullSmsSendStatusByPhoneNumber",
            {
                "BeginTime": begin,
                "EndTime": now + 60,
                "Offset": 0,
                "Limit": 100,
                "PhoneNumber": message.to,
                "SmsSdkAppId": settings.sms_sdk_app_id,
            },
            sending=False,
        )
        reports = report_list(response)
        ours = [r for r in reports if context_holds(r.get("SessionContext"), message.message_id)]
        if not ours and not any(
            context_holds(r.get("SessionContext"), 0) is not None for r in reports
        ):
            claimed = since.timestamp() + settings.delivery.lookup_margin_seconds
            ours = [r for r in reports if as_number(r.get("UserReceiveTime")) >= claimed]
            if len(ours) > 1:
                raise TransientGatewayError(
                    "several reports for the number and no SessionContext to tell them apart",
                    code="lookup-ambiguous",
                )
        if ours:
            return Accepted(str(ours[0].get("SerialNo")), str(ours[0].get("ReportStatus")))
        claimed = since.timestamp() + settings.delivery.lookup_margin_seconds
        if answered is None or answered.timestamp() < claimed + settings.report_wait_seconds:
            raise TransientGatewayError(
                "no delivery report yet; Tencent may still have the message", code="no-report-yet"
            )
        return None

    async def fetch_status(self, provider_id: str) -> Receipt | None:
        """The report of one message, from `PullSmsSendStatus` (each report is handed out
        once: the pulled ones are kept for the messages asked about next)."""
        if provider_id not in self._pulled:
            for _page in range(10):
                response, _ = await self._call(
                    "PullSmsSendStatus",
                    {"Limit": 100, "SmsSdkAppId": self._settings.sms_sdk_app_id},
                    sending=False,
                )
                reports = report_list(response)
                for report in reports:
                    receipt = report_receipt(report)
                    if receipt is not None:
                        self._pulled[receipt.provider_id] = receipt
                if provider_id in self._pulled or len(reports) < 100:
                    break
        return self._pulled.pop(provider_id, None)

    # --- callbacks --------------------------------------------------------------------------

    def verify_callback(self, request: CallbackRequest) -> bool:
        """The `token` query parameter of the called URL equals `callback_token` (compared in
        constant time). Tencent signs nothing; the secret URL is all a deployment has."""
        expected = self._settings.callback_token
        if expected is None or request.method != "POST":
            return False
        given = parse_qs(urlsplit(request.url).query).get("token", [""])[-1]
        return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())

    def parse_receipts(self, request: CallbackRequest) -> list[Receipt]:
        """A status callback: a JSON array of {sid, report_status, errmsg, description, …}."""
        items = json_items(request.body)
        try:
            return [
                Receipt(
                    str(i["sid"]),
                    str(i["report_status"]),
                    str(i.get("errmsg") or "") or None,
                    str(i.get("description") or "") or None,
                )
                for i in items
            ]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a Tencent status report: {type(exc).__name__}") from None

    def parse_inbound(self, request: CallbackRequest) -> list[Inbound]:
        """A reply callback (短信回复): {mobile, nationcode, text, sign, extend, time}."""
        items = json_items(request.body)
        try:
            return [
                Inbound(
                    e164(str(i["mobile"]), str(i.get("nationcode") or "86")),
                    str(i.get("text") or ""),
                )
                for i in items
            ]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a Tencent reply: {type(exc).__name__}") from None

    def callback_answer(self, kind: CallbackKind) -> CallbackAnswer:
        """What Tencent expects back from a callback: {"result":0,"errmsg":"OK"}."""
        return CallbackAnswer(200, b'{"result":0,"errmsg":"OK"}', "application/json")

    def phone_text(self, message: OutgoingMessage) -> str:
        """【sign_name】 and Tencent's template text with {n} filled from the mapping."""
        template = self._settings.templates.get(message.template)
        if template is None:
            return message.body

        def fill(match: re.Match[str]) -> str:
            variable = template.params.get(match.group(1), "")
            return message.variables.get(variable, match.group(0))

        return f"【{self._settings.sign_name}】" + PLACEHOLDER.sub(fill, template.text)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
