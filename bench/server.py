"""A Twilio-like Messages API for benchmarks: answers after a configurable latency and counts
what it accepted. Runs in its own process: `python -m bench.server --port P --latency 0.05`."""

from __future__ import annotations

import argparse
import asyncio
import json
from itertools import count

from aiohttp import web


def make_app(latency: float) -> web.Application:
    """The app: POST …/Messages.json accepts a message; GET /stats says how many."""
    accepted: list[str] = []
    sids = count(1)

    async def create(request: web.Request) -> web.Response:
        form = await request.post()
        await asyncio.sleep(latency)
        accepted.append(str(form.get("To", "")))
        sid = f"SM{next(sids):032x}"
        body = {
            "sid": sid,
            "status": "queued",
            "to": form.get("To"),
            "body": form.get("Body"),
            "account_sid": request.match_info["account"],
        }
        return web.json_response(body, status=201)

    async def stats(_request: web.Request) -> web.Response:
        return web.Response(
            text=json.dumps({"accepted": len(accepted), "distinct": len(set(accepted))})
        )

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", create)
    app.router.add_get("/stats", stats)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    web.run_app(
        make_app(args.latency), host="127.0.0.1", port=args.port, print=None, access_log=None
    )


if __name__ == "__main__":
    main()
