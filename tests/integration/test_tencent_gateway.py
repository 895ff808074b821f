"""The `tencent` gateway against the local Tencent Cloud SMS fake (which checks every signature
with the official SDK's signer), the signer against the SDK and Tencent's published worked
example, Tencent's codes as our error classes, batches, lost answers, and callbacks through
the receipt server."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from tencentcloud.common.sign import Sign

from reminder.clock import FixedClock
from reminder.delivery.gateways.base import Accepted, OutgoingMessage
from reminder.delivery.gateways.tencent import TencentGateway, TencentSettings
from reminder.delivery.gateways.tencent_signing import error_for, signature, signed_headers
from reminder.delivery.receipt_server import ReceiptServer
from reminder.errors import (
    AmbiguousGatewayError,
    DeferredGatewayError,
    GatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TemplateRejectedError,
    TransientGatewayError,
)
from reminder.testing import InMemoryStore
from tests.factories import planned
from tests.support.servers import serving
from tests.support.stores import add_planned, claim
from tests.support.tencent_fake import (
    APP_ID,
    SECRET_ID,
    SECRET_KEY,
    Script,
    TencentFake,
    callback_item,
    sdk_signature,
)

TEXT = "{1}同志：{2}将至，请严守纪律。"
TOKEN = "callback-secret"
PUBLIC = "https://sms.example.org"
NOW = datetime(2027, 1, 30, 1, 0, tzinfo=UTC)


def settings(endpoint: str, **extra: Any) -> TencentSettings:
    return TencentSettings.model_validate(
        {
            "secret_id": SECRET_ID,
            "secret_key": SECRET_KEY,
            "sms_sdk_app_id": APP_ID,
            "endpoint": endpoint,
            "sign_name": "某某市纪委监委",
            "callback_token": TOKEN,
            "templates": {
                "daily.j2": {
                    "code": "1110",
                    "text": TEXT,
                    "params": {"1": "contact_name", "2": "festival_name"},
                }
            },
            "delivery": {"request_timeout_seconds": 1.0},
            **extra,
        }
    )


def message(number: int, name: str = "张三", festival: str = "春节") -> OutgoingMessage:
    return OutgoingMessage(
        message_id=number,
        campaign="spring",
        push="daily",
        occurrence=date(2027, 1, 30),
        contact_id=f"c{number}",
        to=f"+8613800138{number:03d}",
        body="ignored by a template-code provider",
        segments=1,
        template="daily.j2",
        variables={"contact_name": name, "festival_name": festival},
    )


@pytest.fixture
def fake() -> Iterator[TencentFake]:
    with TencentFake() as server:
        yield server


def run(gateway: TencentGateway, work: Any) -> Any:
    async def go() -> Any:
        try:
            return await work
        finally:
            await gateway.aclose()

    return asyncio.run(go())


# --- the signature ------------------------------------------------------------------------------


def test_the_signature_reproduces_tencents_published_worked_example() -> None:
    """The DescribeInstances example of Tencent's "签名方法 v3" page, with the page's own
    (masked) key, timestamp, payload and result."""
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    assert (
        hashlib.sha256(payload).hexdigest()
        == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert (
        signature(
            "Gu5t9xGARNpq86cd98joQYCN3*******",
            host="cvm.tencentcloudapi.com",
            payload=payload,
            timestamp=1551113065,
            service="cvm",
        )
        == "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )


@pytest.mark.parametrize("timestamp", [1551113065, 1800000000, 1800086399])
@pytest.mark.parametrize(
    "body", [{}, {"PhoneNumberSet": ["+8613800138000"], "TemplateParamSet": ["张三", "春节"]}]
)
def test_the_signature_equals_the_official_sdks(timestamp: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode()
    headers = signed_headers(
        SECRET_ID,
        SECRET_KEY,
        host="sms.tencentcloudapi.com",
        action="SendSms",
        region="ap-guangzhou",
        payload=payload,
        timestamp=timestamp,
    )
    ours = headers["Authorization"].rsplit("Signature=", 1)[1]
    theirs = sdk_signature(payload, headers["Content-Type"], headers["Host"], str(timestamp))
    assert ours == theirs
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    assert f"Credential={SECRET_ID}/{day}/sms/tc3_request" in headers["Authorization"]
    assert len(Sign.sign_tc3(SECRET_KEY, day, "sms", "x")) == 64


def test_a_wrong_key_is_refused_by_the_fake_and_stops_the_gateway(fake: TencentFake) -> None:
    gateway = TencentGateway(settings(fake.url, secret_key="not-the-key"))
    with pytest.raises(GatewayStoppedError) as raised:
        run(gateway, gateway.send(message(1)))
    assert raised.value.code == "AuthFailure.SignatureFailure"
    assert fake.recorded.bad_signatures == 1 and fake.recorded.accepted == []


# --- error classes ------------------------------------------------------------------------------

CODES: list[tuple[str, type[GatewayError], float | None]] = [
    ("InternalError.Timeout", TransientGatewayError, None),
    ("InternalError.OtherError", TransientGatewayError, None),
    ("RequestLimitExceeded", TransientGatewayError, None),
    ("LimitExceeded.PhoneNumberThirtySecondLimit", DeferredGatewayError, 30.0),
    ("LimitExceeded.PhoneNumberOneHourLimit", DeferredGatewayError, 3600.0),
    ("LimitExceeded.PhoneNumberDailyLimit", DeferredGatewayError, None),
    ("LimitExceeded.DeliveryFrequencyLimit", DeferredGatewayError, 3600.0),
    ("FailedOperation.PhoneNumberInBlacklist", PermanentGatewayError, None),
    ("FailedOperation.InsufficientBalanceInSmsPackage", GatewayStoppedError, None),
    ("LimitExceeded.AppDailyLimit", GatewayStoppedError, None),
    ("UnauthorizedOperation.ServiceSuspendDueToArrears", GatewayStoppedError, None),
    ("FailedOperation.TemplateIncorrectOrUnapproved", TemplateRejectedError, None),
    ("FailedOperation.SignatureIncorrectOrUnapproved", TemplateRejectedError, None),
    ("InvalidParameterValue.TemplateParameterLengthLimit", TemplateRejectedError, None),
    ("InvalidParameterValue.IncorrectPhoneNumber", PermanentGatewayError, None),
]


@pytest.mark.parametrize(("code", "kind", "retry_after"), CODES)
def test_tencents_codes_are_our_error_classes(
    code: str, kind: type[GatewayError], retry_after: float | None
) -> None:
    error = error_for(code, "x")
    assert type(error) is kind and error.code == code
    if isinstance(error, DeferredGatewayError):
        assert error.retry_after == retry_after


def test_a_per_number_code_fails_only_that_number_of_a_batch(fake: TencentFake) -> None:
    gateway = TencentGateway(settings(fake.url))
    fake.script.append(Script(codes={message(2).to: "LimitExceeded.PhoneNumberDailyLimit"}))
    outcomes = run(gateway, gateway.send_batch([message(1), message(2), message(3)]))
    assert isinstance(outcomes[0], Accepted) and isinstance(outcomes[2], Accepted)
    assert isinstance(outcomes[1], DeferredGatewayError)
    assert len(fake.recorded.requests) == 1 and len(fake.recorded.accepted) == 2


# --- batches ------------------------------------------------------------------------------------


def test_equal_parameters_share_a_request_and_personal_ones_get_their_own(
    fake: TencentFake,
) -> None:
    gateway = TencentGateway(settings(fake.url))
    batch = [message(i) for i in range(1, 6)] + [message(6, "李四"), message(7, "王五")]
    outcomes = run(gateway, gateway.send_batch(batch))
    assert all(isinstance(o, Accepted) and o.provider_id for o in outcomes)
    assert len({o.provider_id for o in outcomes}) == 7
    sends = [params for action, params in fake.recorded.requests if action == "SendSms"]
    assert sorted(len(p["PhoneNumberSet"]) for p in sends) == [1, 1, 5]
    shared = next(p for p in sends if len(p["PhoneNumberSet"]) == 5)
    assert shared["TemplateParamSet"] == ["张三", "春节"] and shared["TemplateId"] == "1110"
    assert shared["SessionContext"] == "reminder:1,2,3,4,5"
    assert shared["SignName"] == "某某市纪委监委" and shared["SmsSdkAppId"] == APP_ID


def test_a_number_twice_in_a_batch_goes_in_two_requests(fake: TencentFake) -> None:
    gateway = TencentGateway(settings(fake.url))
    twin = OutgoingMessage(**{**message(1).__dict__, "message_id": 99})
    outcomes = run(gateway, gateway.send_batch([message(1), twin]))
    assert all(isinstance(o, Accepted) for o in outcomes)
    assert len(fake.recorded.requests) == 2


def test_a_whole_request_failing_alone_is_raised(fake: TencentFake) -> None:
    gateway = TencentGateway(settings(fake.url))
    fake.script.append(Script(error="FailedOperation.TemplateIncorrectOrUnapproved"))
    with pytest.raises(TemplateRejectedError):
        run(gateway, gateway.send_batch([message(1), message(2)]))


def test_a_message_without_a_mapping_is_a_rejected_template(fake: TencentFake) -> None:
    gateway = TencentGateway(settings(fake.url))
    other = OutgoingMessage(**{**message(1).__dict__, "template": "other.j2"})
    outcomes = run(gateway, gateway.send_batch([other, message(2)]))
    assert isinstance(outcomes[0], TemplateRejectedError) and isinstance(outcomes[1], Accepted)


# --- lost and strange answers -------------------------------------------------------------------


@pytest.mark.parametrize("contexts", [True, False], ids=["session-context", "by-time"])
def test_a_lost_answer_is_ambiguous_and_lookup_finds_the_message(
    fake: TencentFake, contexts: bool
) -> None:
    fake.contexts = contexts
    gateway = TencentGateway(settings(fake.url, report_wait_seconds=0))
    fake.script.append(Script(lose=3.0))
    with pytest.raises(AmbiguousGatewayError):
        run(gateway, gateway.send(message(1)))
    assert len(fake.recorded.accepted) == 1
    since = datetime.now(UTC).replace(microsecond=0)
    gateway = TencentGateway(
        settings(fake.url, report_wait_seconds=0, delivery={"lookup_margin_seconds": 0})
    )
    found = run(gateway, gateway.lookup(message(1), since.replace(second=0, minute=0)))
    assert found is not None and found.provider_id == fake.recorded.accepted[0]["SerialNo"]


def test_an_answer_not_in_tencents_shape_is_ambiguous(fake: TencentFake) -> None:
    gateway = TencentGateway(settings(fake.url))
    fake.script.append(Script(raw=b"<html>gateway</html>"))
    with pytest.raises(AmbiguousGatewayError) as raised:
        run(gateway, gateway.send(message(1)))
    assert raised.value.code == "bad-answer"


def test_no_report_is_no_proof_until_the_report_wait_has_passed(fake: TencentFake) -> None:
    gateway = TencentGateway(settings(fake.url))  # six hours by default
    with pytest.raises(TransientGatewayError):
        run(gateway, gateway.lookup(message(1), datetime.now(UTC)))
    gateway = TencentGateway(settings(fake.url))
    assert run(gateway, gateway.lookup(message(1), datetime(2020, 1, 1, tzinfo=UTC))) is None


def test_a_refused_connection_is_transient() -> None:
    gateway = TencentGateway(settings("http://127.0.0.1:9"))
    with pytest.raises(TransientGatewayError):
        run(gateway, gateway.send(message(1)))


# --- settings and text --------------------------------------------------------------------------


def test_the_phone_shows_the_signature_and_tencents_template_filled_in() -> None:
    gateway = TencentGateway(settings(PUBLIC))
    assert gateway.phone_text(message(1)) == "【某某市纪委监委】张三同志：春节将至，请严守纪律。"


def test_settings_refuse_placeholders_that_the_params_do_not_fill() -> None:
    with pytest.raises(ValidationError, match="placeholders"):
        settings(PUBLIC, templates={"a.j2": {"code": "1", "text": "{1}{2}", "params": {"1": "x"}}})
    with pytest.raises(ValidationError, match="without 【】"):
        settings(PUBLIC, sign_name="【某某】")


def test_secrets_are_masked() -> None:
    shown = repr(TencentGateway(settings(PUBLIC)))
    assert SECRET_KEY not in shown and SECRET_ID not in shown and TOKEN not in shown


# --- callbacks through the receipt server -------------------------------------------------------


def test_status_callbacks_through_the_receipt_server(fake: TencentFake) -> None:
    store = InMemoryStore()
    ids = add_planned(store, [planned(i, date(2027, 1, 30)) for i in range(2)], NOW)
    for message_id in ids:
        claim(store, message_id, "tencent", NOW)
    store.record_sent([(i, f"S{i}", "Ok") for i in ids], NOW)
    gateway = TencentGateway(settings(fake.url))
    server = ReceiptServer(store, FixedClock(NOW), {"tencent": gateway}, PUBLIC)
    storm = [
        callback_item(f"S{ids[0]}", "SUCCESS"),
        callback_item(f"S{ids[1]}", "FAIL"),
        callback_item(f"S{ids[0]}", "SUCCESS"),
    ]
    with serving(server.app) as base:
        path = f"{base}/receipts/tencent"
        forged = httpx.post(path, json=storm)
        wrong = httpx.post(path + "?token=guess", json=storm)
        assert (forged.status_code, wrong.status_code) == (403, 403)
        assert {m.status for m in store.messages()} == {"sent"}
        answer = httpx.post(f"{path}?token={TOKEN}", json=storm)
        again = httpx.post(f"{path}?token={TOKEN}", json=storm)
        assert answer.status_code == 200 and answer.json() == {"result": 0, "errmsg": "OK"}
        assert again.status_code == 200
        reply = {"mobile": "13800138000", "nationcode": "86", "text": "收到", "sign": "x"}
        assert httpx.post(f"{base}/inbound/tencent?token={TOKEN}", json=reply).status_code == 200
    statuses = {m.provider_id: m.status for m in store.messages()}
    assert statuses == {f"S{ids[0]}": "delivered", f"S{ids[1]}": "failed"}
