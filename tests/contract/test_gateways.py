"""One contract suite over every registered gateway (STYLE.md: a meta-test fails when a
registered gateway is missing from it)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from reminder.delivery.gateways.base import Accepted, Gateway, OutgoingMessage
from reminder.delivery.gateways.console import ConsoleGateway, ConsoleSettings
from reminder.delivery.gateways.file import FileGateway, FileSettings
from reminder.delivery.gateways.memory import MemoryGateway
from reminder.delivery.gateways.registry import available, gateway_class
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.errors import GatewayError
from tests.support.servers import ACCOUNT_SID, AUTH_TOKEN, TwilioLikeServer


@dataclass
class Harness:
    """A gateway under test and a way to read back what its peer received."""

    gateway: Gateway
    received: Callable[[], list[dict[str, str]]]


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
    yield Harness(gateway, lambda: [{"to": m.to, "body": m.body} for m in gateway.sent])


def _twilio(tmp_path: Path) -> Iterator[Harness]:
    with TwilioLikeServer() as server:
        gateway = TwilioGateway(
            TwilioSettings.model_validate(
                {
                    "account_sid": ACCOUNT_SID,
                    "auth_token": AUTH_TOKEN,
                    "messaging_service_sid": "MG" + "c" * 32,
                    "base_url": server.url,
                }
            )
        )
        yield Harness(
            gateway, lambda: [{"to": r["To"], "body": r["Body"]} for r in server.recorded.accepted]
        )


HARNESSES: dict[str, Callable[[Path], Iterator[Harness]]] = {
    "console": _console,
    "file": _file,
    "memory": _memory,
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
        assert got["body"] == "【测试】第7条提醒"


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
