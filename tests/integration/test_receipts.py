"""`reminder serve`'s app on a real HTTP server on 127.0.0.1: signed Twilio status callbacks,
shuffled and duplicated, leave every message in its true final state; forged and unsigned
requests are rejected and change nothing; STOP and 退订 replies suppress the sender. Polling
(`reminder sync`) reaches every message not final yet, however many never settle."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from sqlalchemy import update
from twilio.request_validator import RequestValidator

from reminder.clock import FixedClock, SystemClock
from reminder.delivery.gateways.base import (
    Accepted,
    Gateway,
    GatewaySettings,
    OutgoingMessage,
    Receipt,
)
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.delivery.receipt_server import ReceiptServer
from reminder.delivery.receipts import sync
from reminder.status import Status
from reminder.store import Store, open_store
from reminder.store.sql.tables import MESSAGE
from tests.factories import planned
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, free_port
from tests.support.stores import add_planned, claim, events, get

PUBLIC = "https://sms.example.org"
SIGNER = RequestValidator(AUTH_TOKEN)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    twilio = TwilioGateway(
        TwilioSettings.model_validate(
            {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": "+15005550006"}
        )
    )
    app = ReceiptServer(store, SystemClock(), {"twilio": twilio}, PUBLIC).app
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def post(
    client: httpx.Client, base: str, path: str, params: dict[str, str], signature: str | None
) -> httpx.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return client.post(base + path, content=urlencode(params), headers=headers)


def signed(path: str, params: dict[str, str]) -> str:
    return SIGNER.compute_signature(PUBLIC + path, params)


def plan_sent(store: Store, count: int) -> dict[str, int]:
    now = datetime(2027, 1, 30, 0, 30, tzinfo=UTC)
    ids = add_planned(
        store,
        [planned(i, date(2027, 1, 30)) for i in range(count)],
        now,
    )
    sids = {}
    for i, message_id in enumerate(ids):
        claim(store, message_id, "twilio", now)
        sid = f"SM{i:032x}"
        store.transition(
            message_id,
            Status.sent,
            now,
            source="gateway",
            fields={"provider_id": sid, "sent_at": now},
        )
        sids[sid] = message_id
    return sids


def test_shuffled_and_duplicated_callbacks_end_in_the_true_state(
    served: tuple[str, Store],
) -> None:
    base, store = served
    rng = random.Random(42)
    sids = plan_sent(store, 150)
    truth = {sid: rng.choice(["delivered", "delivered", "undelivered", "failed"]) for sid in sids}
    callbacks = []
    for sid, final in truth.items():
        for status in ("queued", "sent", final):
            params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "a" * 32}
            if status in ("undelivered", "failed"):
                params["ErrorCode"] = "30003" if status == "undelivered" else "30007"
            callbacks.append(params)
    while len(callbacks) < 1000:
        callbacks.append(dict(rng.choice(callbacks)))  # duplicates
    rng.shuffle(callbacks)
    forged = [{**c, "MessageStatus": "delivered"} for c in callbacks[:50]]

    with httpx.Client(timeout=10) as client:
        for params in callbacks:
            response = post(
                client, base, "/twilio/status", params, signed("/twilio/status", params)
            )
            assert response.status_code == 204
        for params in forged:
            bad = post(client, base, "/twilio/status", params, "Zm9yZ2Vk")
            missing = post(client, base, "/twilio/status", params, None)
            resigned = post(
                client,
                base,
                "/twilio/status",
                params,
                RequestValidator("wrong-token").compute_signature(
                    PUBLIC + "/twilio/status", params
                ),
            )
            assert {bad.status_code, missing.status_code, resigned.status_code} == {403}

    for sid, message_id in sids.items():
        message = get(store, message_id)
        assert message.status == truth[sid], sid
        if truth[sid] != "delivered":
            assert message.error_code in ("30003", "30007")
    receipts = sum(
        1
        for message_id in sids.values()
        for event in events(store, message_id)
        if event.source == "callback"
    )
    assert receipts == 1000, "every accepted receipt is an event, forged ones are not"


def test_inbound_stop_words_suppress_the_sender(served: tuple[str, Store]) -> None:
    base, store = served
    with httpx.Client(timeout=10) as client:
        for sender, body in (
            ("+8613800100001", "STOP"),
            ("+8613800100002", " 退订 "),
            ("+8613800100003", "谢谢提醒"),
        ):
            params = {"From": sender, "Body": body, "To": "+15005550006"}
            response = post(
                client, base, "/twilio/inbound", params, signed("/twilio/inbound", params)
            )
            assert response.status_code == 200
            assert response.text == "<Response/>"
        forged = {"From": "+8613800100004", "Body": "STOP"}
        assert post(client, base, "/twilio/inbound", forged, "x").status_code == 403
    assert {s.number for s in store.suppressions()} == {"+8613800100001", "+8613800100002"}
    assert all(s.source == "inbound" for s in store.suppressions())
    kept = {(r.sender, r.text, r.outcome, r.gateway) for r in store.replies()}
    assert kept == {
        ("+8613800100001", "STOP", "opted_out", "twilio"),
        ("+8613800100002", " 退订 ", "opted_out", "twilio"),
        ("+8613800100003", "谢谢提醒", "unmatched", "twilio"),
    }, "every reply is kept, the forged one is not"


def test_health_and_unknown_paths(served: tuple[str, Store]) -> None:
    base, _ = served
    with httpx.Client(timeout=10) as client:
        assert client.get(base + "/healthz").status_code == 200
        assert client.post(base + "/elsewhere").status_code == 404


# --- `reminder sync`: polling every message that is not final yet -----------------------------


class PollOnly(Gateway):
    """A provider that can only be polled: it records which messages it was asked about and
    answers "delivered" for some and `still` for the rest ("sent": not final; None: it has
    nothing to say, which writes nothing and keeps a test of thousands quick)."""

    name: ClassVar[str] = "poll-only"
    can_poll: ClassVar[bool] = True
    status_words: ClassVar[dict[str, Status]] = {
        "sent": Status.sent,
        "delivered": Status.delivered,
    }

    def __init__(self, delivered: set[str], still: str | None = "sent") -> None:
        super().__init__(GatewaySettings())
        self.delivered = delivered
        self.still = still
        self.asked: list[str] = []

    async def send(self, message: OutgoingMessage) -> Accepted:
        raise NotImplementedError

    async def fetch_status(self, provider_id: str) -> Receipt | None:
        self.asked.append(provider_id)
        if provider_id in self.delivered:
            return Receipt(provider_id, "delivered")
        return Receipt(provider_id, self.still) if self.still else None


def accepted_at(store: Store, sent_at: list[datetime]) -> list[str]:
    """One message sent at each of `sent_at` (ids in that order); their provider ids."""
    ids = add_planned(store, [planned(i, date(2027, 1, 30)) for i in range(len(sent_at))], SENT)
    with store.engine.begin() as connection:
        for message_id, moment in zip(ids, sent_at, strict=True):
            connection.execute(
                update(MESSAGE)
                .where(MESSAGE.c.id == message_id)
                .values(status="sent", provider_id=f"SM{message_id:032x}", sent_at=moment)
            )
    return [f"SM{message_id:032x}" for message_id in ids]


SENT = datetime(2027, 1, 30, 0, 30, tzinfo=UTC)


@pytest.mark.postgres
def test_sync_pages_through_every_unsettled_message_oldest_first(database_url: str) -> None:
    """Pages of 2 over 7 messages, sent_at ties across page boundaries, ids not in sent order:
    every one is polled once, oldest first; the oldest never settle and do not keep the newest
    from being polled; the next run asks only about those still not final."""
    minute = timedelta(minutes=1)
    moments = [SENT + 2 * minute, SENT, SENT, SENT, SENT + minute, SENT + minute, SENT + 2 * minute]
    with open_store(database_url) as store:
        sids = accepted_at(store, moments)
        oldest_first = [sid for _, sid in sorted(zip(moments, sids, strict=True))]
        never_final = set(oldest_first[:3])
        gateway = PollOnly(delivered=set(sids) - never_final)
        clock = FixedClock(SENT + timedelta(hours=1))
        result = asyncio.run(sync(store, gateway, clock, timedelta(minutes=30), page_size=2))
        assert gateway.asked == oldest_first
        assert (result.checked, result.moved, result.errors) == (7, 4, 0)
        assert {m.provider_id for m in store.messages(statuses=[Status.delivered])} == (
            set(sids) - never_final
        )
        gateway.asked.clear()
        asyncio.run(sync(store, gateway, clock, timedelta(minutes=30), page_size=2))
        assert gateway.asked == oldest_first[:3]


@pytest.mark.postgres
def test_sync_reaches_messages_past_the_first_thousand(database_url: str) -> None:
    """The run that polled only the 1,000 oldest: 1,000 never final, the 3 newest delivered."""
    with open_store(database_url) as store:
        sids = accepted_at(store, [SENT + timedelta(seconds=i) for i in range(1003)])
        gateway = PollOnly(delivered=set(sids[-3:]), still=None)
        clock = FixedClock(SENT + timedelta(hours=1))
        result = asyncio.run(sync(store, gateway, clock, timedelta(minutes=30)))
        assert (result.checked, result.moved) == (1003, 3)
        assert gateway.asked == sids
        assert sorted(m.provider_id for m in store.messages(statuses=[Status.delivered])) == sorted(
            sids[-3:]
        )
