"""Our Aliyun RPC signer against two independent references: Aliyun's published worked example
(a golden vector) and Aliyun's own SDK signer (`alibabacloud_openapi_util`, test-only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alibabacloud_openapi_util.client import Client as AliyunSigner

from reminder.delivery.gateways import aliyun_signing
from reminder.delivery.gateways.aliyun_codes import error_class, error_of
from reminder.errors import (
    DeferredGatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TemplateRejectedError,
    TransientGatewayError,
)

#: Aliyun's worked example of the RPC signature (the ECS DescribeRegions request in its
#: "签名机制" document): secret "testsecret", and the string to sign and signature it prints.
EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
EXAMPLE_STRING = (
    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod"
    "%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion"
    "%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
)
EXAMPLE_SIGNATURE = "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_the_published_worked_example() -> None:
    assert aliyun_signing.string_to_sign("GET", EXAMPLE) == EXAMPLE_STRING
    assert aliyun_signing.signature("testsecret", "GET", EXAMPLE) == EXAMPLE_SIGNATURE


@pytest.mark.parametrize(
    "operation",
    [
        {"PhoneNumbers": "13800138000", "SignName": "某某市纪委监委", "TemplateCode": "SMS_1"},
        {"TemplateParam": '{"name":"张 三","note":"a*b~c+d/e=f&g%h"}'},
        {"PhoneNumberJson": '["13800138000","13900139000"]', "OutId": "m1-0a1b"},
        {"SignNameJson": '["测试","测试"]', "TemplateParamJson": '[{"x":"€ 😀"},{"x":"!\'()"}]'},
    ],
)
def test_signatures_match_aliyuns_own_sdk(operation: dict[str, str]) -> None:
    params = aliyun_signing.signed(
        "SendSms",
        operation,
        access_key_id="LTAI-id",
        secret="s3cr3t/+=",
        nonce="nonce-1",
        moment=datetime(2027, 2, 1, 8, 30, tzinfo=UTC),
        region="cn-hangzhou",
    )
    unsigned = {k: v for k, v in params.items() if k != "Signature"}
    assert params["Signature"] == AliyunSigner.get_rpcsignature(unsigned, "POST", "s3cr3t/+=")
    assert aliyun_signing.verify("s3cr3t/+=", "POST", params)
    assert not aliyun_signing.verify("other", "POST", params)
    assert not aliyun_signing.verify("s3cr3t/+=", "POST", {**params, "PhoneNumbers": "1"})


def test_percent_encoding_follows_aliyuns_rules() -> None:
    assert aliyun_signing.percent_encode("a b*c~d+e") == "a%20b%2Ac~d%2Be"
    assert aliyun_signing.percent_encode("纪") == "%E7%BA%AA"
    assert aliyun_signing.timestamp(datetime(2027, 2, 1, 8, 30, 5, 999, tzinfo=UTC)) == (
        "2027-02-01T08:30:05Z"
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("isp.SYSTEM_ERROR", 200, TransientGatewayError),
        ("Throttling.User", 400, TransientGatewayError),
        ("isv.SOMETHING_NEW", 503, TransientGatewayError),
        ("isv.BUSINESS_LIMIT_CONTROL", 200, DeferredGatewayError),
        ("isv.DAY_LIMIT_CONTROL", 200, GatewayStoppedError),
        ("isv.MONTH_LIMIT_CONTROL", 200, GatewayStoppedError),
        ("isv.AMOUNT_NOT_ENOUGH", 200, GatewayStoppedError),
        ("isv.OUT_OF_SERVICE", 200, GatewayStoppedError),
        ("SignatureDoesNotMatch", 400, GatewayStoppedError),
        ("isv.MOBILE_NUMBER_ILLEGAL", 200, PermanentGatewayError),
        ("isv.BLACK_KEY_CONTROL_LIMIT", 200, PermanentGatewayError),
        ("isv.SMS_TEMPLATE_ILLEGAL", 200, TemplateRejectedError),
        ("isv.TEMPLATE_MISSING_PARAMETERS", 200, TemplateRejectedError),
        ("isv.SMS_SIGNATURE_ILLEGAL", 200, TemplateRejectedError),
        ("isv.SMS_SIGN_ILLEGAL", 200, TemplateRejectedError),
        ("isv.INVALID_JSON_PARAM", 200, TemplateRejectedError),
        ("isv.PARAM_LENGTH_LIMIT", 200, TemplateRejectedError),
        ("isv.SMS_CONTENT_ILLEGAL", 200, TemplateRejectedError),
        ("isv.SOMETHING_NEW", 200, PermanentGatewayError),
    ],
)
def test_aliyuns_codes_fall_into_our_classes(
    code: str, status: int, expected: type[Exception]
) -> None:
    assert error_class(code, status) is expected


def test_a_per_number_limit_waits_the_limits_period() -> None:
    minute = error_of("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
    day = error_of("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:50")
    assert isinstance(minute, DeferredGatewayError) and minute.retry_after == 60
    assert isinstance(day, DeferredGatewayError) and day.retry_after == 86400
