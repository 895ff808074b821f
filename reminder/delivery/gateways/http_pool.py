"""Several small httpx connection pools behind one `post`, for gateways sending many requests
at once (Aliyun's and Tencent's).

httpcore 1.0's pool walks every connection it holds, some steps for every idle connection
again, whenever a request starts or ends (encode/httpcore#1035): at 50 connections that
bookkeeping costs milliseconds of CPU a request and caps a sender near 100 requests a second
whatever the provider's latency. Its keep-alive check also counts every connection as idle, so
past `max_keepalive_connections` (20 unless set) it closed connections it then reopened. Here
each client holds at most `PER_CLIENT` connections, all kept alive, and a request goes to the
client with the fewest requests in flight: the walks stay short, and while no more requests are
in flight than there are connections one is always free.
"""

from __future__ import annotations

from typing import Any, Self

import httpx

from reminder.delivery.gateways.base import DeliveryPolicy

#: Connections a client holds; the bookkeeping grows with their square.
PER_CLIENT = 8


class ClientPool:
    """httpx clients together holding `connections` connections, created on first use (inside
    the running event loop)."""

    def __init__(self, connections: int, timeout: httpx.Timeout) -> None:
        self.connections = max(1, connections)
        self.timeout = timeout
        self._clients: list[httpx.AsyncClient] = []
        self._busy: list[int] = []

    @classmethod
    def for_delivery(cls, delivery: DeliveryPolicy) -> Self:
        """A pool for a gateway's `delivery:` policy: a connection per concurrent request, an
        answer awaited `request_timeout_seconds`, a connection at most 5 s of that."""
        wait = delivery.request_timeout_seconds
        return cls(delivery.concurrency, httpx.Timeout(wait, connect=min(wait, 5.0)))

    def _start(self) -> None:
        left = self.connections
        while left > 0:
            size = min(PER_CLIENT, left)
            limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
            self._clients.append(httpx.AsyncClient(timeout=self.timeout, limits=limits))
            self._busy.append(0)
            left -= size

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """`httpx.AsyncClient.post` through the least busy client."""
        if not self._clients:
            self._start()
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            return await self._clients[index].post(url, **kwargs)
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        clients, self._clients, self._busy = self._clients, [], []
        for client in clients:
            await client.aclose()
