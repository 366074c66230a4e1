"""Connections to Webex for a burst: several small keep-alive pools instead of one large one.

httpcore 1.0 walks its whole pool on every request it queues or finishes, asking each idle
connection whether the server closed it (a ``poll`` and a ``getpeername`` per connection,
through anyio's attribute lookup), and counts the pool again for each idle connection.
With one pool of 100 keep-alive connections, a burst of 100 creates spent 27% of the bot
process's CPU there (py-spy, bench/e2e.py). The same 100 connections as four pools of 25
cost a sixteenth of that walk; each request goes to the pool with the fewest requests in
flight, so connections are still reused and no request waits while another pool has room.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx

POOLS = 4
PER_POOL = 25


class _Counted(httpx.AsyncByteStream):
    """A response body that tells its pool when the connection is free again."""

    def __init__(self, stream: httpx.AsyncByteStream, done: Callable[[], None]) -> None:
        self._stream = stream
        self._done: Callable[[], None] | None = done

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            done, self._done = self._done, None
            if done is not None:
                done()


class SpreadTransport(httpx.AsyncBaseTransport):
    """``pools`` HTTP transports of ``per_pool`` keep-alive connections each; a request
    goes to the one with the fewest requests in flight (TLS trust as httpx's default:
    ``SSL_CERT_FILE`` when set)."""

    def __init__(self, pools: int = POOLS, per_pool: int = PER_POOL) -> None:
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        self._pools = [httpx.AsyncHTTPTransport(limits=limits) for _ in range(pools)]
        self._busy = [0] * pools

    @property
    def in_flight(self) -> list[int]:
        return list(self._busy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = min(range(len(self._pools)), key=self._busy.__getitem__)
        self._busy[index] += 1

        def done() -> None:
            self._busy[index] -= 1

        try:
            response = await self._pools[index].handle_async_request(request)
        except BaseException:
            done()
            raise
        if not isinstance(response.stream, httpx.AsyncByteStream):  # not from httpx's pools
            done()
            return response
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_Counted(response.stream, done),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()
