"""The SMPP gateway against an SMSC that is not ours: `tests/support/smsc` runs the npm `smpp`
package's server on 127.0.0.1, scripted to accept, throttle, reject, stay silent, drop the
connection, and send delivery receipts and messages from phones on the bind."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher
from reminder.delivery.gateways.base import OutgoingMessage
from reminder.delivery.gateways.smpp import SmppGateway, SmppSettings
from reminder.delivery.sink import StoreSink
from reminder.errors import (
    AmbiguousGatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TransientGatewayError,
)
from reminder.status import Status
from reminder.store import Selection, Store, open_store
from tests.factories import planned
from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc
from tests.support.stores import get

pytestmark = pytest.mark.smsc

NOW = datetime(2027, 1, 30, 2, 0, tzinfo=UTC)
DAY = date(2027, 1, 30)
T = TypeVar("T")


@pytest.fixture
def smsc(tmp_path: Path) -> Iterator[Smsc]:
    with Smsc(tmp_path / "smsc.jsonl", delay_ms=5) as running:
        yield running


def gateway(smsc: Smsc, **settings: Any) -> SmppGateway:
    delivery = {"messages_per_second": None, "retry_base_seconds": 0.01, "retry_max_seconds": 0.05}
    values = {
        "host": "127.0.0.1",
        "port": smsc.port,
        "system_id": SYSTEM_ID,
        "password": PASSWORD,
        "source_addr": "10690001",
        "reconnect_base_seconds": 0.05,
        **settings,
        "delivery": {**delivery, **settings.get("delivery", {})},
    }
    return SmppGateway(SmppSettings.model_validate(values))


def message(number: int, body: str = "【测试】节日廉洁提醒") -> OutgoingMessage:
    return OutgoingMessage(
        number,
        "spring",
        "daily",
        DAY,
        f"c{number:03d}",
        f"+86138001{number:05d}",
        body,
        1,
        "daily.j2",
    )


def run(gw: SmppGateway, work: Callable[[], Awaitable[T]]) -> T:
    async def go() -> T:
        try:
            return await work()
        finally:
            await gw.aclose()

    return asyncio.run(go())


async def until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    """Let the loop run (receipts arrive on it) until `condition` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def store_with(tmp_path: Path, bodies: list[str]) -> Store:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    store.add_planned_batches([[planned(i, DAY, body) for i, body in enumerate(bodies)]], NOW)
    return store


# --- sending ------------------------------------------------------------------------------------


def test_a_long_chinese_message_arrives_as_ucs2_parts_joined_by_udh(smsc: Smsc) -> None:
    body = "【测试纪委】" + "春节将至，请严守廉洁纪律，不收受礼品礼金。" * 8  # 174 characters
    gw = gateway(smsc)
    accepted = run(gw, lambda: gw.send(message(1, body)))
    parts = smsc.parts()
    assert len(parts) == 3
    assert {p.data_coding for p in parts} == {8}, "UCS-2"
    assert {p.esm_class & 0x40 for p in parts} == {0x40}, "UDH indicator set"
    assert [p.udh[1:] for p in parts if p.udh] == [(3, 1), (3, 2), (3, 3)]
    assert len({p.udh[0] for p in parts if p.udh}) == 1, "one 8-bit reference"
    assert [len(p.text) for p in parts] == [67, 67, 40]
    assert "".join(p.text for p in parts) == body
    assert {p.registered_delivery for p in parts} == {1}, "receipts requested"
    assert accepted.provider_id == parts[0].id, "the first part's id"
    assert smsc.messages() == [{"to": "+8613800100001", "body": body, "id": parts[0].id}]


def test_a_short_message_is_one_part_without_udh(smsc: Smsc) -> None:
    gw = gateway(smsc)
    run(gw, lambda: gw.send(message(1, "【测试】" + "字" * 66)))  # 70 characters
    (part,) = smsc.parts()
    assert part.udh is None and part.data_coding == 8 and part.sender == "10690001"


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (0x58, TransientGatewayError, "ESME_RTHROTTLED"),
        (0x14, TransientGatewayError, "ESME_RMSGQFUL"),
        (0x0B, PermanentGatewayError, "ESME_RINVDSTADR"),
        (0x45, TransientGatewayError, "ESME_RSUBMITFAIL"),
        (0x0401, PermanentGatewayError, "0x00000401"),
    ],
)
def test_command_status_classes(smsc: Smsc, status: int, error: type, code: str) -> None:
    smsc.fail(status)
    gw = gateway(smsc)
    with pytest.raises(error) as raised:
        run(gw, lambda: gw.send(message(1)))
    assert raised.value.code == code
    assert smsc.parts() == []


def test_a_rejected_number_fails_for_good_through_the_dispatcher(
    smsc: Smsc, tmp_path: Path
) -> None:
    store = store_with(tmp_path, ["【测试】一", "【测试】二"])
    smsc.reject("8613800100000", 0x0B)
    gw = gateway(smsc)
    result = run(gw, lambda: Dispatcher(store, gw, FixedClock(NOW)).run(Selection("spring")))
    assert (result.sent, result.failed) == (1, 1)
    failed = [m for m in store.messages() if m.status == Status.failed.value]
    assert [m.error_code for m in failed] == ["ESME_RINVDSTADR"]


def test_throttling_slows_down_and_every_message_goes_once(smsc: Smsc, tmp_path: Path) -> None:
    store = store_with(tmp_path, [f"【测试】第{i}条" for i in range(12)])
    smsc.throttle(8)
    gw = gateway(smsc)
    result = run(gw, lambda: Dispatcher(store, gw, FixedClock(NOW)).run(Selection("spring")))
    assert result.sent == 12 and result.failed == 0
    bodies = [m["body"] for m in smsc.messages()]
    assert sorted(bodies) == sorted(f"【测试】第{i}条" for i in range(12))
    attempts = sum(m.attempts for m in store.messages())
    assert attempts >= 12 + 8 - 1, "each throttled request was counted and retried"


def test_the_window_bounds_outstanding_requests(smsc: Smsc) -> None:
    smsc.command("delay", ms=30)
    gw = gateway(smsc, window=3)

    async def many() -> None:
        await asyncio.gather(*(gw.send(message(i)) for i in range(12)))

    run(gw, many)
    stats = smsc.stats()
    assert stats["accepted"] == 12
    assert stats["max_outstanding"] == 3


def test_an_answer_that_never_comes_is_ambiguous_and_the_bind_goes_on(smsc: Smsc) -> None:
    smsc.silence(1)
    gw = gateway(smsc, delivery={"request_timeout_seconds": 0.3})

    async def two() -> tuple[Exception | None, str | None]:
        try:
            await gw.send(message(1))
        except AmbiguousGatewayError as exc:
            lost: Exception | None = exc
        else:
            lost = None
        return lost, (await gw.send(message(2))).provider_id

    lost, second = run(gw, two)
    assert isinstance(lost, AmbiguousGatewayError) and lost.code == "no-answer"
    assert second is not None
    assert [p.silent for p in smsc.parts()] == [True, False], "the SMSC had taken the first"


def test_it_binds_again_after_the_smsc_drops_the_connection(smsc: Smsc) -> None:
    gw = gateway(smsc)

    async def across_a_drop() -> list[str | None]:
        first = await gw.send(message(1))
        smsc.drop()
        await until(lambda: gw.session.binds == 2 or not gw.session._bound, "the drop")
        second = await gw.send(message(2))
        return [first.provider_id, second.provider_id]

    ids = run(gw, across_a_drop)
    assert all(ids) and len(set(ids)) == 2
    assert smsc.stats()["binds"] == 2
    assert len(smsc.parts()) == 2


def test_enquire_link_keeps_the_bind_alive(smsc: Smsc) -> None:
    gw = gateway(smsc, enquire_link_seconds=0.05)

    async def idle() -> None:
        await gw.send(message(1))
        await until(lambda: smsc.stats()["enquire_links"] >= 3, "enquire_link")

    run(gw, idle)
    assert smsc.stats()["binds"] == 1


def test_a_wrong_password_stops_the_gateway_and_sends_nothing(smsc: Smsc) -> None:
    gw = gateway(smsc, password="wrong")
    with pytest.raises(GatewayStoppedError) as raised:
        run(gw, lambda: gw.send(message(1)))
    assert raised.value.code == "ESME_RINVPASWD"
    assert "smpp" in str(raised.value) and "gateways.smpp.password" in str(raised.value)
    assert "wrong" not in str(raised.value) and "********" in repr(gw)
    assert smsc.parts() == []


def test_no_smsc_listening_is_transient(tmp_path: Path) -> None:
    from tests.support.servers import free_port

    gw = SmppGateway(
        SmppSettings.model_validate(
            {
                "host": "127.0.0.1",
                "port": free_port(),
                "system_id": "x",
                "password": "y",
                "delivery": {"request_timeout_seconds": 0.3},
            }
        )
    )
    with pytest.raises(TransientGatewayError):
        run(gw, lambda: gw.send(message(1)))


# --- what arrives on the bind -------------------------------------------------------------------


def test_receipts_on_the_bind_move_messages_forward(smsc: Smsc, tmp_path: Path) -> None:
    store = store_with(tmp_path, [f"【测试】第{i}条" for i in range(5)])
    smsc.receipts("DELIVRD")
    clock = FixedClock(NOW)
    gw = gateway(smsc)
    sink = StoreSink(store, clock)
    gw.attach(sink)

    async def dispatch_and_listen() -> None:
        await Dispatcher(store, gw, clock).run(Selection("spring"))
        await until(lambda: sink.applied == 5, "five receipts")

    run(gw, dispatch_and_listen)
    assert {m.status for m in store.messages()} == {Status.delivered.value}
    assert sorted(m.provider_id or "" for m in store.messages()) == sorted(
        m["id"] for m in smsc.messages()
    )


def test_an_undelivered_receipt_carries_its_error_and_a_late_one_changes_nothing(
    smsc: Smsc, tmp_path: Path
) -> None:
    store = store_with(tmp_path, ["【测试】一"])
    clock = FixedClock(NOW)
    gw = gateway(smsc)
    sink = StoreSink(store, clock)
    gw.attach(sink)

    async def receipts() -> None:
        await Dispatcher(store, gw, clock).run(Selection("spring"))
        (sent,) = store.messages()
        assert sent.provider_id
        smsc.receipt(sent.provider_id, "UNDELIV", "012")
        await until(lambda: sink.applied == 1, "the first receipt")
        smsc.receipt(sent.provider_id, "DELIVRD")
        await until(lambda: sink.applied == 2, "the late receipt")

    run(gw, receipts)
    (done,) = store.messages()
    assert done.status == Status.undelivered.value
    assert done.error_code == "012"


def test_a_reply_to_opt_out_suppresses_the_sender(smsc: Smsc, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    gw = gateway(smsc)
    gw.attach(StoreSink(store, FixedClock(NOW)))

    async def replies() -> None:
        await gw.send(message(1))
        smsc.mo("8613800100001", "退订")
        smsc.mo("8613800100002", "谢谢提醒")
        await until(lambda: bool(store.suppressed(["+8613800100001"])), "the opt-out")

    run(gw, replies)
    assert store.suppressed(["+8613800100001", "+8613800100002"]).keys() == {"+8613800100001"}


def test_a_receipt_for_a_later_part_is_set_aside(smsc: Smsc, tmp_path: Path) -> None:
    store = store_with(tmp_path, ["【测试】" + "长" * 100])
    clock = FixedClock(NOW)
    gw = gateway(smsc)
    sink = StoreSink(store, clock, hold_seconds=0.2)
    gw.attach(sink)

    async def receipts() -> None:
        await Dispatcher(store, gw, clock).run(Selection("spring"))
        first, second = smsc.parts()
        smsc.receipt(second.id, "UNDELIV")
        smsc.receipt(first.id, "DELIVRD")
        await until(lambda: sink.applied == 1, "the first part's receipt")

    run(gw, receipts)
    (done,) = store.messages()
    assert done.status == Status.delivered.value
    assert sink.unmatched == 0, "the later part's receipt never reached the store"
    assert get(store, done.id or 0).provider_id == smsc.parts()[0].id
