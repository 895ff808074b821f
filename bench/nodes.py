"""Several worker processes on one PostgreSQL store (`python -m bench --only nodes`).

Two measures, each with 1, 2 and 4 `Dispatcher` processes claiming from one planned
occurrence (claims skip rows another holds) and sending to the Twilio-like server
(bench/server.py, zero latency) in its own process:
- the rate every node shares: `messages_per_second: 1000` on the gateway, the achieved rate
  over every request of every process (when each started, merged) against the configured one;
- throughput, unthrottled: messages a second of all processes together against one process,
  and the CPU each process spent per message (the rest of the machine goes to the server and
  PostgreSQL, which share its cores).

PostgreSQL is found as the tests find it (`REMINDER_TEST_DATABASE_URL`); without it the part
says so and measures nothing. Each run plans into a schema of its own, dropped after.
A worker is `python -m bench.nodes URL SERVER RATE START`: it imports everything, waits for
START (epoch seconds) so that every process begins together, and prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
RATE = 1000.0
WORKERS = (1, 2, 4)


@contextmanager
def pg_schema() -> Iterator[str | None]:
    """A store URL in a fresh schema of the test PostgreSQL (None: no server configured)."""
    base = os.environ.get("REMINDER_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def plan(folder: Path, url: str, count: int) -> None:
    """One occurrence of `count` messages planned into the store at `url` (emptied first)."""
    from bench.workload import write_project
    from reminder.clock import SystemClock
    from reminder.inputs.config import load_config
    from reminder.inputs.project import load_project
    from reminder.planning.plan import plan_streaming
    from reminder.store import open_store

    config = load_config(write_project(folder, count))
    project = load_project(config)
    store = open_store(url)
    try:
        with store.engine.begin() as connection:
            connection.execute(text("TRUNCATE message, delivery_event, rate_slot"))
        plan_streaming(project, store, "bench", "daily", date(2027, 2, 1), SystemClock())
    finally:
        store.close()


def _process_cpu() -> dict[int, tuple[str, float]]:
    """Every PostgreSQL and `bench.server` process: (which, CPU seconds so far)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        rest = stat[stat.rindex(")") + 2 :].split()
        used = (int(rest[11]) + int(rest[12])) / tick  # utime, stime
        if name.startswith("postgres"):
            found[int(proc.name)] = ("postgres", used)
        elif b"bench.server" in command:
            found[int(proc.name)] = ("server", used)
    return found


def _machine_busy() -> float:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    idle = int(fields[3]) + int(fields[4])
    return (sum(int(f) for f in fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """CPU seconds spent from `start` to `stop` (Linux /proc): the whole machine busy, every
    PostgreSQL process and the Twilio-like server. Processes are sampled every 0.2 s, so a
    backend that ends (a worker's connection closing) is counted up to its last sample."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._first: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        try:
            self._machine = _machine_busy()
            self._began = time.monotonic()
            self._first = {pid: used for pid, (_, used) in _process_cpu().items()}
        except (OSError, ValueError, IndexError):
            return
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.2):
            self._last.update(_process_cpu())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._done.set()
        self._thread.join()
        self._last.update(_process_cpu())
        self.spent = {
            "machine": _machine_busy() - self._machine,
            "postgres": 0.0,
            "server": 0.0,
            "wall": time.monotonic() - self._began,
        }
        for pid, (which, used) in self._last.items():
            self.spent[which] += used - self._first.get(pid, 0.0)


def run_workers(
    url: str, server: str, processes: int, rate: float | None, cpu: CpuSampler | None = None
) -> list[dict[str, Any]]:
    """`processes` workers started together; what each printed. `cpu` measures from when
    they begin to when the last one ends."""
    start_at = time.time() + 3.0  # past every worker's imports
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.nodes", url, server, str(rate or 0), str(start_at)],
            cwd=HERE.parent,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    time.sleep(max(0.0, start_at - time.time()))  # their imports are not theirs to count
    if cpu is not None:
        cpu.start()
    found = []
    for child in children:
        out, _ = child.communicate(timeout=600)
        assert child.returncode == 0, out
        found.append(json.loads(out.strip().splitlines()[-1]))
    if cpu is not None:
        cpu.stop()
    return found


def bench_nodes(sizes: dict[str, Any], folder: Path, row: Any) -> list[Any]:
    """The rows of both measures (see the module doc); `row` builds one (`bench.run.Row`)."""
    from bench.run import bench_server

    with pg_schema() as url:
        if url is None:
            print("nodes: REMINDER_TEST_DATABASE_URL is not set; nothing measured")
            return []
        rows = []
        with bench_server(0.0) as server:
            count = int(RATE * sizes["throttle_seconds"]) + 1
            for processes in WORKERS:
                plan(folder / f"rate{processes}", url, count)
                workers = run_workers(url, server, processes, RATE)
                starts = sorted(t for w in workers for t in w["starts"])
                took = starts[-1] - starts[0]
                achieved = (len(starts) - 1) / took
                rows.append(
                    row(
                        f"shared rate, {processes} worker(s) at 1000/s",
                        achieved,
                        "msg/s",
                        "configured rate",
                        RATE,
                        achieved / RATE,
                        "± 0.05",
                    )
                )
                print(
                    f"nodes: rate, {processes} worker(s): {took:.2f} s for {count} messages "
                    f"(ideal {(count - 1) / RATE:.2f} s); most in any 1 s window "
                    f"{most_in_a_second(starts)}; timeline lost to slots woken > 50 ms late "
                    f"{sum(w['late_seconds'] for w in workers):.2f} s, left unused at span ends "
                    f"{sum(w['unused_seconds'] for w in workers):.3f} s; "
                    f"{sum(w['reservations'] for w in workers)} reservations of "
                    f"{1000 * sum(w['reserve_seconds'] for w in workers) / max(1, sum(w['reservations'] for w in workers)):.1f} ms"  # noqa: E501
                )
            count = sizes["dispatch"]
            one = 0.0
            for processes in WORKERS:
                plan(folder / f"throughput{processes}", url, count)
                cpu = CpuSampler()
                workers = run_workers(url, server, processes, None, cpu)
                assert sum(w["sent"] for w in workers) == count
                began = min(w["began"] for w in workers)
                ended = max(w["ended"] for w in workers)
                speed = count / (ended - began)
                one = one or speed
                cpu_ms = sum(w["cpu"] for w in workers) / count * 1000
                print_split(processes, count, ended - began, workers, cpu.spent)
                rows += [
                    row(
                        f"{processes} worker(s), zero latency (msg/s)",
                        speed,
                        "msg/s",
                        "1 worker",
                        one,
                        speed / one,
                        ">= 1.3" if processes == 2 else "info",
                    ),
                    row(
                        f"  CPU per message per process (ms), {processes}",
                        cpu_ms,
                        "ms",
                        "1 worker",
                        0.0,
                        0.0,
                        "info",
                    ),
                ]
    return rows


def most_in_a_second(starts: list[float]) -> int:
    """The most requests that began within any 1 s window (`starts` sorted)."""
    most, first = 0, 0
    for index, moment in enumerate(starts):
        while starts[first] <= moment - 1.0:
            first += 1
        most = max(most, index - first + 1)
    return most


def print_split(
    processes: int,
    count: int,
    wall: float,
    workers: list[dict[str, Any]],
    spent: dict[str, float],
) -> None:
    """Where the machine's CPU went during one throughput run, in ms a message."""
    if not spent:
        return
    ours = sum(w["cpu"] for w in workers)
    rest = spent["machine"] - ours - spent["postgres"] - spent["server"]
    cores = os.cpu_count() or 1
    print(
        f"nodes: throughput, {processes} worker(s), {wall:.2f} s: CPU a message: workers "
        f"{ours / count * 1000:.3f} ms ({ours / processes / wall:.0%} of a core each), "
        f"PostgreSQL {spent['postgres'] / count * 1000:.3f} ms, server "
        f"{spent['server'] / count * 1000:.3f} ms, everything else on the machine "
        f"{rest / count * 1000:.3f} ms; machine busy "
        f"{spent['machine'] / spent['wall'] / cores:.0%} of {cores} cores"
    )


def worker(url: str, server: str, rate: float, start_at: float) -> dict[str, Any]:
    """One process: dispatch what it can claim of the occurrence, from `start_at` on."""
    from bench.run import twilio_gateway
    from reminder.clock import SystemClock
    from reminder.delivery.dispatch import Dispatcher
    from reminder.delivery.gateways.twilio import TwilioGateway
    from reminder.store import Selection, open_store
    from reminder.store.nodes import node_board

    starts: list[float] = []

    class Timed(TwilioGateway):
        async def send(self, message: Any) -> Any:
            starts.append(time.time())
            return await super().send(message)

    gateway = Timed(twilio_gateway(server, 50, rate or None).settings)
    store = open_store(url)
    board = node_board(store)
    assert board is not None and board.shared

    reserving: list[float] = []

    def reserve(*args: Any) -> Any:
        began = time.perf_counter()
        try:
            return board.reserve(*args)
        finally:
            reserving.append(time.perf_counter() - began)

    limiter: list[Any] = []

    async def run() -> Any:
        try:
            dispatcher = Dispatcher(
                store, gateway, SystemClock(), per_number_cap=None, shared_rate=reserve
            )
            limiter.append(dispatcher.limiter)
            return await dispatcher.run(Selection("bench"))
        finally:
            await gateway.aclose()

    time.sleep(max(0.0, start_at - time.time()))
    began, cpu = time.time(), time.process_time()
    result = asyncio.run(run())
    ended, used = time.time(), time.process_time() - cpu
    store.close()
    return {
        "sent": result.sent,
        "began": began,
        "ended": ended,
        "cpu": used,
        "starts": starts if rate else [],
        "reservations": len(reserving),
        "reserve_seconds": sum(reserving),
        "late_seconds": getattr(limiter[0], "late_seconds", 0.0),
        "unused_seconds": getattr(limiter[0], "unused_seconds", 0.0),
    }


if __name__ == "__main__":
    url_, server_, rate_, start_ = sys.argv[1:5]
    print(json.dumps(worker(url_, server_, float(rate_), float(start_))))
