"""Batch submission through Aliyun: personalised messages through the Aliyun fake (in a
process of its own, `latency` seconds an answer) by the engine's Dispatcher, the gateway as it
is (`max_batch` 100: SendBatchSms) against the same gateway limited to one message a request,
at the same concurrency. The goal: batched ≥ 5× the messages a second.

The ratio measures the dispatcher as much as the gateway: a dispatcher that hands the gateway
one message at a time reads about 1× whatever the gateway could take.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

from reminder.clock import SystemClock
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.gateways.aliyun import AliyunGateway, AliyunSettings
from reminder.inputs.config import load_config
from reminder.inputs.project import load_project
from reminder.planning.plan import plan_streaming
from reminder.store import Selection, open_store

ROOT = Path(__file__).resolve().parents[1]
TEXT = "${name}同志：今天是廉洁提醒第${day}天。【案例警示】${case}。"
KEY_ID, SECRET = "LTAI-test-key-id", "test-access-key-secret-not-real"  # the fake's


class OneByOne(AliyunGateway):
    """The same gateway, one message a request."""

    max_batch: ClassVar[int] = 1


def gateway(cls: type[AliyunGateway], url: str, concurrency: int) -> AliyunGateway:
    return cls(
        AliyunSettings.model_validate(
            {
                "access_key_id": KEY_ID,
                "access_key_secret": SECRET,
                "endpoint": url,
                "sign_name": "基准测试",
                "templates": {
                    "daily.j2": {
                        "code": "SMS_BENCH",
                        "text": TEXT,
                        "params": {"name": "contact_name", "day": "day", "case": "case_title"},
                    }
                },
                "delivery": {
                    "concurrency": concurrency,
                    "messages_per_second": None,
                    "request_timeout_seconds": 30,
                },
            }
        )
    )


def counts(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url + "/", timeout=10) as answer:
        result: dict[str, int] = json.loads(answer.read())
        return result


def dispatch(folder: Path, count: int, name: str, gw: AliyunGateway) -> tuple[float, int]:
    """Plan `count` messages and dispatch them through `gw`: (seconds, messages sent)."""
    from bench.workload import write_project

    config = load_config(write_project(folder / name, count, "gateway: aliyun\n"))
    store = open_store(config.database_url)
    plan_streaming(load_project(config), store, "bench", "daily", _day(), SystemClock())

    async def run() -> DispatchResult:
        try:
            return await Dispatcher(store, gw, SystemClock(), per_number_cap=None).run(
                Selection("bench")
            )
        finally:
            await gw.aclose()

    start = time.perf_counter()
    result = asyncio.run(run())
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, result.sent


def bench_aliyun(sizes: dict[str, Any], folder: Path, latency: float) -> list[Any]:
    """One row: batched messages a second over one-a-request messages a second."""
    from bench.run import Row

    count, concurrency = sizes["dispatch"], sizes["concurrency"]
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.aliyun_fake",
            json.dumps({"SMS_BENCH": TEXT}),
            str(latency),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        url = fake.stdout.readline().strip()
        seconds = {}
        for name, cls in (("one", OneByOne), ("batched", AliyunGateway)):
            before = counts(url)
            elapsed, sent = dispatch(
                folder, count, f"aliyun-{name}", gateway(cls, url, concurrency)
            )
            after = counts(url)
            assert sent == count and after["accepted"] - before["accepted"] == count
            seconds[name] = elapsed
            print(
                f"aliyun {name}: {count} messages in {after['requests'] - before['requests']} "
                f"requests, {elapsed:.1f} s",
                flush=True,
            )
    finally:
        fake.kill()
        fake.wait()
    batched, single = count / seconds["batched"], count / seconds["one"]
    return [
        Row(
            f"aliyun batched, {latency * 1000:.0f} ms, c={concurrency}",
            batched,
            "m/s",
            "one a request",
            single,
            batched / single,
            ">= 5",
        )
    ]


def _day() -> Any:
    from datetime import date

    return date(2027, 2, 1)
