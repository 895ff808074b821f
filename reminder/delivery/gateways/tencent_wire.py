"""What travels between the `tencent` gateway and Tencent Cloud SMS: the settings, our
SessionContext, and the parsing of SendSms results, pulled reports and callbacks (API
2021-01-11 field names)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from reminder.delivery.gateways.base import (
    Accepted,
    OutgoingMessage,
    Receipt,
    TemplateCodeSettings,
    http_url,
)
from reminder.delivery.gateways.tencent_signing import error_for
from reminder.errors import AmbiguousGatewayError, GatewayError, TransientGatewayError
from reminder.i18n import _
from reminder.phones import mask_in_text
from reminder.status import Status

TENCENT_API = "https://sms.tencentcloudapi.com"
#: Numbers one SendSms request may carry (PhoneNumberSet, "单次请求最多支持200个手机号").
MAX_NUMBERS = 200
#: Delivery reports Tencent keeps for pulling: "最大可拉取当前时期前7天的数据".
PULL_DAYS = 7
PLACEHOLDER = re.compile(r"\{(\d+)\}")
CONTEXT = "reminder:"

#: Tencent's words: `report_status` of a callback or a pulled report, and SendSms's "Ok".
STATUS_WORDS: dict[str, Status] = {
    "ok": Status.sent,
    "success": Status.delivered,
    "fail": Status.failed,
}


class TencentSettings(TemplateCodeSettings):
    """Settings of the Tencent Cloud gateway: the API key pair (from environment variables),
    the SMS application, and our templates mapped to approved ones (`params` keyed "1", "2", …
    as the `{1}`, `{2}` of Tencent's template text)."""

    secret_id: SecretStr
    secret_key: SecretStr
    sms_sdk_app_id: str = Field(pattern=r"^\d{6,12}$")
    region: str = "ap-guangzhou"
    endpoint: str = TENCENT_API
    #: The secret every callback URL carries as `?token=…` (Tencent signs no callback).
    callback_token: SecretStr | None = None
    #: Characters one template variable may carry: 6 for accounts opened since 25 Jan 2024
    #: (and long-unused ones), per Tencent's TemplateParameterLengthLimit; the console shows
    #: the account's own limit.
    max_param_length: int = Field(default=6, ge=1)
    #: How long after sending a missing delivery report proves Tencent never had a message.
    report_wait_seconds: float = Field(default=6 * 3600.0, ge=0)

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @model_validator(mode="after")
    def _placeholders(self) -> TencentSettings:
        for name, template in self.templates.items():
            if not all(key.isdigit() for key in template.params):
                raise ValueError(
                    _("templates.{name}.params: keys are Tencent's indexes 1, 2, …").format(
                        name=name
                    )
                )
            used = set(PLACEHOLDER.findall(template.text))
            if used != set(template.params):
                raise ValueError(
                    _(
                        "templates.{name}: the text's placeholders {used} and params {params} "
                        "differ"
                    ).format(name=name, used=sorted(used), params=sorted(template.params))
                )
        return self


def session_context(ids: Sequence[int]) -> str:
    """Our message ids as SessionContext (under Tencent's 512 bytes: a range when too many)."""
    listed = CONTEXT + ",".join(str(i) for i in ids)
    return listed if len(listed) < 500 else f"{CONTEXT}{min(ids)}-{max(ids)}"


def context_holds(context: str | None, message_id: int) -> bool | None:
    """Whether a SessionContext names `message_id`; None when it is not one of ours."""
    if not context or not context.startswith(CONTEXT):
        return None
    rest = context[len(CONTEXT) :]
    if "-" in rest:
        low, _, high = rest.partition("-")
        return low.isdigit() and high.isdigit() and int(low) <= message_id <= int(high)
    return str(message_id) in rest.split(",")


def same_number(a: str, b: str) -> bool:
    """Whether two spellings of a number (+86…, 86…, 11 digits) are the same mobile."""
    digits_a, digits_b = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
    return digits_a[-11:] == digits_b[-11:] and bool(digits_a)


def number_outcome(message: OutgoingMessage, statuses: list[Any]) -> Accepted | GatewayError:
    """The outcome of one number from SendStatusSet."""
    for status in statuses:
        if isinstance(status, dict) and same_number(str(status.get("PhoneNumber", "")), message.to):
            code = str(status.get("Code") or "")
            if code == "Ok" and status.get("SerialNo"):
                return Accepted(str(status["SerialNo"]), "Ok")
            if code and code != "Ok":
                return error_for(code, mask_in_text(str(status.get("Message") or code)))
    return AmbiguousGatewayError(
        "the SendSms answer has no result for this number", code="bad-answer"
    )


def answered_at(date: str | None) -> datetime | None:
    """The time an answer's `Date` header gives (the provider's clock), if any."""
    try:
        return parsedate_to_datetime(date or "").astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return None


def report_list(response: dict[str, Any]) -> list[dict[str, Any]]:
    """The reports of a PullSmsSendStatus(ByPhoneNumber) answer."""
    reports = response.get("PullSmsSendStatusSet")
    if reports is None:
        return []
    if not isinstance(reports, list):
        raise TransientGatewayError("PullSmsSendStatusSet is not a list", code="bad-answer")
    return [r for r in reports if isinstance(r, dict)]


def report_receipt(report: dict[str, Any]) -> Receipt | None:
    """A pulled report as a receipt; None when it lacks SerialNo or ReportStatus."""
    if not report.get("SerialNo") or not report.get("ReportStatus"):
        return None
    return Receipt(
        str(report["SerialNo"]),
        str(report["ReportStatus"]),
        None,
        str(report.get("Description") or "") or None,
    )


def as_number(value: Any) -> float:
    """A number from a field that should hold one; 0 when it does not."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def json_items(body: bytes) -> list[Any]:
    """The JSON objects of a callback body (an array, or one object)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"not JSON: {type(exc).__name__}") from None
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(i, dict) for i in items):
        raise ValueError("expected JSON objects")
    return items


def e164(mobile: str, nationcode: str) -> str:
    """A callback's mobile and nationcode as one E.164 number."""
    return mobile if mobile.startswith("+") else f"+{nationcode}{mobile}"
