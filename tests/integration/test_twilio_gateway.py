"""The Twilio gateway against real HTTP peers on 127.0.0.1: Prism serving Twilio's own OpenAPI
description, and a scripted Twilio-like server for the error codes Prism does not model."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from pydantic import SecretStr, ValidationError

from reminder.clock import FixedClock
from reminder.delivery.dispatch import dispatch_occurrence
from reminder.delivery.gateways.base import DeliveryPolicy, OutgoingMessage
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.errors import GatewayStoppedError, PermanentGatewayError, TransientGatewayError
from reminder.store import open_store
from tests.factories import planned
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, Reply, TwilioLikeServer, free_port
from tests.support.stores import events

MESSAGE = OutgoingMessage(
    message_id=1,
    campaign="spring",
    push="daily",
    occurrence=date(2027, 2, 1),
    contact_id="c001",
    to="+8613800138000",
    body="【测试】节日廉洁提醒",
    segments=1,
    template="daily.j2",
    variables={"contact_name": "张三"},
)


def gateway(base_url: str, **settings: Any) -> TwilioGateway:
    values = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": "+15005550006",
        "base_url": base_url,
        **settings,
        # Unthrottled unless a test says otherwise (Twilio's own pace is a segment a second).
        "delivery": {"segments_per_second": None, **settings.get("delivery", {})},
    }
    return TwilioGateway(TwilioSettings.model_validate(values))


async def send(gw: TwilioGateway, message: OutgoingMessage = MESSAGE):
    try:
        return await gw.send(message)
    finally:
        await gw.aclose()


# --- against Prism (Twilio's own API description) -----------------------------------------------


@pytest.mark.twilio_mock
def test_send_with_a_from_number_passes_twilios_own_api_description(twilio_mock_url: str) -> None:
    accepted = asyncio.run(send(gateway(twilio_mock_url)))
    assert accepted.provider_id and accepted.provider_id.startswith("SM")
    assert accepted.status == "queued"


@pytest.mark.twilio_mock
def test_send_with_a_messaging_service_and_status_callback(twilio_mock_url: str) -> None:
    gw = gateway(
        twilio_mock_url,
        from_number=None,
        messaging_service_sid="MG" + "b" * 32,
        status_callback="https://sms.example.org/twilio/status",
    )
    accepted = asyncio.run(send(gw))
    assert accepted.provider_id and accepted.provider_id.startswith("SM")


@pytest.mark.twilio_mock
def test_a_request_twilio_would_reject_is_a_permanent_error(twilio_mock_url: str) -> None:
    # Bypass our own validation to show what the API description says of a malformed SID.
    settings = TwilioSettings.model_construct(
        account_sid=ACCOUNT_SID,
        auth_token=SecretStr(AUTH_TOKEN),
        from_number=None,
        messaging_service_sid="not-a-service",
        status_callback=None,
        base_url=twilio_mock_url,
        delivery=DeliveryPolicy(),
    )
    with pytest.raises(PermanentGatewayError) as caught:
        asyncio.run(send(TwilioGateway(settings)))
    assert caught.value.status == 422


# --- against the scripted Twilio-like server -------------------------------------------------


def test_the_request_carries_what_twilio_needs(twilio_like: TwilioLikeServer) -> None:
    gw = gateway(twilio_like.url, status_callback="https://sms.example.org/status")
    accepted = asyncio.run(send(gw))
    (request,) = twilio_like.recorded.accepted
    assert request == {
        "To": "+8613800138000",
        "Body": "【测试】节日廉洁提醒",
        "From": "+15005550006",
        "StatusCallback": "https://sms.example.org/status",
    }
    assert accepted.provider_id == f"SM{1:032x}"


@pytest.mark.parametrize(
    ("reply", "kind", "code"),
    [
        (
            Reply(400, 21211, "The 'To' number +8613800138000 is not a valid phone number."),
            PermanentGatewayError,
            "21211",
        ),
        (
            Reply(400, 21610, "Attempt to send to unsubscribed recipient"),
            PermanentGatewayError,
            "21610",
        ),
        (Reply(400, 30005, "Unknown destination handset"), PermanentGatewayError, "30005"),
        (Reply(400, 30006, "Landline or unreachable carrier"), PermanentGatewayError, "30006"),
        (Reply(400, 30007, "Message filtered"), PermanentGatewayError, "30007"),
        (Reply(429, 20429, "Too Many Requests"), TransientGatewayError, "20429"),
        (Reply(400, 30001, "Queue overflow"), TransientGatewayError, "30001"),
        (Reply(400, 30003, "Unreachable destination handset"), TransientGatewayError, "30003"),
        (Reply(400, 30008, "Unknown error"), TransientGatewayError, "30008"),
        (Reply(503, 20503, "Service unavailable"), TransientGatewayError, "20503"),
        (Reply(500, None, "Internal error"), TransientGatewayError, "http-500"),
        (Reply(401, 20003, "Authenticate"), GatewayStoppedError, "20003"),
    ],
)
def test_twilio_errors_become_typed_errors_with_twilios_code(
    twilio_like: TwilioLikeServer, reply: Reply, kind: type, code: str
) -> None:
    twilio_like.script.append(reply)
    with pytest.raises(kind) as caught:
        asyncio.run(send(gateway(twilio_like.url)))
    assert type(caught.value) is kind
    assert caught.value.code == code
    assert "+8613800138000" not in str(caught.value), "numbers in provider errors are masked"


def test_no_answer_is_a_transient_error() -> None:
    with pytest.raises(TransientGatewayError) as caught:
        asyncio.run(send(gateway(f"http://127.0.0.1:{free_port()}")))
    assert caught.value.code == "network"


def test_the_request_timeout_is_a_delivery_setting_of_a_few_seconds() -> None:
    assert gateway("http://127.0.0.1:9").settings.delivery.request_timeout_seconds == 5
    with pytest.raises(ValidationError, match=r"timeout is now delivery\.request_timeout_seconds"):
        gateway("http://127.0.0.1:9", timeout=15)


def test_secrets_are_masked_in_repr() -> None:
    gw = gateway("http://127.0.0.1:9")
    assert AUTH_TOKEN not in repr(gw)
    assert "********" in repr(gw)


# --- dispatch through Twilio: retries and failures recorded in the store ---------------------


def _plan(tmp_path: Path, count: int):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    now = datetime(2027, 2, 1, 0, 30, tzinfo=UTC)
    store.add_planned_batches(
        [[planned(i, date(2027, 2, 1), phone=f"+86138001380{i:02d}") for i in range(count)]],
        now,
    )
    return store, FixedClock(now)


def test_dispatch_retries_transient_errors_and_fails_permanent_ones(
    tmp_path: Path, twilio_like: TwilioLikeServer
) -> None:
    store, clock = _plan(tmp_path, 3)
    # By number: a message waiting to retry gives its slot to the next one, so the requests
    # of different messages interleave.
    twilio_like.script_for.update(
        {
            "+8613800138000": [Reply(503, 20503, "Service unavailable"), Reply(201)],
            "+8613800138001": [
                Reply(400, 21211, "The 'To' number +8613800138001 is not a valid phone number.")
            ],
            "+8613800138002": [Reply(429, 20429, "Too Many Requests")] * 3,
        }
    )

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async def run():
        gw = gateway(twilio_like.url, delivery={"concurrency": 1, "max_attempts": 3})
        try:
            return await dispatch_occurrence(
                store,
                gw,
                clock,
                campaign="spring",
                push="daily",
                occurrence=date(2027, 2, 1),
                sleep=no_wait,
            )
        finally:
            await gw.aclose()

    result = asyncio.run(run())
    # Exponential backoff with jitter: attempt 1 waits 0.5–1 s, attempt 2 waits 1–2 s.
    assert len(waits) == 3
    assert 0.5 <= waits[0] <= 1 and 0.5 <= waits[1] <= 1 and 1 <= waits[2] <= 2
    assert (result.sent, result.failed) == (1, 2)
    first, second, third = sorted(store.messages(), key=lambda m: m.id)
    assert (first.status, first.attempts, first.provider_id) == ("sent", 2, f"SM{1:032x}")
    assert (second.status, second.attempts, second.error_code) == ("failed", 1, "21211")
    assert "+86 138****8001" in second.error_text and "+8613800138001" not in second.error_text
    assert (third.status, third.attempts, third.error_code) == ("failed", 3, "20429")
    assert [e.status for e in events(store, third.id)] == [
        "planned",
        "sending",
        "sending",
        "sending",
        "failed",
    ]
    assert len(twilio_like.recorded.accepted) == 1
    store.close()


@pytest.mark.twilio_mock
@freeze_time("2027-01-30 02:00:00")  # 10:00 in Shanghai, outside the quiet hours
def test_cli_send_through_twilio_to_the_mock(
    cli: Any, sample: Path, twilio_mock_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    (sample / "config.yaml").write_text(
        "gateway: twilio\ngateways:\n  twilio:\n"
        f"    account_sid: {ACCOUNT_SID}\n    auth_token: ${{TWILIO_AUTH_TOKEN}}\n"
        f"    from_number: '+15005550006'\n    base_url: {twilio_mock_url}\n"
        "    delivery: {segments_per_second: null}\n"
        "approval: {required: false}\n",  # approval: tests/integration/test_approval.py
        encoding="utf-8",
    )
    result = cli(
        "--config",
        sample / "config.yaml",
        "send",
        "spring-festival",
        "--date",
        "2027-01-30",
        "--push",
        "family-greeting",
        "--yes",
        "--json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["planned"], report["sent"], report["failed"]) == (29, 29, 0)
    assert AUTH_TOKEN not in result.output
