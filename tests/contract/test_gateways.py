"""One contract suite over every registered gateway (STYLE.md: a meta-test fails when a
registered gateway is missing from it): sending, lookup, status polling, error classes, the
provider facts each declares, and receipts (a provider's signed callback verifies, a tampered
one does not, and it parses into our statuses).

A gateway written outside the package is registered too: `tests/support/acme` holds one file
and one entry point, put on the path for this module, and it runs through the same suite and
the receipt server without a line of `reminder` changed."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from reminder.delivery.gateways.base import (
    Accepted,
    CallbackKind,
    CallbackRequest,
    DeliveryPolicy,
    Gateway,
    OutgoingMessage,
    with_default_delivery,
)
from reminder.delivery.gateways.console import ConsoleGateway, ConsoleSettings
from reminder.delivery.gateways.file import FileGateway, FileSettings
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.delivery.gateways.registry import available, gateway_class
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.errors import GatewayError, PermanentGatewayError, TransientGatewayError
from reminder.status import Status
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, Reply, TwilioLikeServer

ACME = Path(__file__).parents[1] / "support" / "acme"
if str(ACME) not in sys.path:
    sys.path.insert(0, str(ACME))

PUBLIC = "https://sms.example.org"


ErrorKind = str  # "transient", "permanent", "opted_out"


@dataclass
class Harness:
    """A gateway under test, a way to read back what its peer received, and where the provider
    has them: a way to make its peer fail the next send, and a signed callback it would make."""

    gateway: Gateway
    received: Callable[[], list[dict[str, str]]]
    fail: Callable[[ErrorKind], None] | None = None
    callback: Callable[[CallbackKind, dict[str, str]], CallbackRequest] | None = None
    #: A provider id of the shape the gateway gives (receipts must parse back into it).
    sample_id: str = "P-1"
    #: False for a provider that signs no callback (Tencent, Aliyun): the secret is in the URL
    #: it calls, so only a URL without it must fail.
    signs_body: bool = True


def _console(tmp_path: Path) -> Iterator[Harness]:
    stream = io.StringIO()
    gateway = ConsoleGateway(ConsoleSettings(), stream=stream)

    def received() -> list[dict[str, str]]:
        blocks = [line for line in stream.getvalue().splitlines() if line.startswith("[console")]
        return [{"to": line.split(" to ")[1].split(" (")[0]} for line in blocks]

    yield Harness(gateway, received)


def _file(tmp_path: Path) -> Iterator[Harness]:
    gateway = FileGateway(FileSettings(path="out/outbox.jsonl"), base_dir=tmp_path)
    path = tmp_path / "out" / "outbox.jsonl"

    def received() -> list[dict[str, str]]:
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    yield Harness(gateway, received)


def _memory(tmp_path: Path) -> Iterator[Harness]:
    gateway = MemoryGateway()

    def fail(kind: ErrorKind) -> None:
        error = TransientGatewayError if kind == "transient" else PermanentGatewayError
        gateway.fail_next(error(f"scripted {kind}", code=kind.replace("_", "-")))

    yield Harness(gateway, lambda: [{"to": m.to, "body": m.body} for m in gateway.sent], fail)


#: Twilio's answers for each kind of failure (code, HTTP status).
TWILIO_FAILURES = {"transient": (20429, 429), "permanent": (21211, 400), "opted_out": (21610, 400)}


def _twilio(tmp_path: Path) -> Iterator[Harness]:
    from twilio.request_validator import RequestValidator

    signer = RequestValidator(AUTH_TOKEN)
    with TwilioLikeServer() as server:
        gateway = TwilioGateway(
            TwilioSettings.model_validate(
                {
                    "account_sid": ACCOUNT_SID,
                    "auth_token": AUTH_TOKEN,
                    "messaging_service_sid": "MG" + "c" * 32,
                    "base_url": server.url,
                    "delivery": {"segments_per_second": None},
                }
            )
        )

        def fail(kind: ErrorKind) -> None:
            code, status = TWILIO_FAILURES[kind]
            server.script.append(Reply(status=status, code=code, message=f"scripted {kind}"))

        def callback(kind: CallbackKind, fields: dict[str, str]) -> CallbackRequest:
            if kind == "receipts":
                form = {"MessageSid": fields["id"], "MessageStatus": fields["word"]}
            else:
                form = {"From": fields["from"], "Body": fields["text"], "MessageSid": "SMin"}
            url = f"{PUBLIC}/{kind}/twilio"
            headers = {"x-twilio-signature": signer.compute_signature(url, form)}
            return CallbackRequest("POST", url, headers, urlencode(form).encode())

        yield Harness(
            gateway,
            lambda: [{"to": r["To"], "body": r["Body"]} for r in server.recorded.accepted],
            fail,
            callback,
        )


def _acme(tmp_path: Path) -> Iterator[Harness]:
    from acme_sms import AcmeGateway, AcmeSettings

    gateway = AcmeGateway(AcmeSettings.model_validate({"secret": "acme-test-secret"}))

    def fail(kind: ErrorKind) -> None:
        if kind == "opted_out":
            gateway.failures.append(PermanentGatewayError("unsubscribed", code="ACME.UNSUBSCRIBED"))
        else:
            error = TransientGatewayError if kind == "transient" else PermanentGatewayError
            gateway.failures.append(error(f"scripted {kind}", code=kind))

    def callback(kind: CallbackKind, fields: dict[str, str]) -> CallbackRequest:
        if kind == "receipts":
            items: list[dict[str, Any]] = [{"msg_id": fields["id"], "state": fields["word"]}]
        else:
            items = [{"mobile": fields["from"], "content": fields["text"]}]
        body = json.dumps(items).encode()
        headers = {"x-acme-signature": gateway.sign(body)}
        return CallbackRequest("POST", f"{PUBLIC}/{kind}/acme", headers, body)

    yield Harness(
        gateway,
        lambda: [{"to": m.to, "body": m.body} for m in gateway.outbox.values()],
        fail,
        callback,
    )


#: Tencent's codes for each kind of failure: (request-level Error code, per-number code).
TENCENT_FAILURES = {
    "transient": ("InternalError.Timeout", None),
    "permanent": (None, "InvalidParameterValue.IncorrectPhoneNumber"),
    "opted_out": (None, "FailedOperation.PhoneNumberInBlacklist"),
}
TENCENT_TOKEN = "contract-callback-token"


def _tencent(tmp_path: Path) -> Iterator[Harness]:
    from reminder.delivery.gateways.tencent import TencentGateway, TencentSettings
    from tests.support.tencent_fake import APP_ID, SECRET_ID, SECRET_KEY, Script, TencentFake

    text = "{1}同志：请严守廉洁纪律。"
    with TencentFake() as fake:
        gateway = TencentGateway(
            TencentSettings.model_validate(
                {
                    "secret_id": SECRET_ID,
                    "secret_key": SECRET_KEY,
                    "sms_sdk_app_id": APP_ID,
                    "endpoint": fake.url,
                    "sign_name": "测试",
                    "callback_token": TENCENT_TOKEN,
                    "templates": {
                        "daily.j2": {"code": "1110", "text": text, "params": {"1": "contact_name"}}
                    },
                }
            )
        )

        def fail(kind: ErrorKind) -> None:
            error, code = TENCENT_FAILURES[kind]
            fake.script.append(Script(error=error, codes={message(1).to: code} if code else {}))

        def callback(kind: CallbackKind, fields: dict[str, str]) -> CallbackRequest:
            if kind == "receipts":
                from tests.support.tencent_fake import callback_item

                body: Any = [callback_item(fields["id"], fields["word"])]
            else:
                number = fields["from"]
                body = {
                    "mobile": number[3:],
                    "nationcode": number[1:3],
                    "text": fields["text"],
                    "sign": "测试",
                    "extend": "",
                    "time": 1800000000,
                }
            url = f"{PUBLIC}/{kind}/tencent?token={TENCENT_TOKEN}"
            return CallbackRequest("POST", url, {}, json.dumps(body, ensure_ascii=False).encode())

        yield Harness(gateway, lambda: fake.texts({"1110": text}), fail, callback, signs_body=False)


#: SMPP command_status for each kind of failure (no SMPP code means "opted out").
SMPP_FAILURES = {"transient": 0x58, "permanent": 0x0B}  # ESME_RTHROTTLED, ESME_RINVDSTADR


def _smpp(tmp_path: Path) -> Iterator[Harness]:
    from reminder.delivery.gateways.smpp import SmppGateway, SmppSettings
    from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc

    with Smsc(tmp_path / "smsc.jsonl") as smsc:
        gateway = SmppGateway(
            SmppSettings.model_validate(
                {
                    "host": "127.0.0.1",
                    "port": smsc.port,
                    "system_id": SYSTEM_ID,
                    "password": PASSWORD,
                    "source_addr": "10690001",
                }
            )
        )

        def fail(kind: ErrorKind) -> None:
            smsc.fail(SMPP_FAILURES[kind])

        # Receipts and replies arrive on the bind, not by HTTP: no callback (tests/integration).
        yield Harness(
            gateway, lambda: [{"to": m["to"], "body": m["body"]} for m in smsc.messages()], fail
        )


#: Aliyun's codes for each kind of failure (no opted-out code: see aliyun_codes).
ALIYUN_FAILURES = {"transient": "isp.SYSTEM_ERROR", "permanent": "isv.MOBILE_NUMBER_ILLEGAL"}


def _aliyun(tmp_path: Path) -> Iterator[Harness]:
    from reminder.delivery.gateways.aliyun import AliyunGateway, AliyunSettings
    from tests.support.aliyun_fake import (
        ACCESS_KEY_ID,
        ACCESS_KEY_SECRET,
        CALLBACK_TOKEN,
        AliyunFake,
        AliyunReply,
    )

    text = "${name}同志：节日将至，请廉洁过节。"
    with AliyunFake({"SMS_100001": text}) as fake:
        gateway = AliyunGateway(
            AliyunSettings.model_validate(
                {
                    "access_key_id": ACCESS_KEY_ID,
                    "access_key_secret": ACCESS_KEY_SECRET,
                    "callback_token": CALLBACK_TOKEN,
                    "endpoint": fake.url,
                    "sign_name": "测试",
                    "templates": {
                        "daily.j2": {
                            "code": "SMS_100001",
                            "text": text,
                            "params": {"name": "contact_name"},
                        }
                    },
                }
            )
        )

        def fail(kind: ErrorKind) -> None:
            fake.script.append(AliyunReply(code=ALIYUN_FAILURES[kind], message=f"scripted {kind}"))

        def callback(kind: CallbackKind, fields: dict[str, str]) -> CallbackRequest:
            if kind == "receipts":
                out_id, _, number = fields["id"].rpartition(":")
                items: list[dict[str, Any]] = [
                    {
                        "phone_number": number,
                        "success": fields["word"] == "delivered",
                        "err_code": "DELIVERED" if fields["word"] == "delivered" else "MN:0001",
                        "biz_id": "900001^1",
                        "out_id": out_id,
                    }
                ]
            else:
                items = [{"phone_number": fields["from"], "content": fields["text"]}]
            url = f"{PUBLIC}/{kind}/aliyun?token={CALLBACK_TOKEN}"
            return CallbackRequest("POST", url, {}, json.dumps(items).encode())

        yield Harness(
            gateway,
            lambda: [{"to": "+86" + a.phone, "body": a.content} for a in fake.seen.accepted],
            fail,
            callback,
            sample_id="m1-0a1b2c3d:13800138000",
            signs_body=False,
        )


HARNESSES: dict[str, Callable[[Path], Iterator[Harness]]] = {
    "acme": _acme,
    "aliyun": _aliyun,
    "console": _console,
    "file": _file,
    "memory": _memory,
    "smpp": _smpp,
    "tencent": _tencent,
    "twilio": _twilio,
}


def test_every_registered_gateway_is_in_the_contract_suite() -> None:
    assert set(available()) == set(HARNESSES)


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    yield from HARNESSES[request.param](tmp_path)


def message(number: int) -> OutgoingMessage:
    return OutgoingMessage(
        message_id=number,
        campaign="spring",
        push="daily",
        occurrence=date(2027, 2, 1),
        contact_id=f"c{number:03d}",
        to=f"+86138001380{number:02d}",
        body=f"【测试】第{number}条提醒",
        segments=1,
        template="daily.j2",
        variables={"contact_name": "张三"},
    )


def _send_all(gateway: Gateway, messages: list[OutgoingMessage]) -> list[Accepted]:
    async def run() -> list[Accepted]:
        try:
            return [await gateway.send(m) for m in messages]
        finally:
            await gateway.aclose()

    return asyncio.run(run())


def test_each_message_is_accepted_once_with_a_distinct_provider_id(harness: Harness) -> None:
    results = _send_all(harness.gateway, [message(1), message(2), message(3)])
    assert all(isinstance(r, Accepted) and r.provider_id for r in results)
    assert len({r.provider_id for r in results}) == 3
    assert len(harness.received()) == 3


def test_the_peer_receives_the_recipient_and_the_text(harness: Harness) -> None:
    _send_all(harness.gateway, [message(7)])
    (got,) = harness.received()
    if harness.gateway.name == "console":
        assert got["to"] == "+86 138****8007", "the console shows masked numbers only"
    else:
        assert got["to"] == "+8613800138007"
        # What the phone shows: our text, or a template-code provider's own template filled in.
        assert got["body"] == harness.gateway.phone_text(message(7))


def test_gateways_declare_their_metadata(harness: Harness) -> None:
    cls = type(harness.gateway)
    assert gateway_class(cls.name) is cls
    assert isinstance(cls.real, bool)
    assert cls.secret_fields <= set(cls.Settings.model_fields)
    assert "********" in repr(harness.gateway) or not cls.secret_fields


def test_the_memory_gateway_raises_scripted_errors() -> None:
    from reminder.errors import TransientGatewayError

    gateway = MemoryGateway()
    gateway.fail_next(TransientGatewayError("busy", code="20429"))
    with pytest.raises(GatewayError):
        _send_all(gateway, [message(1)])
    assert gateway.sent == [] and len(gateway.attempts) == 1


# --- provider facts -----------------------------------------------------------------------------


def test_provider_facts_are_well_formed(harness: Harness) -> None:
    """Default pace keys are delivery settings, status words name our statuses, and a
    gateway whose provider reports delivery has words for delivered and failed."""
    cls = type(harness.gateway)
    DeliveryPolicy.model_validate(dict(cls.default_delivery))
    unset = harness.gateway.settings.model_copy(update={"delivery": DeliveryPolicy()})
    paced = with_default_delivery(unset, cls.default_delivery).delivery
    for key, value in cls.default_delivery.items():
        assert getattr(paced, key) == value, "the provider's pace applies where none is set"
    assert all(isinstance(code, str) for code in cls.opted_out_codes)
    assert all(word == word.lower() for word in cls.status_words)
    assert all(isinstance(status, Status) for status in cls.status_words.values())
    for word, status in cls.status_words.items():
        assert harness.gateway.status_of(f" {word.upper()} ") is status
    assert harness.gateway.status_of("no-such-word") is None
    if cls.confirms_delivery:
        assert {Status.delivered, Status.failed} <= set(cls.status_words.values())
    assert cls.receives_callbacks == (harness.callback is not None)


# --- lookup and polling -------------------------------------------------------------------------


def test_lookup_finds_what_the_provider_received_and_only_that(harness: Harness) -> None:
    gateway = harness.gateway
    since = datetime(2000, 1, 1, tzinfo=UTC)

    async def run() -> tuple[Accepted, Accepted | None, Accepted | None]:
        try:
            accepted = await gateway.send(message(1))
            return (
                accepted,
                await gateway.lookup(message(1), since),
                await gateway.lookup(message(2), since),
            )
        finally:
            await gateway.aclose()

    if not gateway.can_lookup:
        with pytest.raises(NotImplementedError):
            asyncio.run(gateway.lookup(message(1), since))
        return
    accepted, found, never_sent = asyncio.run(run())
    assert found is not None and found.provider_id == accepted.provider_id
    assert never_sent is None


def test_polling_reports_a_status_we_can_read(harness: Harness) -> None:
    gateway = harness.gateway
    if not gateway.can_poll:
        with pytest.raises(NotImplementedError):
            asyncio.run(gateway.fetch_status("x"))
        return

    async def run() -> tuple[Accepted, Any, Any]:
        try:
            accepted = await gateway.send(message(1))
            assert accepted.provider_id is not None
            known = await gateway.fetch_status(accepted.provider_id)
            return accepted, known, await gateway.fetch_status("SM" + "0" * 32)
        finally:
            await gateway.aclose()

    accepted, known, unknown = asyncio.run(run())
    assert known is not None and known.provider_id == accepted.provider_id
    assert gateway.status_of(known.status) is Status.delivered
    assert unknown is None


# --- error classes ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["transient", "permanent", "opted_out"])
def test_the_providers_failures_arrive_as_typed_errors(harness: Harness, kind: str) -> None:
    """A peer that can fail says whether to retry; an opted-out code is one the gateway
    declares. Console and file have no peer that fails (their failures are the disk's)."""
    gateway = harness.gateway
    if harness.fail is None:
        assert not gateway.real and not gateway.opted_out_codes
        return
    if kind == "opted_out" and not gateway.opted_out_codes:
        return
    harness.fail(kind)
    expected = TransientGatewayError if kind == "transient" else PermanentGatewayError
    with pytest.raises(expected) as raised:
        _send_all(gateway, [message(1)])
    assert (raised.value.code in gateway.opted_out_codes) == (kind == "opted_out")
    assert harness.received() == [], "nothing was accepted"


# --- receipts -----------------------------------------------------------------------------------


def test_a_signed_receipt_verifies_and_parses_into_our_statuses(harness: Harness) -> None:
    gateway = harness.gateway
    if harness.callback is None:
        forged = CallbackRequest("POST", PUBLIC + "/receipts/x", {}, b"MessageSid=SM1")
        assert not gateway.verify_callback(forged), "a gateway without callbacks trusts none"
        assert gateway.parse_receipts(forged) == [] and gateway.parse_inbound(forged) == []
        return
    for word, status in gateway.status_words.items():
        request = harness.callback("receipts", {"id": harness.sample_id, "word": word})
        assert gateway.verify_callback(request)
        (receipt,) = gateway.parse_receipts(request)
        assert receipt.provider_id == harness.sample_id
        assert gateway.status_of(receipt.status) is status
    answer = gateway.callback_answer("receipts")
    assert 200 <= answer.status < 300


def test_a_tampered_or_unsigned_callback_does_not_verify(harness: Harness) -> None:
    if harness.callback is None:
        return
    gateway = harness.gateway
    word = next(iter(gateway.status_words))
    genuine = harness.callback("receipts", {"id": harness.sample_id, "word": word})
    tampered = CallbackRequest(
        genuine.method, genuine.url, genuine.headers, genuine.body.replace(b"1", b"2")
    )
    unsigned = CallbackRequest(genuine.method, genuine.url, {}, genuine.body)
    elsewhere = CallbackRequest(genuine.method, genuine.url + "x", genuine.headers, genuine.body)
    assert gateway.verify_callback(genuine)
    if harness.signs_body:
        assert not gateway.verify_callback(tampered)
        assert not gateway.verify_callback(unsigned)
    else:
        bare = CallbackRequest(genuine.method, genuine.url.split("?")[0], {}, genuine.body)
        assert not gateway.verify_callback(bare)
    assert not gateway.verify_callback(elsewhere) or gateway.name == "acme"


def test_a_reply_parses_into_an_inbound_message(harness: Harness) -> None:
    if harness.callback is None:
        return
    gateway = harness.gateway
    request = harness.callback("inbound", {"from": "+8613800138000", "text": "退订"})
    assert gateway.verify_callback(request)
    (inbound,) = gateway.parse_inbound(request)
    assert (inbound.sender, inbound.text) == ("+8613800138000", "退订")
    assert 200 <= gateway.callback_answer("inbound").status < 300


def test_a_malformed_callback_is_a_value_error(harness: Harness) -> None:
    if harness.callback is None:
        return
    junk = CallbackRequest("POST", PUBLIC + "/receipts/x", {}, b"\xff{not it")
    with pytest.raises(ValueError):
        harness.gateway.parse_receipts(junk)
    with pytest.raises(ValueError):
        harness.gateway.parse_inbound(junk)
