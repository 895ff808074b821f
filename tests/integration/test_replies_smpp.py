"""End to end through the SMPP test SMSC (the npm `smpp` package's server): a push asks, scripted
phones answer with mobile-originated deliver_sm on the bind (收到, １, ' 1 。', 退订, hello,
nothing), and the next day's follow-up goes to exactly the silent and unmatched ones.

An SMPP message from a phone carries no id of its own, so a repeat is recognised by its number,
text and minute (`reminder.delivery.inbound.repeat_key`): within a minute it counts once, a
minute later it is a new reply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reminder.clock import FixedClock
from reminder.delivery.gateways.base import Gateway, Inbound
from reminder.delivery.gateways.smpp import SmppGateway, SmppSettings
from reminder.delivery.sink import StoreSink
from reminder.store import open_store
from tests.factories import DAYTIME, ProjectFiles, cadre, push
from tests.support.smsc import PASSWORD, SYSTEM_ID, Smsc

pytestmark = pytest.mark.smsc

ACK = {"keywords": ["收到", "1"], "within": "24h"}
ANSWERS = {1: "收到", 2: "１", 3: " 1 。", 4: "退订", 5: "hello"}  # 6 stays silent


class CountingSink(StoreSink):
    """A StoreSink that counts the replies it took, so the test knows when all have arrived."""

    taken = 0

    async def take_inbound(self, gateway: Gateway, messages: Sequence[Inbound]) -> None:
        await super().take_inbound(gateway, messages)
        self.taken += len(messages)


def smpp_config(port: int) -> dict[str, Any]:
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "system_id": SYSTEM_ID,
        "password": "${SMPP_PASSWORD}",
        "source_addr": "10690001",
        "delivery": {"messages_per_second": None},
    }
    return {"gateway": "smpp", "gateways": {"smpp": settings}, "approval": {"required": False}}


def answer_on_the_bind(smsc: Smsc, database: Path, clock: FixedClock) -> None:
    """Bind as the daemon would, let the phones answer, and wait until every MO was taken."""
    gw = SmppGateway(
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
    store = open_store(f"sqlite:///{database}")
    sink = CountingSink(store, clock)
    gw.attach(sink)

    async def until(count: int) -> None:
        deadline = time.monotonic() + 20
        while sink.taken < count:
            assert time.monotonic() < deadline, f"{sink.taken} of {count} replies taken"
            await asyncio.sleep(0.02)

    async def answers() -> None:
        try:
            gw.session.start()
            for i, text in ANSWERS.items():
                smsc.mo(f"86138001300{i:02d}", text)
            smsc.mo("8613800130001", "收到")  # the SMSC sends it again within the minute
            smsc.mo("8613800130005", "hello")
            await until(len(ANSWERS) + 2)
            clock.advance(timedelta(minutes=3))  # the same words three minutes later
            smsc.mo("8613800130005", "hello")
            await until(len(ANSWERS) + 3)
        finally:
            await gw.aclose()

    try:
        asyncio.run(answers())
    finally:
        store.close()


def test_phones_answer_over_smpp_and_the_follow_up_goes_to_the_silent_ones(
    cli: Any, files: ProjectFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMPP_PASSWORD", PASSWORD)
    again = push("again", audience={"not_acknowledged": "daily", "after": "24h"})
    with Smsc(tmp_path / "smsc.jsonl", delay_ms=5) as smsc:
        files.write(
            contacts=[cadre(i) for i in range(1, 7)],
            campaign={
                "id": "test",
                "name": "测试活动",
                "festival": "spring_festival",
                "window": {"start": "2027-01-30", "end": "2027-02-20"},
                "pushes": [push(ack=ACK), again],
            },
            templates={"daily.j2": "{{ contact.name }}：节日廉洁提醒。{{ ack | default('') }}"},
            config=smpp_config(smsc.port),
        )
        config = files.config_path
        sent = cli.at(DAYTIME)("--config", config, "send", "test", "--push", "daily", "--yes")
        assert sent.exit_code == 0, sent.output
        assert len(smsc.messages()) == 6
        assert all(m["body"].endswith("回复收到确认") for m in smsc.messages())

        answer_on_the_bind(smsc, files.database, FixedClock(DAYTIME + timedelta(hours=1)))

        store = open_store(f"sqlite:///{files.database}")
        try:
            found = sorted(
                (r.sender[-1], r.outcome, r.contact_id, r.gateway) for r in store.replies()
            )
            suppressed = [s.number for s in store.suppressions()]
            statuses = {m.status for m in store.messages()}
        finally:
            store.close()
        assert found == [
            ("1", "acknowledged", "c001", "smpp"),  # its repeat within the minute: once
            ("2", "acknowledged", "c002", "smpp"),
            ("3", "acknowledged", "c003", "smpp"),
            ("4", "opted_out", None, "smpp"),
            ("5", "unmatched", None, "smpp"),
            ("5", "unmatched", None, "smpp"),  # the same words three minutes later
        ]
        assert suppressed == ["+8613800130004"]
        assert statuses == {"sent"}, "no status moved back"

        next_day = cli.at(DAYTIME + timedelta(days=1))
        followed = next_day("--config", config, "send", "test", "--push", "again", "--yes")
        assert followed.exit_code == 0, followed.output
        store = open_store(f"sqlite:///{files.database}")
        try:
            again_rows = {m.contact_id: m.status for m in store.messages() if m.push == "again"}
        finally:
            store.close()
        assert again_rows == {"c004": "skipped", "c005": "sent", "c006": "sent"}
        assert {m["to"] for m in smsc.messages()[6:]} == {"+8613800130005", "+8613800130006"}
