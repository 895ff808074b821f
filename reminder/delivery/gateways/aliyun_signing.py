"""Aliyun's RPC request signature (SignatureMethod HMAC-SHA1, SignatureVersion 1.0).

Every parameter of the request, common and operation ones, is percent-encoded as Aliyun
specifies (RFC 3986 unreserved characters `A-Z a-z 0-9 - _ . ~` kept, everything else `%XX` of
its UTF-8 bytes, so a space is `%20`, `*` is `%2A` and `~` stays), sorted by name and joined as
`name=value&…`; the string to sign is `METHOD&%2F&` followed by that canonical string encoded
once more; the signature is base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

Proven against Aliyun's own SDK signer (`alibabacloud_openapi_util`) and Aliyun's published
worked example in tests/unit/test_aliyun_signing.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from reminder.delivery.gateways.percent import percent_encode

#: The API version of Dysmsapi this gateway speaks.
VERSION = "2017-05-25"


def canonical_query(params: Mapping[str, str]) -> str:
    """The parameters, encoded and sorted by name, as `name=value&…`."""
    return "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params)
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """`METHOD&%2F&` + the canonical query, encoded once more."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """The `Signature` of a request carrying `params` (without `Signature` itself)."""
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp(moment: datetime) -> str:
    """Aliyun's `Timestamp`: ISO 8601 in UTC, to the second, with a `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed(
    action: str,
    operation: Mapping[str, str],
    *,
    access_key_id: str,
    secret: str,
    nonce: str,
    moment: datetime,
    region: str | None = None,
    method: str = "POST",
) -> dict[str, str]:
    """Every parameter of one signed request: the common ones, the operation's, `Signature`."""
    params = {
        "AccessKeyId": access_key_id,
        "Action": action,
        "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "Timestamp": timestamp(moment),
        "Version": VERSION,
        **operation,
    }
    if region:
        params["RegionId"] = region
    params["Signature"] = signature(secret, method, params)
    return params


def verify(secret: str, method: str, params: Mapping[str, str]) -> bool:
    """Whether `params` carry the right `Signature` for `secret` (the fake's and tests' check)."""
    given = params.get("Signature", "")
    unsigned = {key: value for key, value in params.items() if key != "Signature"}
    return hmac.compare_digest(given, signature(secret, method, unsigned))
