"""The Aliyun gateway against the signature-checking fake of Dysmsapi on 127.0.0.1: batches
(SendSms for equal parameters, SendBatchSms for personalised ones), error classes from
Aliyun's codes, a lost or malformed answer left ambiguous and found again by QuerySendDetails,
polling, and SmsReport pushes through the receipt server (a push without the token: 403)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from reminder.clock import FixedClock
from reminder.delivery.gateways.aliyun import AliyunGateway, AliyunSettings
from reminder.delivery.gateways.base import Accepted, OutgoingMessage
from reminder.delivery.receipt_server import ReceiptServer
from reminder.errors import (
    AmbiguousGatewayError,
    DeferredGatewayError,
    GatewayError,
    GatewayStoppedError,
    TemplateRejectedError,
    TransientGatewayError,
)
from reminder.testing import InMemoryStore
from tests.factories import planned
from tests.support.aliyun_fake import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    CALLBACK_TOKEN,
    AliyunFake,
    AliyunReply,
    push,
)
from tests.support.servers import serving
from tests.support.stores import add_planned, claim

T = TypeVar("T")
TEXT = "${name}同志：今天是廉洁提醒第${day}天。"
NOTICE = "节日将至，请廉洁过节。"
PUBLIC = "https://sms.example.org"
NOW = datetime(2027, 1, 30, 1, 0, tzinfo=UTC)


def gateway_for(fake: AliyunFake, **delivery: Any) -> AliyunGateway:
    return AliyunGateway(
        AliyunSettings.model_validate(
            {
                "access_key_id": ACCESS_KEY_ID,
                "access_key_secret": ACCESS_KEY_SECRET,
                "callback_token": CALLBACK_TOKEN,
                "endpoint": fake.url,
                "sign_name": "某某市纪委监委",
                "templates": {
                    "daily.j2": {
                        "code": "SMS_1",
                        "text": TEXT,
                        "params": {"name": "contact_name", "day": "day"},
                    },
                    "notice.j2": {"code": "SMS_2", "text": NOTICE},
                },
                "delivery": delivery,
            }
        )
    )


@pytest.fixture
def fake() -> Iterator[AliyunFake]:
    with AliyunFake({"SMS_1": TEXT, "SMS_2": NOTICE}) as server:
        yield server


def msg(
    i: int, template: str = "daily.j2", name: str | None = None, to: str = ""
) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=i,
        campaign="spring",
        push="daily",
        occurrence=date(2027, 2, 1),
        contact_id=f"c{i:03d}",
        to=to or f"+86138001380{i:02d}",
        body="(rendered)",
        segments=1,
        template=template,
        variables={"contact_name": name or f"干部{i}", "day": "3"},
    )


def run(gateway: AliyunGateway, work: Awaitable[T]) -> T:
    async def go() -> T:
        try:
            return await work
        finally:
            await gateway.aclose()

    return asyncio.run(go())


def test_personalised_messages_go_a_hundred_to_one_sendbatchsms(fake: AliyunFake) -> None:
    gateway = gateway_for(fake)
    messages = [msg(i) for i in range(100)]
    outcomes = run(gateway, gateway.send_batch(messages))
    assert fake.seen.actions == ["SendBatchSms"]
    assert all(isinstance(o, Accepted) for o in outcomes)
    assert len({o.provider_id for o in outcomes if isinstance(o, Accepted)}) == 100
    contents = {"+86" + a.phone: a.content for a in fake.seen.accepted}
    assert contents == {m.to: gateway.phone_text(m) for m in messages}
    assert contents["+8613800138007"] == "【某某市纪委监委】干部7同志：今天是廉洁提醒第3天。"


def test_equal_parameters_go_in_one_sendsms(fake: AliyunFake) -> None:
    gateway = gateway_for(fake)
    outcomes = run(gateway, gateway.send_batch([msg(i, "notice.j2") for i in range(5)]))
    assert fake.seen.actions == ["SendSms"]
    assert [o.provider_id.split(":")[1] for o in outcomes if isinstance(o, Accepted)] == [
        f"138001380{i:02d}" for i in range(5)
    ]


def test_a_number_twice_in_a_batch_goes_in_two_requests_and_ids_stay_unique(
    fake: AliyunFake,
) -> None:
    gateway = gateway_for(fake)
    same = "+8613800138000"
    outcomes = run(gateway, gateway.send_batch([msg(1, to=same), msg(2, to=same), msg(3)]))
    assert len(fake.seen.actions) == 2
    assert len({o.provider_id for o in outcomes if isinstance(o, Accepted)}) == 3


def test_an_unmapped_template_fails_its_messages_only(fake: AliyunFake) -> None:
    gateway = gateway_for(fake)
    outcomes = run(gateway, gateway.send_batch([msg(1), msg(2, "other.j2"), msg(3, "notice.j2")]))
    assert isinstance(outcomes[0], Accepted) and isinstance(outcomes[2], Accepted)
    assert isinstance(outcomes[1], TemplateRejectedError)
    assert len(fake.seen.accepted) == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("isp.SYSTEM_ERROR", TransientGatewayError),
        ("isv.BUSINESS_LIMIT_CONTROL", DeferredGatewayError),
        ("isv.AMOUNT_NOT_ENOUGH", GatewayStoppedError),
        ("isv.SMS_TEMPLATE_ILLEGAL", TemplateRejectedError),
    ],
)
def test_aliyuns_codes_arrive_as_our_errors(
    fake: AliyunFake, code: str, error: type[GatewayError]
) -> None:
    gateway = gateway_for(fake)
    fake.script.append(AliyunReply(code=code, message="触发天级流控Permits:50"))
    with pytest.raises(error) as raised:
        run(gateway, gateway.send(msg(1)))
    assert raised.value.code == code and fake.seen.accepted == []


def test_one_failed_request_of_several_fails_only_its_messages(fake: AliyunFake) -> None:
    gateway = gateway_for(fake)
    fake.script.append(AliyunReply(code="isp.SYSTEM_ERROR"))
    outcomes = run(gateway, gateway.send_batch([msg(1), msg(2, "notice.j2")]))
    assert isinstance(outcomes[0], TransientGatewayError) and isinstance(outcomes[1], Accepted)


def test_a_wrong_secret_is_refused_by_the_signature_check(fake: AliyunFake) -> None:
    right = gateway_for(fake).settings
    gateway = AliyunGateway(right.model_copy(update={"access_key_secret": SecretStr("wrong")}))
    with pytest.raises(GatewayStoppedError) as raised:
        run(gateway, gateway.send(msg(1)))
    assert raised.value.code == "SignatureDoesNotMatch" and fake.seen.bad_signatures == 1


def test_a_lost_answer_is_ambiguous_and_lookup_finds_the_message(fake: AliyunFake) -> None:
    gateway = gateway_for(fake, request_timeout_seconds=0.5)
    fake.script.append(AliyunReply(action="lose", hold=2.0))
    since = datetime.now(UTC) - timedelta(minutes=15)

    async def go() -> tuple[Accepted | None, Accepted | None]:
        with pytest.raises(AmbiguousGatewayError):
            await gateway.send(msg(1))
        return await gateway.lookup(msg(1), since), await gateway.lookup(msg(2), since)

    found, never_sent = run(gateway, go())
    assert found is not None and found.provider_id == f"{fake.seen.accepted[0].out_id}:13800138001"
    assert never_sent is None


def test_an_answer_not_of_aliyuns_shape_is_ambiguous(fake: AliyunFake) -> None:
    gateway = gateway_for(fake)
    fake.script.append(AliyunReply(action="garbage"))
    with pytest.raises(AmbiguousGatewayError):
        run(gateway, gateway.send(msg(1)))
    assert len(fake.seen.accepted) == 1, "accepted: only a lookup can tell"


def test_polling_reads_querysenddetails(fake: AliyunFake) -> None:
    gateway = gateway_for(fake)
    fake.send_status = "2"

    async def go() -> Any:
        accepted = await gateway.send(msg(1))
        assert accepted.provider_id is not None
        return await gateway.fetch_status(accepted.provider_id)

    receipt = run(gateway, go())
    assert receipt is not None and receipt.status == "failed" and receipt.error_code == "MK:0001"


def test_smsreport_pushes_through_the_receipt_server(fake: AliyunFake) -> None:
    """A push with the token moves messages forward and hears Aliyun's expected answer; a
    repeated push changes nothing; a push without the token gets 403 and changes nothing."""
    gateway = gateway_for(fake)
    outcomes = run(gateway, gateway.send_batch([msg(1), msg(2)]))
    store = InMemoryStore()
    ids = add_planned(store, [planned(i, date(2027, 2, 1)) for i in (1, 2)], NOW)
    for message_id in ids:
        claim(store, message_id, "aliyun", NOW)
    store.record_sent(
        [(i, o.provider_id, "accepted") for i, o in zip(ids, outcomes, strict=True)], NOW
    )
    reports = [fake.report(fake.seen.accepted[0]), fake.report(fake.seen.accepted[1], False)]
    server = ReceiptServer(store, FixedClock(NOW), {"aliyun": gateway}, PUBLIC)
    with serving(server.app) as base:
        forged = push(f"{base}/receipts/aliyun?token=guess", reports)
        assert forged[0] == 403
        assert [m.status for m in store.messages()] == ["sent", "sent"]
        for _ in range(2):
            status, body = push(f"{base}/receipts/aliyun?token={CALLBACK_TOKEN}", reports)
            assert status == 200 and json.loads(body) == {"code": 0, "msg": "成功"}
        reply = httpx.post(
            f"{base}/inbound/aliyun?token={CALLBACK_TOKEN}",
            json=[{"phone_number": "13800138001", "content": "TD", "sequence_id": 1}],
        )
        assert reply.status_code == 200
    by_id = {m.id: m for m in store.messages()}
    assert (by_id[ids[0]].status, by_id[ids[1]].status) == ("delivered", "failed")
    assert by_id[ids[1]].error_code == "MN:0001"
