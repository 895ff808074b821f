"""The `aliyun` gateway: Aliyun SMS (Dysmsapi 2017-05-25) over httpx, requests signed here.

Install with `pip install 'reminder[aliyun]'`. A message goes as a registered template code plus
parameters (`templates:` maps each of our templates to Aliyun's; see `TemplateCodeSettings`).
`send_batch` groups messages by template code: equal parameters go in one `SendSms` (numbers
comma-joined), personalised ones in one `SendBatchSms` (≤ 100 numbers, one parameter object
each). Error codes and their classes: `reminder.delivery.gateways.aliyun_codes`.

Our provider id of a message is `OutId:number`. Each request carries an `OutId` of our own;
Aliyun echoes it in the SmsReport push (`out_id`) and in QuerySendDetails (`OutId`), which does
not return the BizId: so sending, receipts, polling and lookup all name a message alike, and
the id stays unique though a batch shares one BizId (a request never carries a number twice).

Aliyun is not idempotent: a request whose answer is lost may have sent. That is an
`AmbiguousGatewayError`; reconciliation then asks QuerySendDetails (`lookup`: the number, the
days since the claim, the template and the exact text) before anything is sent again.

The SmsReport and SmsUp pushes are not signed by Aliyun. The receipt server trusts a push only
when its URL carries `token=<callback_token>` (a secret from the environment, compared in
constant time): configure `https://HOST/receipts/aliyun?token=…` and `…/inbound/aliyun?token=…`.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from secrets import token_hex
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from reminder.clock import Clock, SystemClock
from reminder.delivery.gateways import aliyun_signing
from reminder.delivery.gateways.aliyun_codes import checked
from reminder.delivery.gateways.aliyun_wire import (
    CHINA,
    SEND_STATUS,
    AliyunSettings,
    aliyun_number,
    china_time,
    distinct_numbers,
    fill,
    inbound_of,
    receipts_of,
    to_json,
)
from reminder.delivery.gateways.base import (
    Accepted,
    CallbackAnswer,
    CallbackKind,
    CallbackRequest,
    Gateway,
    GatewaySettings,
    Inbound,
    OutgoingMessage,
    ProviderTemplate,
    Receipt,
    needs_extra,
)
from reminder.errors import (
    AmbiguousGatewayError,
    GatewayError,
    TemplateRejectedError,
    TransientGatewayError,
)
from reminder.status import Status

with needs_extra("aliyun", "httpx"):
    import httpx

    from reminder.delivery.gateways.http_pool import ClientPool

#: QuerySendDetails keeps 30 days, 50 records a page.
QUERY_DAYS, PAGE_SIZE = 30, 50


class AliyunGateway(Gateway):
    """Sends through Aliyun's Dysmsapi; SmsReport pushes and QuerySendDetails for receipts."""

    name: ClassVar[str] = "aliyun"
    real: ClassVar[bool] = True
    can_lookup: ClassVar[bool] = True
    can_poll: ClassVar[bool] = True
    confirms_delivery: ClassVar[bool] = True
    receives_callbacks: ClassVar[bool] = True
    uses_template_variables: ClassVar[bool] = True
    Settings = AliyunSettings
    secret_fields: ClassVar[frozenset[str]] = frozenset(
        {"access_key_id", "access_key_secret", "callback_token"}
    )
    #: Aliyun's answers to a wrong AccessKey (an unknown or disabled id, a wrong secret).
    credential_codes: ClassVar[dict[str, tuple[str, ...]]] = {
        "InvalidAccessKeyId.NotFound": ("access_key_id",),
        "InvalidAccessKeyId.Inactive": ("access_key_id",),
        "SignatureDoesNotMatch": ("access_key_secret",),
    }
    #: SendBatchSms takes at most 100 numbers a call (Dysmsapi 2017-05-25, SendBatchSms).
    max_batch: ClassVar[int] = 100
    #: A notification template variable takes at most 35 characters (Aliyun's template rules).
    max_param_length: ClassVar[int | None] = 35
    #: "短信通知: 使用同一个签名和同一个短信模板Code, 对同一个手机号码发送短信通知, 最多支持
    #: 50条/天", the day counted as the 24 hours since sending (help.aliyun.com/document_detail/
    #: 2881383.html, 什么是短信发送流控限制).
    per_number_limits: ClassVar[tuple[tuple[int, float], ...]] = ((50, 86400.0),)
    #: Aliyun's per-account QPS limits are in the thousands of calls a second; this pace is ours,
    #: well under them and under what a carrier takes from one signature without complaint.
    default_delivery: ClassVar[dict[str, Any]] = {"messages_per_second": 500.0}
    #: Aliyun has no API code for a person who opted out (see `aliyun_codes`).
    opted_out_codes: ClassVar[frozenset[str]] = frozenset()
    #: A push says success true/false; a poll also says "waiting" (SendStatus 1), which moves
    #: nothing and is left out on purpose.
    status_words: ClassVar[dict[str, Status]] = {
        "delivered": Status.delivered,
        "failed": Status.failed,
    }

    def __init__(
        self, settings: GatewaySettings, *, clock: Clock | None = None, **kwargs: Any
    ) -> None:
        super().__init__(settings, **kwargs)
        #: The machine's wall clock: what Aliyun's Timestamp and its SendDate records are in.
        self.clock: Clock = clock or SystemClock()
        self._http: ClientPool | None = None

    @property
    def _settings(self) -> AliyunSettings:
        assert isinstance(self.settings, AliyunSettings)
        return self.settings

    # --- templates --------------------------------------------------------------------------

    def _template(self, message: OutgoingMessage) -> ProviderTemplate:
        template = self._settings.templates.get(message.template)
        if template is None:
            raise TemplateRejectedError(
                f"template {message.template!r} has no Aliyun template in gateways.aliyun."
                "templates",
                code="unmapped",
            )
        return template

    def _params(self, message: OutgoingMessage, template: ProviderTemplate) -> dict[str, str]:
        missing = sorted(v for v in template.params.values() if v not in message.variables)
        if missing:
            raise TemplateRejectedError(
                f"template {message.template!r}: no variable {', '.join(missing)}",
                code="unmapped-variable",
            )
        return {param: message.variables[var] for param, var in template.params.items()}

    def phone_text(self, message: OutgoingMessage) -> str:
        """Aliyun's template text filled with the parameters, after 【sign_name】."""
        template = self._settings.templates.get(message.template)
        if template is None:
            return message.body
        params = {p: message.variables.get(v, "") for p, v in template.params.items()}
        return f"【{self._settings.sign_name}】{fill(template.text, params)}"

    # --- requests ---------------------------------------------------------------------------

    def _client(self) -> ClientPool:
        # The connections belong to the running event loop: made on first use.
        if self._http is None:
            self._http = ClientPool.for_delivery(self._settings.delivery)
        return self._http

    async def call(self, action: str, operation: dict[str, str]) -> dict[str, Any]:
        """One signed request; Aliyun's answer when its Code is OK, else the typed error."""
        settings = self._settings
        params = aliyun_signing.signed(
            action,
            operation,
            access_key_id=settings.access_key_id.get_secret_value(),
            secret=settings.access_key_secret.get_secret_value(),
            nonce=uuid.uuid4().hex,
            moment=self.clock.wall_now(),
            region=settings.region,
        )
        try:
            answer = await self._client().post(settings.endpoint + "/", data=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection was made: the request never left.
            raise TransientGatewayError(
                f"cannot connect to Aliyun: {type(exc).__name__}", code="network"
            ) from None
        except httpx.TransportError as exc:
            raise AmbiguousGatewayError(
                f"no complete answer from Aliyun ({type(exc).__name__}); the message may have "
                "been accepted",
                code="no-answer",
            ) from None
        return checked(answer)

    # --- sending ----------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> Accepted:
        (outcome,) = await self.send_batch([message])
        if isinstance(outcome, GatewayError):
            raise outcome
        return outcome

    async def send_batch(
        self, messages: Sequence[OutgoingMessage]
    ) -> list[Accepted | GatewayError]:
        """Up to `max_batch` messages in as few requests as Aliyun allows; one outcome each.
        A batch that is one request and fails raises, as `send` does."""
        outcomes: list[Accepted | GatewayError | None] = [None] * len(messages)
        groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for index, message in enumerate(messages):
            try:
                template = self._template(message)
                groups.setdefault(template.code, []).append(
                    (index, self._params(message, template))
                )
            except GatewayError as exc:
                outcomes[index] = exc
        requests = [
            (code, chunk)
            for code, group in groups.items()
            for chunk in distinct_numbers(group, messages)
        ]
        for code, chunk in requests:
            try:
                accepted = await self._send_request(code, chunk, messages)
            except GatewayError as exc:
                if len(requests) == 1 and len(chunk) == len(messages):
                    raise
                accepted = [exc] * len(chunk)
            for (index, _params), outcome in zip(chunk, accepted, strict=True):
                outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    async def _send_request(
        self,
        code: str,
        chunk: list[tuple[int, dict[str, str]]],
        messages: Sequence[OutgoingMessage],
    ) -> list[Accepted | GatewayError]:
        numbers = [aliyun_number(messages[index].to) for index, _ in chunk]
        out_id = f"m{messages[chunk[0][0]].message_id}-{token_hex(4)}"
        params = [p for _, p in chunk]
        sign = self._settings.sign_name
        if all(p == params[0] for p in params):
            operation = {
                "PhoneNumbers": ",".join(numbers),
                "SignName": sign,
                "TemplateCode": code,
                "OutId": out_id,
            }
            if params[0]:
                operation["TemplateParam"] = to_json(params[0])
            answer = await self.call("SendSms", operation)
        else:
            answer = await self.call(
                "SendBatchSms",
                {
                    "PhoneNumberJson": to_json(numbers),
                    "SignNameJson": to_json([sign] * len(numbers)),
                    "TemplateCode": code,
                    "TemplateParamJson": to_json(params),
                    "OutId": out_id,
                },
            )
        if not isinstance(answer.get("BizId"), str):
            raise AmbiguousGatewayError(
                "Aliyun said OK without a BizId; the messages may have been accepted",
                code="malformed-answer",
            )
        return [Accepted(f"{out_id}:{number}", "accepted") for number in numbers]

    # --- asking Aliyun ----------------------------------------------------------------------

    async def _details(self, number: str, day: date) -> list[dict[str, Any]]:
        """Every QuerySendDetails record of `number` on `day` (China time)."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            try:
                answer = await self.call(
                    "QuerySendDetails",
                    {
                        "PhoneNumber": number,
                        "SendDate": day.strftime("%Y%m%d"),
                        "PageSize": str(PAGE_SIZE),
                        "CurrentPage": str(page),
                    },
                )
            except AmbiguousGatewayError as exc:  # a query sends nothing: try again later
                raise TransientGatewayError(exc.text, code=exc.code) from None
            records = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            if not isinstance(records, list):
                raise TransientGatewayError("QuerySendDetails: unexpected answer", code="shape")
            found.extend(r for r in records if isinstance(r, dict))
            total = int(answer.get("TotalCount") or 0)
            if not records or len(found) >= total:
                return found
            page += 1

    async def lookup(self, message: OutgoingMessage, since: datetime) -> Accepted | None:
        """A record of this number, template and exact text sent since `since`, if Aliyun has
        one (QuerySendDetails, day by day from `since` to today)."""
        template = self._template(message)
        text = self.phone_text(message)
        number = aliyun_number(message.to)
        first = since.astimezone(CHINA).date()
        today = self.clock.wall_now().astimezone(CHINA).date()
        day = max(first, today - timedelta(days=QUERY_DAYS - 1))
        while day <= today:
            for record in await self._details(number, day):
                sent = china_time(record.get("SendDate"))
                if (
                    record.get("Content") == text
                    and record.get("TemplateCode") == template.code
                    and (sent is None or sent >= since)
                ):
                    word = SEND_STATUS.get(str(record.get("SendStatus")), "waiting")
                    return Accepted(f"{record.get('OutId') or ''}:{number}", word)
            day += timedelta(days=1)
        return None

    async def fetch_status(self, provider_id: str) -> Receipt | None:
        """The status QuerySendDetails gives the message (looked for over `poll_days` days)."""
        out_id, _, number = provider_id.rpartition(":")
        if not out_id or not number:
            return None
        today = self.clock.wall_now().astimezone(CHINA).date()
        for back in range(self._settings.poll_days):
            for record in await self._details(number, today - timedelta(days=back)):
                if record.get("OutId") == out_id:
                    word = SEND_STATUS.get(str(record.get("SendStatus")), "waiting")
                    code = record.get("ErrCode")
                    error = None if word == "delivered" or not code else str(code)
                    return Receipt(provider_id, word, error)
        return None

    # --- callbacks --------------------------------------------------------------------------

    def verify_callback(self, request: CallbackRequest) -> bool:
        """The push URL's `token` is the configured `callback_token` (Aliyun signs nothing)."""
        expected = self._settings.callback_token
        if expected is None or request.method != "POST":
            return False
        given = parse_qs(urlsplit(request.url).query).get("token", [""])[-1]
        return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())

    def parse_receipts(self, request: CallbackRequest) -> list[Receipt]:
        """An SmsReport push: a JSON array of {phone_number, success, err_code, out_id, …}."""
        return receipts_of(request.body)

    def parse_inbound(self, request: CallbackRequest) -> list[Inbound]:
        """An SmsUp push: a JSON array of {phone_number, content, sequence_id, …}."""
        return inbound_of(request.body)

    def callback_answer(self, kind: CallbackKind) -> CallbackAnswer:
        """What Aliyun expects back from a push it should not send again."""
        body = json.dumps({"code": 0, "msg": "成功"}, ensure_ascii=False).encode()
        return CallbackAnswer(200, body, "application/json")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
