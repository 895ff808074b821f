"""Tencent Cloud API 3.0 request signing (TC3-HMAC-SHA256) and the SMS error-code classes.

The signature follows Tencent's "签名方法 v3": a canonical request (method, path, empty query,
the `content-type` and `host` headers, the SHA-256 of the JSON body) hashed into a string to
sign, HMAC-SHA256 with a key derived from `"TC3" + SecretKey`, the UTC date, the service and
`tc3_request`. Tests prove it against the official `tencentcloud-sdk-python-common` signer.

Error classes, from Tencent's own codes (SendSms `SendStatusSet[].Code` per number, or
`Response.Error.Code` for the whole request):

    accepted        Ok
    transient       InternalError.* (backend timeouts, parse failures), RequestLimitExceeded*,
                    LimitExceeded.GlobalSmsSendingRateLimit, HTTP 5xx, timeouts before sending
    deferred        LimitExceeded.PhoneNumberThirtySecondLimit (30 s),
                    LimitExceeded.PhoneNumberOneHourLimit (1 h),
                    LimitExceeded.DeliveryFrequencyLimit (the console's frequency policy: 1 h),
                    LimitExceeded.PhoneNumberDailyLimit and
                    LimitExceeded.PhoneNumberSameContentDailyLimit (the next day)
    opted out       FailedOperation.PhoneNumberInBlacklist (permanent; the number is suppressed)
    stop gateway    FailedOperation.InsufficientBalanceInSmsPackage, LimitExceeded.AppDailyLimit,
                    LimitExceeded.AppMainlandChinaDailyLimit, LimitExceeded.AppGlobalDailyLimit,
                    LimitExceeded.DailyLimit, UnauthorizedOperation.* (arrears, disabled or
                    unverified SdkAppId, IP not allowed), InvalidParameterValue.SdkAppIdNotExist,
                    AuthFailure.* (wrong key, clock skew)
    template        FailedOperation.TemplateIncorrectOrUnapproved,
                    FailedOperation.TemplateUnapprovedOrNotExist,
                    FailedOperation.TemplateIdNotExist,
                    FailedOperation.TemplateParamSetNotMatchApprovedTemplate,
                    FailedOperation.SignatureIncorrectOrUnapproved,
                    FailedOperation.MissingSignature,
                    FailedOperation.ContainSensitiveWord, InvalidParameter.DirtyWordFound,
                    InvalidParameterValue.TemplateParameterFormatError,
                    InvalidParameterValue.TemplateParameterLengthLimit,
                    InvalidParameterValue.ProhibitedUseUrlInTemplateParameter,
                    InvalidParameterValue.ContentLengthLimit
    permanent       InvalidParameterValue.IncorrectPhoneNumber,
                    FailedOperation.PhoneNumberParseFail,
                    UnsupportedOperation.* (mainland template to a foreign number, …), any other
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from reminder.errors import (
    DeferredGatewayError,
    GatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TemplateRejectedError,
    TransientGatewayError,
)

ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SERVICE = "sms"
VERSION = "2021-01-11"

#: Per-number limits that defer the number, with how long to wait (None: the next day).
DEFERRED_CODES: dict[str, float | None] = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
    "LimitExceeded.DeliveryFrequencyLimit": 3600.0,
    "LimitExceeded.PhoneNumberDailyLimit": None,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": None,
}
#: "手机号在免打扰名单库中": the person unsubscribed, or the carrier's do-not-disturb list.
OPTED_OUT_CODES = frozenset({"FailedOperation.PhoneNumberInBlacklist"})
#: The account cannot send at all until the operator acts.
STOPPED_CODES = frozenset(
    {
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "LimitExceeded.AppDailyLimit",
        "LimitExceeded.AppMainlandChinaDailyLimit",
        "LimitExceeded.AppGlobalDailyLimit",
        "LimitExceeded.DailyLimit",
        "InvalidParameterValue.SdkAppIdNotExist",
    }
)
STOPPED_PREFIXES = ("UnauthorizedOperation.", "AuthFailure.")
#: The template, its parameters or the signature: every message of the push would fail alike.
TEMPLATE_CODES = frozenset(
    {
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.TemplateUnapprovedOrNotExist",
        "FailedOperation.TemplateIdNotExist",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.MissingSignature",
        "FailedOperation.ContainSensitiveWord",
        "InvalidParameter.DirtyWordFound",
        "InvalidParameterValue.TemplateParameterFormatError",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "InvalidParameterValue.ContentLengthLimit",
    }
)
TRANSIENT_CODES = frozenset({"LimitExceeded.GlobalSmsSendingRateLimit"})
TRANSIENT_PREFIXES = ("InternalError", "RequestLimitExceeded")


def error_for(code: str, text: str, *, status: int | None = None) -> GatewayError:
    """The typed error for one of Tencent's codes (see the table above)."""
    if code in DEFERRED_CODES:
        return DeferredGatewayError(
            text, code=code, status=status, retry_after=DEFERRED_CODES[code]
        )
    if code in TRANSIENT_CODES or code.startswith(TRANSIENT_PREFIXES):
        return TransientGatewayError(text, code=code, status=status)
    if code in STOPPED_CODES or code.startswith(STOPPED_PREFIXES):
        return GatewayStoppedError(text, code=code, status=status)
    if code in TEMPLATE_CODES:
        return TemplateRejectedError(text, code=code, status=status)
    return PermanentGatewayError(text, code=code, status=status)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def signature(
    secret_key: str,
    *,
    host: str,
    payload: bytes,
    timestamp: int,
    service: str = SERVICE,
    content_type: str = CONTENT_TYPE,
    method: str = "POST",
) -> str:
    """The hex TC3-HMAC-SHA256 signature of a request to `host` carrying `payload`."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            method,
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{day}/{service}/tc3_request"
    to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), day), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def signed_headers(
    secret_id: str,
    secret_key: str,
    *,
    host: str,
    action: str,
    region: str,
    payload: bytes,
    timestamp: int,
) -> dict[str, str]:
    """Every header a signed API 3.0 call of `action` carries."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    sig = signature(secret_key, host=host, payload=payload, timestamp=timestamp)
    return {
        "Authorization": (
            f"{ALGORITHM} Credential={secret_id}/{day}/{SERVICE}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={sig}"
        ),
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": VERSION,
        "X-TC-Region": region,
    }
