"""What the SMPP gateway puts together from the bind, against the npm `smpp` SMSC: a long reply
sent in parts (UDH with an 8- or 16-bit reference, or sar_* parameters, in any order) reaches
the inbound path once, whole; a receipt whose `id:` is written in decimal while submit_sm_resp
gave hexadecimal (or the reverse) still moves its message — in the process that sent it, and in
a later one that did not."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from reminder.clock import FixedClock
from reminder.delivery.dispatch import Dispatcher
from reminder.delivery.gateways.base import Gateway, Inbound, Receipt
from reminder.delivery.gateways.smpp_parts import MessageIds, MoParts, concatenation, id_forms
from reminder.delivery.sink import StoreSink
from reminder.status import Status
from reminder.store import Selection
from tests.integration.test_smpp_gateway import NOW, gateway, message, run, store_with, until
from tests.support.smsc import Smsc

pytestmark = pytest.mark.smsc


@pytest.fixture
def smsc(tmp_path: Path) -> Iterator[Smsc]:
    with Smsc(tmp_path / "smsc.jsonl", delay_ms=5) as running:
        yield running


class Replies:
    """A sink that keeps the messages people sent, as the gateway hands them over."""

    def __init__(self) -> None:
        self.inbound: list[Inbound] = []

    async def take_receipts(self, gateway: Gateway, receipts: Sequence[Receipt]) -> None:
        pass

    async def take_inbound(self, gateway: Gateway, messages: Sequence[Inbound]) -> None:
        self.inbound.extend(messages)


LONG_REPLY = ["收到提醒，谢谢组织关心。", "本人春节期间不收受礼品礼金，", "请今后不要再发了，退订"]


@pytest.mark.parametrize(
    ("concat", "ref", "reverse"),
    [("udh", 7, False), ("udh", 200, True), ("udh16", 0x1234, False), ("sar", 0x0304, True)],
    ids=["udh8", "udh8-reversed", "udh16", "sar-reversed"],
)
def test_a_long_reply_reaches_the_inbound_path_once_and_whole(
    smsc: Smsc, concat: str, ref: int, reverse: bool
) -> None:
    gw = gateway(smsc)
    replies = Replies()
    gw.attach(replies)

    async def listen() -> None:
        await gw.send(message(1))
        smsc.mo_parts("8613800100001", LONG_REPLY, concat=concat, ref=ref, reverse=reverse)
        smsc.mo_parts("8613800100002", LONG_REPLY[:2], concat=concat, ref=ref)
        smsc.mo("8613800100003", "谢谢")
        await until(lambda: len(replies.inbound) == 3, "three whole replies")

    run(gw, listen)
    texts = {r.sender: r.text for r in replies.inbound}
    assert texts == {
        "+8613800100001": "".join(LONG_REPLY),
        "+8613800100002": "".join(LONG_REPLY[:2]),
        "+8613800100003": "谢谢",
    }


@pytest.mark.parametrize(
    ("submit", "receipt"),
    [("hex", "decimal"), ("decimal", "hex"), ("hex", "hex")],
    ids=["hex-then-decimal", "decimal-then-hex", "hex-padded-upper"],
)
def test_a_receipt_id_written_the_other_way_still_moves_its_message(
    smsc: Smsc, tmp_path: Path, submit: str, receipt: str
) -> None:
    smsc.ids(submit=submit, receipt=receipt)
    smsc.receipts("DELIVRD")
    store = store_with(tmp_path, [f"【测试】第{i}条" for i in range(4)])
    clock = FixedClock(NOW)
    gw = gateway(smsc)
    sink = StoreSink(store, clock, hold_seconds=0.5)
    gw.attach(sink)

    async def dispatch_and_listen() -> None:
        await Dispatcher(store, gw, clock).run(Selection("spring"))
        await until(lambda: sink.applied == 4, "four receipts")

    run(gw, dispatch_and_listen)
    assert {m.status for m in store.messages()} == {Status.delivered.value}
    assert sink.unmatched == 0


def test_a_later_process_matches_a_receipt_written_the_other_way(
    smsc: Smsc, tmp_path: Path
) -> None:
    """The process that sent is gone; the one bound now never saw the message's id."""
    smsc.ids(submit="hex", receipt="decimal")
    store = store_with(tmp_path, ["【测试】一", "【测试】二"])
    clock = FixedClock(NOW)
    first = gateway(smsc)
    run(first, lambda: Dispatcher(store, first, clock).run(Selection("spring")))
    sent = {m.provider_id for m in store.messages()}
    assert len(sent) == 2 and all(i and not i.isdigit() for i in sent), "hexadecimal ids"
    later = gateway(smsc)
    sink = StoreSink(store, clock, hold_seconds=0.2)
    later.attach(sink)

    async def listen() -> None:
        await later.send(message(9))  # binds
        for provider_id in sorted(i for i in sent if i):
            smsc.receipt(provider_id, "DELIVRD")
        await until(lambda: sink.applied == 2, "two receipts")

    run(later, listen)
    assert {m.status for m in store.messages()} == {Status.delivered.value}


# --- the pieces, without an SMSC ------------------------------------------------------------


def test_message_ids_read_either_way() -> None:
    ids = MessageIds(kept=2)
    ids.remember("5f3a0000")
    ids.remember("1597636609")
    assert ids.resolve("5f3a0000") == "5f3a0000"
    assert ids.resolve(str(0x5F3A0000)) == "5f3a0000"
    assert ids.resolve("5F3A0000") == "5f3a0000"
    assert ids.resolve("5F3A0001") == "1597636609"
    assert ids.resolve("42") is None
    ids.remember("abc")
    assert ids.resolve("5f3a0000") is None, "the oldest is forgotten"
    assert id_forms("5f3a0000") == (str(0x5F3A0000),)
    assert "5F3A0001" in id_forms("1597636609") and "5f3a0001" in id_forms("1597636609")


def test_parts_are_joined_in_order_and_unfinished_ones_are_bounded() -> None:
    parts = MoParts(kept=1)
    key = ("+8613800100001", "10690001", 7, 2)
    assert parts.add(key, 2, "b") is None
    assert parts.add(key, 1, "a") == "ab"
    parts.add(("+1", "x", 1, 3), 1, "x")
    parts.add(("+2", "x", 1, 3), 1, "y")
    assert parts.abandoned == 1
    # aiosmpplib's reading of a 16-bit reference: four bytes, the low two total and sequence
    tlvs = [(0x020C, 0x1234_0302), (0x020F, 2), (0x020E, 3)]
    assert concatenation(tlvs) == (0x1234, 3, 2)
    assert concatenation([(0x020C, 9), (0x020E, 1), (0x020F, 1)]) is None


def test_an_id_as_written_is_tried_before_this_processs_id_read_the_other_way(
    smsc: Smsc, tmp_path: Path
) -> None:
    """Decimal ids everywhere: this process sent "16"; a receipt for "10" (another process's
    message) is not read as hexadecimal 0x10 = 16 while "10" itself is a message."""
    import asyncio

    from sqlalchemy import create_engine, text

    store = store_with(tmp_path, ["【测试】一", "【测试】二"])
    engine = create_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE message SET status = 'sent', provider_id = '10' WHERE id = 1")
        )
        connection.execute(
            text("UPDATE message SET status = 'sent', provider_id = '16' WHERE id = 2")
        )
    engine.dispose()
    gw = gateway(smsc)
    gw._first_ids.remember("16")
    known = asyncio.run(gw._known(Receipt("10", "DELIVRD")))
    assert known is not None and known.provider_id == "10" and known.aliases[0] == "16"
    sink = StoreSink(store, FixedClock(NOW), hold_seconds=0)
    assert sink._apply(gw, [known]) == []
    status = {m.provider_id: m.status for m in store.messages()}
    assert status == {"10": Status.delivered.value, "16": Status.sent.value}
    gw._later_ids.remember("1a")  # a later part's id, written here in decimal (26)
    later = asyncio.run(gw._known(Receipt("26", "DELIVRD")))
    assert later is not None and later.later_part
    assert sink._apply(gw, [later]) == [], "dropped, not waited for"
