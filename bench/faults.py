"""The faults case: one send of a 2,065-message occurrence through the Twilio gateway to the
benchmark server, fault-free, with 25 % of requests answered by a transient error, and with 5 %
of requests accepted but never answered in time (lost answers). The fault-free send is the
baseline of the same run; the goals are at most 2× its time with transient errors and 3× with
lost answers.

Every case uses the same delivery policy, set for a provider answering in 50 ms: the default
concurrency of 8 (not the dispatch case's 50: at 50 requests in flight the send is bound by this
process's CPU, not by its slots, and time spent holding a slot would not show), up to 5
attempts, back-off from 0.2 s doubling (0.1–0.2 s, then 0.2–0.4 s, …), and a 1 s request
timeout (a lost answer holds its slot that long).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Any

from reminder.delivery.gateways.twilio import TwilioGateway, TwilioSettings

FAULTS: dict[str, dict[str, float]] = {
    "fault-free": {},
    "transient": {"transient": 0.25},
    "lost": {"lost": 0.05},
}
SEED = 11
CONCURRENCY = 8
REQUEST_TIMEOUT = 1.0


def set_faults(url: str, **faults: float) -> None:
    """Tell the benchmark server which faults to play from now on (none by default)."""
    request = urllib.request.Request(
        url + "/faults",
        data=json.dumps({"seed": SEED, **faults}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=5).read()


def faulty_gateway(url: str, concurrency: int) -> TwilioGateway:
    """The Twilio gateway with the policy of the module doc."""
    from bench.run import ACCOUNT, TOKEN

    return TwilioGateway(
        TwilioSettings.model_validate(
            {
                "account_sid": ACCOUNT,
                "auth_token": TOKEN,
                "from_number": "+15005550006",
                "base_url": url,
                "delivery": {
                    "concurrency": concurrency,
                    "max_attempts": 5,
                    "retry_base_seconds": 0.2,
                    "request_timeout_seconds": REQUEST_TIMEOUT,
                    "segments_per_second": None,
                },
            }
        )
    )


def bench_faults(sizes: dict[str, Any], folder: Path, url: str) -> list[Any]:
    """Each case `sizes["fault_rounds"]` times, alternating; the best time of each counts."""
    from bench.run import Row, planned_store, run_dispatch

    count = sizes["faults"]
    times: dict[str, list[float]] = {name: [] for name in FAULTS}
    outcomes: dict[str, str] = {}
    # A warning a failed or unknown message: made, not printed (the table is the output).
    quiet = logging.NullHandler()
    logging.getLogger("reminder").addHandler(quiet)
    try:
        for turn in range(sizes["fault_rounds"]):
            for name, faults in FAULTS.items():
                store = planned_store(folder, count, f"faults-{name}-{turn}")
                set_faults(url, **faults)
                start = time.perf_counter()
                result = run_dispatch(store, faulty_gateway(url, CONCURRENCY))
                times[name].append(time.perf_counter() - start)
                store.close()
                settled = result.sent + result.failed + result.unknown
                assert settled == count, (name, result)
                outcomes[name] = (
                    f"{result.sent} sent, {result.failed} failed, {result.unknown} unknown"
                )
    finally:
        set_faults(url)
        logging.getLogger("reminder").removeHandler(quiet)
    for name, outcome in outcomes.items():
        print(f"faults, {name}: {outcome}; best {min(times[name]):.2f} s of {times[name]}")
    base = min(times["fault-free"])
    return [
        Row(
            f"faults: {count:,} sent, 25 % transient (s)",
            min(times["transient"]),
            "s",
            "fault-free (s)",
            base,
            min(times["transient"]) / base,
            "<= 2",
        ),
        Row(
            f"faults: {count:,} sent, 5 % lost (s)",
            min(times["lost"]),
            "s",
            "fault-free (s)",
            base,
            min(times["lost"]) / base,
            "<= 3",
        ),
    ]
