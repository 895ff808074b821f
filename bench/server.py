"""A Twilio-like Messages API for benchmarks: answers after a configurable latency and counts
what it accepted. Runs in its own process: `python -m bench.server --port P --latency 0.05`.

Faults are set at run time (`POST /faults` with a JSON object, which also restarts the count of
requests per number): a share of requests answered with a transient error (HTTP 503 / Twilio
20503 or HTTP 429 / 20429), and a share accepted but answered only after `hold` seconds (longer
than the client waits: a lost answer). Whether a request fails is drawn from the seed, the
number and how many requests for that number came before, so every run of a case meets the same
faults whatever order its requests arrive in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass
from itertools import count

from aiohttp import web

TRANSIENT = [(503, 20503, "Service unavailable"), (429, 20429, "Too Many Requests")]


@dataclass
class Faults:
    """Shares of requests that fail, and how long a lost answer is held."""

    transient: float = 0.0
    lost: float = 0.0
    seed: int = 0
    hold: float = 30.0


def make_app(latency: float) -> web.Application:
    """The app: POST …/Messages.json accepts a message; GET /stats says how many; POST /faults
    sets the faults."""
    accepted: list[str] = []
    sids = count(1)
    faults = Faults()
    tries: Counter[str] = Counter()
    seen: Counter[str] = Counter()

    async def create(request: web.Request) -> web.Response:
        form = await request.post()
        to = str(form.get("To", ""))
        roll = random.Random(f"{faults.seed}:{to}:{tries[to]}").random()
        tries[to] += 1
        await asyncio.sleep(latency)
        if roll < faults.transient:
            seen["transient"] += 1
            status, code, message = TRANSIENT[int(roll * 1e6) % len(TRANSIENT)]
            return web.json_response(
                {"code": code, "message": message, "status": status}, status=status
            )
        accepted.append(to)
        sid = f"SM{next(sids):032x}"
        body = {
            "sid": sid,
            "status": "queued",
            "to": form.get("To"),
            "body": form.get("Body"),
            "account_sid": request.match_info["account"],
        }
        if roll < faults.transient + faults.lost:
            seen["lost"] += 1
            await asyncio.sleep(faults.hold)
        return web.json_response(body, status=201)

    async def stats(_request: web.Request) -> web.Response:
        return web.Response(
            text=json.dumps(
                {"accepted": len(accepted), "distinct": len(set(accepted)), **seen},
            )
        )

    async def set_faults(request: web.Request) -> web.Response:
        nonlocal faults
        faults = Faults(**await request.json())
        tries.clear()
        seen.clear()
        return web.json_response(asdict(faults))

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", create)
    app.router.add_get("/stats", stats)
    app.router.add_post("/faults", set_faults)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    web.run_app(
        make_app(args.latency),
        host="127.0.0.1",
        port=args.port,
        print=None,
        access_log=None,
        shutdown_timeout=1.0,  # lost answers are still held: do not wait for them
    )


if __name__ == "__main__":
    main()
