"""The receipt storm: Twilio status callbacks, signed, shuffled and duplicated, 50 at a time,
against `reminder serve`'s server and against the server it replaced (`bench/receipt_app.py`),
each in its own process, on SQLite and on PostgreSQL (when one answers on 127.0.0.1:5432, or at
`$REMINDER_BENCH_DATABASE_URL`).

Each message gets the four callbacks Twilio can send (queued, sending, sent, then delivered for
nine in ten, undelivered for the rest); a tenth of the callbacks is sent twice, and all are
shuffled, so a later status often arrives before an earlier one. Measured: callbacks a second,
the 99th percentile of the answer time, messages not in their true final state afterwards
(status regressions), and the slowest `/healthz` answer while another connection holds the
database's write lock for three seconds (a stalled database call).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import create_engine, insert, select, text
from twilio.request_validator import RequestValidator

from bench.receipt_app import ACCOUNT, PUBLIC, TOKEN
from reminder.store import open_store
from reminder.store.sql.tables import MESSAGE

HERE = Path(__file__).resolve().parent
CONCURRENCY = 50
STALL_SECONDS = 3.0
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class StormResult:
    """What one storm against one server measured."""

    rate: float  # callbacks a second
    p99_ms: float
    failures: int  # answers other than 2xx
    regressions: int  # messages not in their true final state
    health_ms: float  # slowest /healthz during a stalled database call


@dataclass(frozen=True)
class Callback:
    """One signed callback, ready to post."""

    body: bytes
    signature: str


def finals(count: int, seed: int = 7) -> dict[str, str]:
    """Provider id → the message's true final word."""
    pick = random.Random(seed)
    return {
        f"SM{i:032x}": "delivered" if pick.random() < 0.9 else "undelivered" for i in range(count)
    }


def storm(truth: dict[str, str], path: str, limit: int | None = None) -> list[Callback]:
    """Every message's callbacks, a tenth twice, shuffled, signed for `path`."""
    pick = random.Random(11)
    forms = [
        {"AccountSid": ACCOUNT, "MessageSid": sid, "MessageStatus": word}
        for sid, final in truth.items()
        for word in ("queued", "sending", "sent", final)
    ]
    forms += pick.sample(forms, len(forms) // 10)
    pick.shuffle(forms)
    signer = RequestValidator(TOKEN)
    return [
        Callback(urlencode(form).encode(), signer.compute_signature(PUBLIC + path, form))
        for form in forms[:limit]
    ]


def seed_store(url: str, truth: dict[str, str]) -> None:
    """One `sent` message per provider id of `truth`."""
    open_store(url).close()
    now = datetime.now(UTC)
    engine = create_engine(url)
    rows = [
        {
            "campaign": "bench",
            "push": "daily",
            "occurrence": date(2027, 2, 1),
            "contact_id": f"c{i:07d}",
            "recipient": f"+86138{i:08d}",
            "body": "【测试】提醒",
            "segments": 1,
            "encoding": "UCS-2",
            "template": "daily.j2",
            "variables": {},
            "status": "sent",
            "attempts": 1,
            "provider_id": sid,
            "sent_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i, sid in enumerate(truth)
    ]
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(MESSAGE), rows[start : start + 5000])
    engine.dispose()


def regressions(url: str, truth: dict[str, str], sent: set[str]) -> int:
    """Messages whose every callback was posted but which are not in their true final state."""
    engine = create_engine(url)
    with engine.connect() as connection:
        found = dict(connection.execute(select(MESSAGE.c.provider_id, MESSAGE.c.status)).all())
    engine.dispose()
    return sum(1 for sid in sent if found.get(sid) != truth[sid])


async def fire(base: str, path: str, callbacks: list[Callback]) -> tuple[float, list[float], int]:
    """Post every callback, `CONCURRENCY` at a time: seconds, latencies, non-2xx answers."""
    latencies: list[float] = []
    failures = 0
    queue = iter(callbacks)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            for callback in queue:
                started = time.perf_counter()
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": callback.signature,
                }
                async with session.post(base + path, data=callback.body, headers=headers) as r:
                    await r.read()
                    if not 200 <= r.status < 300:
                        failures += 1
                latencies.append(time.perf_counter() - started)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - start, latencies, failures


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


@contextmanager
def stalled(url: str) -> Iterator[None]:
    """Another connection holds the write lock (SQLite) or locks the message table
    (PostgreSQL) for `STALL_SECONDS`, then lets go."""
    ready = threading.Event()

    def hold() -> None:
        if url.startswith("sqlite"):
            db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            ready.set()
            time.sleep(STALL_SECONDS)
            db.execute("ROLLBACK")
            db.close()
            return
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("LOCK TABLE message IN ACCESS EXCLUSIVE MODE"))
            ready.set()
            time.sleep(STALL_SECONDS)
        engine.dispose()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(10)
    try:
        yield
    finally:
        thread.join()


async def health_during_stall(base: str, path: str, callbacks: list[Callback], url: str) -> float:
    """The slowest of 20 `/healthz` answers while receipts wait on a stalled database."""
    slowest = 0.0
    with stalled(url):
        pending = asyncio.create_task(fire(base, path, callbacks))
        await asyncio.sleep(0.2)
        async with aiohttp.ClientSession() as session:
            for _ in range(20):
                started = time.perf_counter()
                async with session.get(base + "/healthz") as answer:
                    await answer.read()
                slowest = max(slowest, time.perf_counter() - started)
                await asyncio.sleep(0.05)
        await pending
    return slowest * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def receipt_server(url: str, mode: str) -> Iterator[str]:
    """`bench/receipt_app.py` in its own process; yields its base URL."""
    port = free_port()
    writers = "1" if url.startswith("sqlite") else os.environ.get("BENCH_WRITERS", "4")
    command = [sys.executable, "-m", "bench.receipt_app", "--url", url, "--port", str(port)]
    process = subprocess.Popen([*command, "--mode", mode, "--writers", writers], cwd=HERE.parent)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def best(results: list[StormResult]) -> StormResult:
    """The best rate and p99 of several rounds of one server; the worst of the rest."""
    return StormResult(
        max(r.rate for r in results),
        min(r.p99_ms for r in results),
        max(r.failures for r in results),
        max(r.regressions for r in results),
        max(r.health_ms for r in results),
    )


def run_storm(url: str, mode: str, count: int, limit: int | None) -> StormResult:
    """Seed `count` messages, post their storm (the first `limit` callbacks), check them."""
    truth = finals(count)
    seed_store(url, truth)
    path = "/receipts/twilio" if mode == "ours" else "/twilio/status"
    callbacks = storm(truth, path, limit)
    with receipt_server(url, mode) as base:
        seconds, latencies, failures = asyncio.run(fire(base, path, callbacks))
        sent = _complete(callbacks, truth) if limit else set(truth)
        regressed = regressions(url, truth, sent)
        extra = storm(truth, path, 200)
        health = asyncio.run(health_during_stall(base, path, extra, url))
    return StormResult(len(callbacks) / seconds, p99(latencies), failures, regressed, health)


def _complete(callbacks: list[Callback], truth: dict[str, str]) -> set[str]:
    """The messages whose final callback is among `callbacks` (a partial storm)."""
    finals_seen = set()
    for callback in callbacks:
        form = dict(item.split("=", 1) for item in callback.body.decode().split("&"))
        if form["MessageStatus"] == truth.get(form["MessageSid"]):
            finals_seen.add(form["MessageSid"])
    return finals_seen


@contextmanager
def databases(folder: Path) -> Iterator[list[tuple[str, Any]]]:
    """(name, fresh URL maker) for SQLite, and PostgreSQL when one answers."""
    kinds: list[tuple[str, Any]] = [
        ("SQLite", lambda tag: f"sqlite:///{folder / f'receipts-{tag}.db'}")
    ]
    base = os.environ.get("REMINDER_BENCH_DATABASE_URL", PG_DEFAULT)
    schemas: list[str] = []
    admin = None
    try:
        admin = create_engine(base)
        with admin.connect():
            pass
    except Exception:
        admin = None
    if admin is not None:

        def fresh(tag: str) -> str:
            schema = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            schemas.append(schema)
            separator = "&" if "?" in base else "?"
            return f"{base}{separator}options=-csearch_path%3D{schema}"

        kinds.append(("PostgreSQL", fresh))
    try:
        yield kinds
    finally:
        if admin is not None:
            with admin.begin() as connection:
                for schema in schemas:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
