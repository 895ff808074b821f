"""SMPP through the npm `smpp` SMSC (tests/support/smsc), a window of 10, 20 ms per answer.

Ours: the dispatcher and the `smpp` gateway sending planned messages from the store (claiming,
recording each acceptance) with concurrency 10 and a window of 10. The baseline: a bare client
of the same library, `aiosmpplib`'s own ESME, sending the same texts (split the same way, UCS-2
with UDH) with at most 10 submit_sm waiting for their answer, and nothing else. Both are
counted in submit_sm answered per second: the same parts of the same messages.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from pathlib import Path
from typing import Any

from aiosmpplib import ESME, NPI, TON, AbstractBroker, AbstractHook, PhoneNumber, SubmitSm
from aiosmpplib import SmppMessage as LibraryMessage
from aiosmpplib.utils import split_sms_udh

from bench.run import Row, planned_store, run_dispatch
from reminder.delivery.gateways.smpp import SmppGateway, SmppSettings
from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc

WINDOW = 10
DELAY_MS = 20
SUBMIT_SM_RESP = 0x80000004


def parts_of(body: str) -> int:
    """How many submit_sm a text takes (UCS-2, 67 characters a part when split)."""
    return 1 if len(body.encode("utf-16-be")) <= 140 else len(split_sms_udh(body, "ucs2", 1))


def engine(folder: Path, count: int, port: int) -> tuple[float, list[tuple[str, str]]]:
    """Seconds the dispatcher takes for `count` planned messages; their numbers and texts."""
    store = planned_store(folder, count, "smpp")
    work = [(m.recipient, m.body) for m in store.messages()]
    gateway = SmppGateway(
        SmppSettings.model_validate(
            {
                "host": "127.0.0.1",
                "port": port,
                "system_id": SYSTEM_ID,
                "password": PASSWORD,
                "source_addr": "10690001",
                "window": WINDOW,
                "delivery": {
                    "concurrency": WINDOW,
                    "messages_per_second": None,
                    "request_timeout_seconds": 30,
                },
            }
        )
    )
    started = time.perf_counter()
    result = run_dispatch(store, gateway)
    elapsed = time.perf_counter() - started
    store.close()
    assert result.sent == count, result
    return elapsed, work


class _Window(AbstractBroker, AbstractHook):
    """The bare client's queue and hook: at most `WINDOW` submit_sm unanswered."""

    def __init__(self, parts: int) -> None:
        self.queue: asyncio.Queue[LibraryMessage] = asyncio.Queue()
        self.slots = asyncio.Semaphore(WINDOW)
        self.parts = parts
        self.answered = 0
        self.done = asyncio.Event()

    async def enqueue(self, message: LibraryMessage) -> None:
        await self.queue.put(message)

    async def dequeue(self) -> LibraryMessage:
        return await self.queue.get()

    async def sending(self, smpp_message: LibraryMessage, pdu: bytes, client_id: str) -> None:
        if isinstance(smpp_message, SubmitSm):
            await self.slots.acquire()

    async def received(self, smpp_message: Any, pdu: bytes, client_id: str) -> None:
        if struct.unpack_from("!I", pdu, 4)[0] == SUBMIT_SM_RESP:
            self.slots.release()
            self.answered += 1
            if self.answered == self.parts:
                self.done.set()

    async def send_error(
        self, smpp_message: LibraryMessage, error: Exception, client_id: str
    ) -> None:
        raise RuntimeError(f"the bare client could not send: {error!r}")


def bare_client(work: list[tuple[str, str]], port: int) -> float:
    """Seconds `aiosmpplib`'s ESME takes for the same texts, window 10."""

    async def run() -> float:
        window = _Window(sum(parts_of(body) for _, body in work))
        esme = ESME(
            smsc_host="127.0.0.1",
            smsc_port=port,
            system_id=SYSTEM_ID,
            password=PASSWORD,
            broker=window,
            hook=window,
            log_level=logging.WARNING,
        )
        for number, body in work:
            await window.enqueue(
                SubmitSm(
                    short_message=body,
                    source=PhoneNumber("10690001", TON.UNKNOWN, NPI.UNKNOWN),
                    destination=PhoneNumber(number.lstrip("+"), TON.INTERNATIONAL, NPI.ISDN),
                    esm_class=0x40,
                    encoding="ucs2",
                    auto_message_payload=False,
                )
            )
        started = time.perf_counter()
        runner = asyncio.create_task(esme.start())
        await asyncio.wait_for(window.done.wait(), 600)
        elapsed = time.perf_counter() - started
        await esme.stop()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        return elapsed

    return asyncio.run(run())


def bench_smpp(count: int, folder: Path) -> list[Row]:
    """Ours against the bare client, each against a fresh SMSC answering in 20 ms."""
    with Smsc(folder / "smsc-engine.jsonl", delay_ms=DELAY_MS) as smsc:
        ours, work = engine(folder, count, smsc.port)
    parts = sum(parts_of(body) for _, body in work)
    with Smsc(folder / "smsc-bare.jsonl", delay_ms=DELAY_MS) as smsc:
        bare = bare_client(work, smsc.port)
        assert smsc.stats()["accepted"] == parts
    return [
        Row(
            f"smpp: {count} messages, window 10 (parts/s)",
            parts / ours,
            "/s",
            "aiosmpplib ESME",
            parts / bare,
            bare / ours,
            ">= 0.8",
        ),
        Row(f"smpp: {count} messages (messages/s)", count / ours, "/s", "parts", parts, 0, "info"),
    ]
