"""The provider-neutral receipt server on a real HTTP server on 127.0.0.1: each gateway's
callbacks at `/receipts/{gateway}` and `/inbound/{gateway}` (Twilio's old paths still work), a
gateway written outside the package served like a built-in one, requests refused for the right
reasons, and a stalled database that neither blocks `/healthz` nor gets a request answered
before its receipt is written."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from twilio.request_validator import RequestValidator

from reminder.clock import FixedClock
from reminder.delivery.gateways.base import Gateway
from reminder.delivery.gateways.console import ConsoleGateway, ConsoleSettings
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.delivery.receipt_server import ReceiptServer
from reminder.status import Status
from reminder.store.values import Applied, ReceiptUpdate
from reminder.testing import InMemoryStore
from tests.factories import planned
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, serving
from tests.support.stores import add_planned, claim, get

ACME = Path(__file__).parents[1] / "support" / "acme"
PUBLIC = "https://sms.example.org"
NOW = datetime(2027, 1, 30, 1, 0, tzinfo=UTC)
DAY = date(2027, 1, 30)


def acme() -> Gateway:
    if str(ACME) not in sys.path:
        sys.path.insert(0, str(ACME))
    from acme_sms import AcmeGateway, AcmeSettings

    return AcmeGateway(AcmeSettings.model_validate({"secret": "acme-test-secret"}))


def twilio() -> TwilioGateway:
    return TwilioGateway(
        TwilioSettings.model_validate(
            {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": "+15005550006"}
        )
    )


class StallingStore(InMemoryStore):
    """An in-memory store whose receipt writes wait until `release` is set (a lock held by
    someone else), or fail while `broken` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self.broken = False

    def apply_receipts(self, updates: Sequence[ReceiptUpdate], now: datetime) -> list[Applied]:
        self.entered.set()
        self.release.wait(timeout=30)
        if self.broken:
            raise OSError("database unreachable")
        return super().apply_receipts(updates, now)


def sent_messages(store: InMemoryStore, count: int) -> list[str]:
    """`count` messages accepted by a provider; their provider ids."""
    ids = add_planned(store, [planned(i, DAY) for i in range(count)], NOW)
    for message_id in ids:
        claim(store, message_id, "twilio", NOW)
    store.record_sent([(i, f"P{i}", "accepted") for i in ids], NOW)
    return [f"P{i}" for i in ids]


@pytest.fixture
def store() -> StallingStore:
    return StallingStore()


@pytest.fixture
def base(store: StallingStore) -> Iterator[str]:
    gateways = {"twilio": twilio(), "acme": acme(), "console": ConsoleGateway(ConsoleSettings())}
    server = ReceiptServer(store, FixedClock(NOW), gateways, PUBLIC)
    with serving(server.app) as url:
        yield url


def twilio_post(base: str, path: str, form: dict[str, str], *, sign: bool = True) -> httpx.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sign:
        headers["X-Twilio-Signature"] = RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC + path, form
        )
    return httpx.post(base + path, content=urlencode(form), headers=headers)


def acme_post(base: str, path: str, items: Any, *, secret_ok: bool = True) -> httpx.Response:
    body = json.dumps(items).encode()
    signature = acme().sign(body) if secret_ok else "0" * 64  # type: ignore[attr-defined]
    return httpx.post(base + path, content=body, headers={"X-Acme-Signature": signature})


def test_twilio_receipts_at_the_new_path_and_the_old_alias(base: str, store: StallingStore) -> None:
    first, second = sent_messages(store, 2)
    new = twilio_post(base, "/receipts/twilio", {"MessageSid": first, "MessageStatus": "delivered"})
    old = twilio_post(base, "/twilio/status", {"MessageSid": second, "MessageStatus": "failed"})
    assert (new.status_code, old.status_code) == (204, 204)
    assert [m.status for m in store.messages()][::-1] == ["delivered", "failed"]
    signed_for_the_other_path = twilio_post(
        base, "/twilio/status", {"MessageSid": first, "MessageStatus": "sent"}, sign=False
    )
    assert signed_for_the_other_path.status_code == 403


def test_a_gateway_from_outside_the_package_is_served_like_twilio(
    base: str, store: StallingStore
) -> None:
    """Acme's JSON arrays, duplicated and out of order, end each message in its true state,
    and Acme hears the answer it expects."""
    ids = sent_messages(store, 3)
    storm = [
        {"msg_id": ids[0], "state": "DELIVRD"},
        {"msg_id": ids[1], "state": "UNDELIV", "err": "MK:0001"},
        {"msg_id": ids[0], "state": "ACCEPTED"},
        {"msg_id": ids[0], "state": "DELIVRD"},
        {"msg_id": "nobody", "state": "DELIVRD"},
    ]
    answer = acme_post(base, "/receipts/acme", storm)
    assert (answer.status_code, answer.json()) == (200, {"code": 0, "msg": "ok"})
    statuses = {m.provider_id: (m.status, m.error_code) for m in store.messages()}
    assert statuses == {
        ids[0]: ("delivered", None),
        ids[1]: ("undelivered", "MK:0001"),
        ids[2]: ("sent", None),
    }
    assert acme_post(base, "/receipts/acme", storm, secret_ok=False).status_code == 403
    number = "+8613800138000"
    assert acme_post(base, "/inbound/acme", [{"mobile": number, "content": "TD"}]).is_success
    assert number in store.suppressed([number])


def test_requests_refused_for_the_right_reason(base: str, store: StallingStore) -> None:
    (sid,) = sent_messages(store, 1)
    receipt = {"MessageSid": sid, "MessageStatus": "delivered"}
    assert twilio_post(base, "/receipts/nobody", receipt).status_code == 404
    assert twilio_post(base, "/receipts/console", receipt).status_code == 404, "no callbacks"
    assert httpx.get(base + "/receipts/twilio").status_code == 405
    big = twilio_post(base, "/receipts/twilio", {**receipt, "Pad": "x" * 70_000})
    assert big.status_code == 413
    assert twilio_post(base, "/receipts/twilio", {"MessageStatus": "sent"}).status_code == 400
    assert acme_post(base, "/receipts/acme", {"not": "an array"}).status_code == 400
    assert get(store, 1).status == "sent", "nothing refused changed anything"
    assert httpx.get(base + "/healthz").text == "ok"


def test_health_answers_while_the_database_stalls_and_receipts_wait_for_it(
    base: str, store: StallingStore
) -> None:
    (sid,) = sent_messages(store, 1)
    store.release.clear()
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(
            twilio_post, base, "/receipts/twilio", {"MessageSid": sid, "MessageStatus": "delivered"}
        )
        assert store.entered.wait(timeout=10), "the receipt reached the store"
        for _ in range(5):
            assert httpx.get(base + "/healthz", timeout=5).text == "ok"
        assert not pending.done(), "not answered before its receipt is written"
        assert get(store, 1).status == Status.sent
        store.release.set()
        assert pending.result(timeout=10).status_code == 204
    assert get(store, 1).status == Status.delivered


def test_a_database_failure_asks_the_provider_to_try_again(base: str, store: StallingStore) -> None:
    (sid,) = sent_messages(store, 1)
    receipt = {"MessageSid": sid, "MessageStatus": "delivered"}
    store.broken = True
    assert twilio_post(base, "/receipts/twilio", receipt).status_code == 503
    assert get(store, 1).status == "sent"
    store.broken = False
    assert twilio_post(base, "/receipts/twilio", receipt).status_code == 204
    assert get(store, 1).status == "delivered"
