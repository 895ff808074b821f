"""The benchmark suite: `python -m bench [--quick]`.

Every figure is compared with a baseline measured in the same run (ratios, not absolute times:
the machines are shared and noisy). Prints a table and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2

from bench.workload import TEMPLATE, write_project
from reminder.clock import SystemClock
from reminder.delivery.dispatch import Dispatcher, DispatchResult
from reminder.delivery.gateways.base import Gateway
from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings
from reminder.inputs.config import load_config
from reminder.inputs.project import load_project
from reminder.planning.plan import plan_streaming
from reminder.status import Status
from reminder.store import Selection, Store, open_store

HERE = Path(__file__).resolve().parent
ACCOUNT = "AC" + "b" * 32
TOKEN = "bench-token"
SIZES: dict[str, dict[str, Any]] = {
    "full": {
        "planning": 100_000,
        "dispatch": 20_000,
        "sequential": 200,
        "throttle_seconds": 5,
        "memory": (10_000, 1_000_000),
        "report": 1_000_000,
        "concurrency": 50,
        "faults": 2_065,
        "fault_rounds": 3,
        "receipts": 13_636,  # four callbacks each and a tenth twice: 60,000 callbacks
        "receipts_baseline": 12_000,  # callbacks of the same storm the old server takes
        "receipt_rounds": 2,
        "smpp": 1_000,  # aiosmpplib's ESME (the baseline) stalled once at 5,000
        "replies": (1_000_000, 10_000),  # stored messages, replies
        "console": 1_000_000,
        "console_repeat": 20,
        "console_audit": 2_000,
    },
    "quick": {
        "planning": 2_000,
        "dispatch": 500,
        "sequential": 20,
        "throttle_seconds": 1,
        "memory": (1_000, 10_000),
        "report": 20_000,
        "concurrency": 50,
        "faults": 200,
        "fault_rounds": 1,
        "receipts": 250,
        "receipts_baseline": 500,
        "receipt_rounds": 1,
        "smpp": 200,
        "replies": (20_000, 300),
        "console": 20_000,
        "console_repeat": 3,
        "console_audit": 50,
    },
}


@dataclass
class Row:
    """One line of the results table."""

    measure: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    ratio: float
    goal: str

    @property
    def met(self) -> bool:
        kind, _, number = self.goal.partition(" ")
        if kind == ">=":
            return self.ratio >= float(number)
        if kind == "<=":
            return self.ratio <= float(number)
        if kind == "±":
            return abs(self.ratio - 1) <= float(number)
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def bench_server(latency: float) -> Iterator[str]:
    """The Twilio-like server (bench/server.py) in its own process."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.server", "--port", str(port), "--latency", str(latency)],
        cwd=HERE.parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/stats", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def accepted(url: str) -> dict[str, int]:
    return json.loads(urllib.request.urlopen(url + "/stats", timeout=5).read())


# --- 1. planning -----------------------------------------------------------------------------


def render_baseline(count: int) -> tuple[list[str], float]:
    """The same template rendered with a plain Jinja environment: the bodies and the seconds."""
    template = jinja2.Environment().from_string(TEMPLATE)
    start = time.perf_counter()
    bodies = [
        template.render(
            contact={"name": f"干部{i}"},
            festival={"name": "春节"},
            day=3,
            case={"title": "案例1", "summary": "某单位干部违规收受礼金案例1。"},
            hotline="12388",
        )
        for i in range(count)
    ]
    return bodies, time.perf_counter() - start


def insert_bare(path: Path, bodies: list[str]) -> float:
    """`executemany` of (campaign, push, occurrence, contact, number, body, status) into a table
    with only its primary key and the identity key."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE message (id INTEGER PRIMARY KEY, campaign TEXT, push TEXT, "
        "occurrence TEXT, contact_id TEXT, recipient TEXT, body TEXT, status TEXT, "
        "UNIQUE (campaign, push, occurrence, contact_id))"
    )
    start = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO message (campaign, push, occurrence, contact_id, recipient, "
            "body, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("bench", "daily", "2027-02-01", f"c{i:07d}", f"+86138{i:08d}", body, "planned")
                for i, body in enumerate(bodies)
            ],
        )
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def insert_same_rows(url: str, bodies: list[str]) -> float:
    """`executemany` of the rows planning writes (every column) into the store's own message
    table (created by the migrations, with its indexes); no delivery events."""
    open_store(url).close()
    db = sqlite3.connect(url.removeprefix("sqlite:///"))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    start = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO message (campaign, push, occurrence, contact_id, recipient, body, "
            "segments, encoding, template, variables, case_id, status, attempts, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [
                (
                    "bench",
                    "daily",
                    "2027-02-01",
                    f"c{i:07d}",
                    f"+86138{i:08d}",
                    body,
                    2,
                    "UCS-2",
                    "daily.j2",
                    "{}",
                    "k01",
                    "planned",
                    stamp,
                    stamp,
                )
                for i, body in enumerate(bodies)
            ],
        )
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed


def plan_once(count: int, folder: Path) -> float:
    """Seconds `plan_streaming` takes for one occurrence of `count` messages, in a new store."""
    config = load_config(write_project(folder, count))
    project = load_project(config)
    store = open_store(config.database_url)
    start = time.perf_counter()
    added = plan_streaming(project, store, "bench", "daily", date(2027, 2, 1), SystemClock())
    elapsed = time.perf_counter() - start
    store.close()
    assert added == count
    return elapsed


def bench_planning(count: int, folder: Path, rounds: int = 3) -> list[Row]:
    """Ours and both baselines, alternating, `rounds` times; the best time of each counts (the
    machine's noise only ever adds time)."""
    ours, same, bare = [], [], []
    for turn in range(rounds):
        ours.append(plan_once(count, folder / f"planning{turn}"))
        bodies, rendering = render_baseline(count)
        same.append(rendering + insert_same_rows(f"sqlite:///{folder / f'same{turn}.db'}", bodies))
        bare.append(rendering + insert_bare(folder / f"bare{turn}.db", bodies))
    return [
        Row(
            "planning (messages/s)",
            count / min(ours),
            "msg/s",
            "render + executemany",
            count / min(same),
            min(same) / min(ours),
            ">= 0.5",
        ),
        Row(
            "  vs a bare 7-column table",
            count / min(ours),
            "msg/s",
            "render + executemany",
            count / min(bare),
            min(bare) / min(ours),
            "info",  # fewer columns, one index and no events: not the rows planning writes
        ),
    ]


# --- 2. dispatch ------------------------------------------------------------------------------


def twilio_gateway(url: str, concurrency: int, rate: float | None = None) -> TwilioGateway:
    delivery: dict[str, Any] = {
        "concurrency": concurrency,
        "request_timeout_seconds": 30,
        "segments_per_second": None,
    }
    if rate is not None:
        delivery["messages_per_second"] = rate
    return TwilioGateway(
        TwilioSettings.model_validate(
            {
                "account_sid": ACCOUNT,
                "auth_token": TOKEN,
                "from_number": "+15005550006",
                "base_url": url,
                "delivery": delivery,
            }
        )
    )


#: The day of the occurrence the dispatch parts plan and send.
BENCH_DAY = date(2027, 2, 1)


def planned_store(folder: Path, count: int, name: str) -> Store:
    config = load_config(write_project(folder / name, count))
    project = load_project(config)
    store = open_store(config.database_url)
    plan_streaming(project, store, "bench", "daily", BENCH_DAY, SystemClock())
    return store


def run_dispatch(
    store: Store, gateway: Gateway, on_result: Callable[..., None] | None = None
) -> DispatchResult:
    async def run() -> DispatchResult:
        try:
            return await Dispatcher(
                store, gateway, SystemClock(), per_number_cap=None, on_result=on_result
            ).run(Selection("bench", "daily", BENCH_DAY))  # one push's day, as `send` does
        finally:
            await gateway.aclose()

    return asyncio.run(run())


def bench_dispatch(sizes: dict[str, Any], folder: Path, url: str) -> list[Row]:
    count, concurrency = sizes["dispatch"], sizes["concurrency"]
    store = planned_store(folder, count, "dispatch")
    requests = planned_requests(store)
    before = accepted(url)["accepted"]
    start, cpu = time.perf_counter(), time.process_time()
    result = run_dispatch(store, twilio_gateway(url, concurrency))
    ours, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
    store.close()
    assert result.sent == count and accepted(url)["accepted"] - before == count

    raw, raw_cpu = raw_gather(url, requests, concurrency)

    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class Rebased(TwilioHttpClient):  # type: ignore[misc]
        def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
            return super().request(
                method, uri.replace("https://api.twilio.com", url), *args, **kwargs
            )

    loop_count = sizes["sequential"]
    client = Client(ACCOUNT, TOKEN, http_client=Rebased())
    began = time.perf_counter()
    for i in range(loop_count):
        client.messages.create(to=f"+86137{i:08d}", from_="+15005550006", body="【基准】提醒")
    sequential = time.perf_counter() - began
    return [
        Row(
            "dispatch, logged (messages/s)",
            count / ours,
            "msg/s",
            "raw async gather",
            count / raw,
            raw / ours,
            ">= 0.8",
        ),
        Row(
            "dispatch vs a for loop",
            count / ours,
            "msg/s",
            "sequential create()",
            loop_count / sequential,
            (count / ours) / (loop_count / sequential),
            ">= 10",
        ),
        Row(
            "dispatch CPU (s per 1,000)",
            ours_cpu / count * 1000,
            "s",
            "raw async gather",
            raw_cpu / count * 1000,
            (ours_cpu / count) / (raw_cpu / count),
            "info",
        ),
    ]


def planned_requests(store: Store) -> list[tuple[str, str]]:
    """The (recipient, body) of every planned message: what the raw client sends, so that both
    sides send the same requests."""
    planned = store.messages(campaign="bench", statuses=[Status.planned])
    return [(m.recipient, m.body) for m in sorted(planned, key=lambda m: m.id or 0)]


def raw_gather(url: str, requests: list[tuple[str, str]], concurrency: int) -> tuple[float, float]:
    """The async `twilio` client with `asyncio.gather` at `concurrency`, no database: seconds
    and CPU seconds for `requests` (recipient, body), the messages the engine sends."""
    from twilio.rest import Client

    from reminder.delivery.gateways.twilio import _RebasedHttpClient

    async def ceiling() -> float:
        http = _RebasedHttpClient(url, 30)
        client = Client(ACCOUNT, TOKEN, http_client=http)
        gate = asyncio.Semaphore(concurrency)

        async def one(to: str, body: str) -> None:
            async with gate:
                await client.messages.create_async(to=to, from_="+15005550006", body=body)

        began = time.perf_counter()
        await asyncio.gather(*(one(to, body) for to, body in requests))
        elapsed = time.perf_counter() - began
        await http.close()
        return elapsed

    cpu = time.process_time()
    raw = asyncio.run(ceiling())
    return raw, time.process_time() - cpu


def bench_engine(sizes: dict[str, Any], folder: Path, rounds: int = 5) -> list[Row]:
    """Dispatch where the engine, not the network, is the limit: a zero-latency server,
    concurrency 50, unthrottled; ours against the raw client, alternating, best of `rounds`."""
    count, concurrency = sizes["dispatch"], sizes["concurrency"]
    ours_best = raw_best = float("inf")
    ours_cpu = raw_cpu = 0.0
    with bench_server(0.0) as url:
        for round_ in range(rounds):
            store = planned_store(folder, count, f"engine{round_}")
            requests = planned_requests(store)
            start, cpu = time.perf_counter(), time.process_time()
            result = run_dispatch(store, twilio_gateway(url, concurrency))
            elapsed, used = time.perf_counter() - start, time.process_time() - cpu
            store.close()
            assert result.sent == count
            if elapsed < ours_best:
                ours_best, ours_cpu = elapsed, used
            raw, used = raw_gather(url, requests, concurrency)
            if raw < raw_best:
                raw_best, raw_cpu = raw, used
    return [
        Row(
            "dispatch, zero latency (messages/s)",
            count / ours_best,
            "msg/s",
            "raw async gather",
            count / raw_best,
            raw_best / ours_best,
            ">= 0.8",
        ),
        Row(
            "dispatch, zero latency CPU (s per 1,000)",
            ours_cpu / count * 1000,
            "s",
            "raw async gather",
            raw_cpu / count * 1000,
            ours_cpu / raw_cpu,
            "info",
        ),
    ]


class TimedTwilio(TwilioGateway):
    """The Twilio gateway, noting when each request starts (what the throttle controls)."""

    starts: list[float]

    async def send(self, message: Any) -> Any:
        self.starts.append(time.perf_counter())
        return await super().send(message)


def bench_throttle(sizes: dict[str, Any], folder: Path, url: str, latency: float) -> list[Row]:
    rows = []
    for rate in (10, 100, 1000):
        count = rate * sizes["throttle_seconds"] + 1
        store = planned_store(folder, count, f"throttle{rate}")
        # Enough requests in flight that the server's latency never limits the rate.
        concurrency = max(sizes["concurrency"], int(2 * rate * latency) + 1)
        plain = twilio_gateway(url, concurrency, rate)
        gateway = TimedTwilio(plain.settings)
        gateway.starts = []
        run_dispatch(store, gateway)
        store.close()
        starts = gateway.starts
        achieved = (len(starts) - 1) / (starts[-1] - starts[0])
        rows.append(
            Row(
                f"throttled at {rate}/s",
                achieved,
                "msg/s",
                "configured rate",
                rate,
                achieved / rate,
                "± 0.05",
            )
        )
    return rows


# --- 4. memory ------------------------------------------------------------------------------


def bench_memory(sizes: dict[str, Any]) -> list[Row]:
    small, large = sizes["memory"]
    probes = []
    for count in (small, large):
        out = subprocess.run(
            [sys.executable, "-m", "bench.memory", str(count)],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        probes.append(json.loads(out.stdout.strip().splitlines()[-1]))
    few, many = probes
    engine_ratio = max(many["engine_mb"], 1.0) / max(few["engine_mb"], 1.0)
    return [
        Row(
            f"peak RSS at {large:,} messages",
            many["peak_rss_mb"],
            "MB",
            f"at {small:,}",
            few["peak_rss_mb"],
            many["peak_rss_mb"] / few["peak_rss_mb"],
            "<= 1.5",
        ),
        Row(
            "  added by planning + dispatch",
            many["engine_mb"],
            "MB",
            f"at {small:,}",
            few["engine_mb"],
            engine_ratio,
            "info",
        ),
    ]


# --- 5. report ------------------------------------------------------------------------------


#: Every report format within these, at 1,000,000 messages of which half are not reached.
REPORT_SECONDS, REPORT_MB = 10.0, 200.0
REPORT_FORMATS = ("table", "csv", "json", "xlsx", "html")
REPORT_DAYS = 4


def seed_report(count: int, folder: Path) -> Path:
    """`count` messages over four days to `count / 4` contacts: the even ones delivered every
    day, the odd ones failed every day (half the messages, and half the contacts, not reached).
    Returns the config's path."""
    config_path = write_project(folder / "report", 100)
    config = load_config(config_path)
    open_store(config.database_url).close()
    db = sqlite3.connect(config.database_url.removeprefix("sqlite:///"))
    now = datetime(2027, 2, 2, tzinfo=UTC).isoformat(sep=" ")[:19]
    contacts = max(count // REPORT_DAYS, 1)
    with db:
        db.executemany(
            "INSERT INTO message (campaign, push, occurrence, contact_id, recipient, body, "
            "segments, encoding, template, variables, status, attempts, gateway, error_code, "
            "error_text, created_at, updated_at) VALUES ('bench', 'daily', ?, ?, ?, 'x', 1, "
            "'UCS-2', 't', '{}', ?, 1, 'twilio', ?, ?, ?, ?)",
            (
                (
                    f"2027-02-{1 + i // contacts:02d}",
                    f"c{i % contacts:07d}",
                    f"+86138{i % contacts:08d}",
                    *(
                        ("delivered", None, None)
                        if i % 2 == 0
                        else ("failed", "30003", "Unreachable destination handset")
                    ),
                    now,
                    now,
                )
                for i in range(contacts * REPORT_DAYS)
            ),
        )
    db.close()
    return config_path


def bench_report(count: int, folder: Path) -> list[Row]:
    """`reminder report` in every format, each in a process of its own (`bench.report_probe`):
    seconds against 10 s, peak RSS against 200 MB."""
    config_path = seed_report(count, folder)
    rows = []
    for format_ in REPORT_FORMATS:
        out = subprocess.run(
            [sys.executable, "-m", "bench.report_probe", str(config_path), format_],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=True,
        )
        probe = json.loads(out.stdout.strip().splitlines()[-1])
        seconds, mb = probe["seconds"], probe["peak_rss_mb"]
        rows += [
            Row(
                f"report over {count:,}, {format_} (s)",
                seconds,
                "s",
                "limit (s)",
                REPORT_SECONDS,
                seconds / REPORT_SECONDS,
                "<= 1",
            ),
            Row(
                f"report over {count:,}, {format_} (MB)",
                mb,
                "MB",
                "limit (MB)",
                REPORT_MB,
                mb / REPORT_MB,
                "<= 1",
            ),
        ]
    return rows


def bench_receipts(sizes: dict[str, Any], folder: Path) -> list[Row]:
    """The receipt storm (bench/receipts.py) on each database: ours against the old server,
    alternating, the best round of each counting (the machine's noise only ever adds time)."""
    from bench.receipts import best, databases, run_storm

    rows = []
    count, limit = sizes["receipts"], sizes["receipts_baseline"]
    with databases(folder) as kinds:
        for name, fresh in kinds:
            rounds = [
                (
                    run_storm(fresh(f"ours{i}"), "ours", count, None),
                    run_storm(fresh(f"old{i}"), "baseline", count, limit),
                )
                for i in range(sizes["receipt_rounds"])
            ]
            ours, old = best([r[0] for r in rounds]), best([r[1] for r in rounds])
            regressed = sum(r[0].regressions + r[0].failures for r in rounds)
            rows += [
                Row(
                    f"receipts {name} (callbacks/s)",
                    ours.rate,
                    "/s",
                    "old server",
                    old.rate,
                    ours.rate / old.rate,
                    ">= 4",
                ),
                Row(
                    f"receipts {name} p99 (ms)",
                    ours.p99_ms,
                    "ms",
                    "goal",
                    100,
                    ours.p99_ms / 100,
                    "<= 1",
                ),
                Row(
                    f"receipts {name} old p99 (ms)",
                    old.p99_ms,
                    "ms",
                    "goal",
                    100,
                    old.p99_ms / 100,
                    "info",
                ),
                Row(
                    f"receipts {name} regressions+errors",
                    regressed,
                    "",
                    "none",
                    0,
                    regressed,
                    "<= 0",
                ),
                Row(
                    f"receipts {name} /healthz stalled (ms)",
                    ours.health_ms,
                    "ms",
                    "old server",
                    old.health_ms,
                    ours.health_ms / 50,
                    "<= 1",
                ),
            ]
    return rows


PARTS = (
    "planning",
    "dispatch",
    "engine",
    "throttle",
    "faults",
    "memory",
    "report",
    "receipts",
    "smpp",
    "aliyun",
    "nodes",
    "replies",
    "console",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--latency", type=float, default=0.05, help="server latency, seconds")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(PARTS),
        help=f"comma-separated parts to run (default all: {','.join(PARTS)})",
    )
    args = parser.parse_args()
    if args.only - set(PARTS):
        parser.error(f"unknown parts {sorted(args.only - set(PARTS))}; parts: {','.join(PARTS)}")
    mode = "quick" if args.quick else "full"
    sizes = SIZES[mode]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "planning" in args.only:
            rows += bench_planning(sizes["planning"], folder)
        if args.only & {"dispatch", "throttle", "faults"}:
            with bench_server(args.latency) as url:
                if "dispatch" in args.only:
                    rows += bench_dispatch(sizes, folder, url)
                if "throttle" in args.only:
                    rows += bench_throttle(sizes, folder, url, args.latency)
                if "faults" in args.only:
                    from bench.faults import bench_faults  # it uses this module's helpers

                    rows += bench_faults(sizes, folder, url)
        if "engine" in args.only:
            rows += bench_engine(sizes, folder)
        if "memory" in args.only:
            rows += bench_memory(sizes)
        if "report" in args.only:
            rows += bench_report(sizes["report"], folder)
        if "receipts" in args.only:
            rows += bench_receipts(sizes, folder)
        if "smpp" in args.only:
            from bench.smpp import bench_smpp  # it uses this module's helpers

            rows += bench_smpp(sizes["smpp"], folder)
        if "aliyun" in args.only:
            from bench.aliyun import bench_aliyun  # needs the test extra (the fake's signer)

            rows += bench_aliyun(sizes, folder, args.latency)
        if "nodes" in args.only:
            from bench.nodes import bench_nodes  # needs PostgreSQL (REMINDER_TEST_DATABASE_URL)

            rows += bench_nodes(sizes, folder, Row)
        if "replies" in args.only:
            from bench.replies import bench_replies  # it uses this module's Row

            rows += bench_replies(*sizes["replies"], folder)
        if "console" in args.only:
            from bench.console import bench_console  # starts the console in its own process

            rows += bench_console(sizes, folder, Row)
    print(f"{'measure':38} {'ours':>12} {'baseline':>26} {'ratio':>7}  goal")
    for row in rows:
        verdict = "" if row.goal == "info" else ("met" if row.met else "MISSED")
        print(
            f"{row.measure:38} {row.value:>9.2f} {row.unit:<3} "
            f"{row.baseline:>18} {row.baseline_value:>7.2f} {row.ratio:>7.2f}  "
            f"{row.goal} {verdict}"
        )
    args.output.write_text(
        json.dumps(
            {
                "mode": mode,
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                "python": platform.python_version(),
                "cpus": __import__("os").cpu_count(),
                "latency_s": args.latency,
                "rows": [{**row.__dict__, "met": row.met} for row in rows],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
