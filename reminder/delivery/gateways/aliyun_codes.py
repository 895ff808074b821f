"""Aliyun Dysmsapi's error codes (the `Code` of an answer), as our error classes.

    transient          isp.SYSTEM_ERROR, isp.GATEWAY_ERROR, isp.UNKNOWN, Throttling,
                       Throttling.User, Throttling.Api, ServiceUnavailable, InternalError,
                       SignatureNonceUsed; any HTTP 5xx or 429; a connection never made
    deferred           isv.BUSINESS_LIMIT_CONTROL: the per-number limit (notifications: 50 a
                       day per signature + template + number); retried after the limit's
                       period, never hammered
    gateway stopped    isv.DAY_LIMIT_CONTROL, isv.MONTH_LIMIT_CONTROL, isv.AMOUNT_NOT_ENOUGH,
                       isv.OUT_OF_SERVICE, isv.ACCOUNT_NOT_EXISTS, isv.ACCOUNT_ABNORMAL,
                       isv.PRODUCT_UN_SUBSCRIPT, isv.PRODUCT_UNSUBSCRIBE,
                       isv.SECURITY_FROZEN_ACCOUNT, isv.DENY_IP_RANGE, isp.RAM_PERMISSION_DENY,
                       InvalidAccessKeyId.NotFound, InvalidAccessKeyId.Inactive,
                       SignatureDoesNotMatch, InvalidTimeStamp.Expired, Forbidden.RAM
    permanent (number) isv.MOBILE_NUMBER_ILLEGAL, isv.BLACK_KEY_CONTROL_LIMIT,
                       isv.PARAM_NOT_SUPPORT_URL, isv.DOMESTIC_NUMBER_NOT_SUPPORTED,
                       isv.MOBILE_COUNT_OVER_LIMIT, isv.INVALID_PARAMETERS; any other code
    template rejected  every code naming a TEMPLATE, SIGNATURE or SIGN (isv.SMS_TEMPLATE_ILLEGAL,
                       isv.TEMPLATE_MISSING_PARAMETERS, isv.SMS_SIGNATURE_ILLEGAL,
                       isv.SMS_SIGN_ILLEGAL, …), isv.INVALID_JSON_PARAM, isv.PARAM_LENGTH_LIMIT,
                       isv.SMS_CONTENT_ILLEGAL
    ambiguous          a timeout or a cut connection after the request left, an answer that is
                       not Aliyun's documented shape: the message may have been accepted

Aliyun has no API code that means "this person opted out" (a number in Aliyun's blacklist
fails at the carrier, in the receipt); replies such as 退订 reach the inbound path (SmsUp).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from reminder.errors import (
    AmbiguousGatewayError,
    DeferredGatewayError,
    GatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TemplateRejectedError,
    TransientGatewayError,
)

TRANSIENT_CODES = frozenset(
    {
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isp.UNKNOWN",
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
        "SignatureNonceUsed",
    }
)
DEFERRED_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL"})
STOPPED_CODES = frozenset(
    {
        "isv.DAY_LIMIT_CONTROL",
        "isv.MONTH_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.SECURITY_FROZEN_ACCOUNT",
        "isv.DENY_IP_RANGE",
        "isp.RAM_PERMISSION_DENY",
        "InvalidAccessKeyId.NotFound",
        "InvalidAccessKeyId.Inactive",
        "SignatureDoesNotMatch",
        "InvalidTimeStamp.Expired",
        "Forbidden.RAM",
    }
)
PERMANENT_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.INVALID_PARAMETERS",
    }
)
TEMPLATE_CODES = frozenset(
    {"isv.INVALID_JSON_PARAM", "isv.PARAM_LENGTH_LIMIT", "isv.SMS_CONTENT_ILLEGAL"}
)
_TEMPLATE_WORDS = re.compile(r"TEMPLATE|SIGNATURE|SIGN_|_SIGN\b")

#: isv.BUSINESS_LIMIT_CONTROL's message names the limit hit ("触发分钟级流控Permits:1"):
#: wait that limit's period; a day when it does not say.
_LIMIT_PERIODS = (("分钟", 60.0), ("小时", 3600.0), ("天", 86400.0), ("minute", 60.0))


def error_class(code: str, http_status: int | None = None) -> type[GatewayError]:
    """Our class of one of Aliyun's codes (the HTTP status decides for a code we do not know)."""
    if code in TRANSIENT_CODES:
        return TransientGatewayError
    if code in DEFERRED_CODES:
        return DeferredGatewayError
    if code in STOPPED_CODES:
        return GatewayStoppedError
    if code in PERMANENT_CODES:
        return PermanentGatewayError
    if code in TEMPLATE_CODES or _TEMPLATE_WORDS.search(code):
        return TemplateRejectedError
    if http_status is not None and (http_status == 429 or http_status >= 500):
        return TransientGatewayError
    return PermanentGatewayError


def error_of(code: str, text: str, http_status: int | None = None) -> GatewayError:
    """The error Aliyun's answer (`Code`, `Message`) means."""
    cls = error_class(code, http_status)
    if cls is DeferredGatewayError:
        period = next((s for word, s in _LIMIT_PERIODS if word in text), 86400.0)
        return DeferredGatewayError(text, code=code, status=http_status, retry_after=period)
    return cls(text, code=code, status=http_status)


def checked(answer: httpx.Response) -> dict[str, Any]:
    """Aliyun's JSON answer when its Code is OK; the typed error otherwise."""
    try:
        data = answer.json()
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("Code"), str):
        if answer.status_code >= 500:
            raise TransientGatewayError(f"Aliyun answered HTTP {answer.status_code}", code="http")
        raise AmbiguousGatewayError(
            f"Aliyun's answer (HTTP {answer.status_code}) is not its documented shape; the "
            "message may have been accepted",
            code="malformed-answer",
            status=answer.status_code,
        )
    if data["Code"] != "OK":
        raise error_of(data["Code"], str(data.get("Message") or ""), answer.status_code)
    return data
