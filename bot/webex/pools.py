"""Connections to Webex for a burst: several small keep-alive pools instead of one large one.

httpcore 1.0 walks its whole pool on every request it queues or finishes, asking each idle
connection whether the server closed it (a ``poll`` and a ``getpeername`` per connection,
through anyio's attribute lookup), and counts the pool again for each idle connection.
With one pool of 100 keep-alive connections, a burst of 100 creates spent 27% of the bot
process's CPU there (py-spy, bench/e2e.py). The same 100 connections as four pools of 25
cost a sixteenth of that walk; each request goes to the pool with the fewest requests in
flight, so connections are still reused and no request waits while another pool has room.

The pools' connections are asyncio's own streams (bot/webex/streams.py) rather than
anyio's: the walk's check that the server has not closed an idle connection reads the
stream's state instead of polling the socket, and TLS runs in asyncio's SSL protocol.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable

import httpcore
import httpx
from httpx._utils import URLPattern, get_environment_proxies

from bot.webex.streams import AsyncioBackend

POOLS = 4
PER_POOL = 25


def _transport(limits: httpx.Limits, tls: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    """httpx's transport over a connection pool on asyncio's streams
    (:class:`AsyncioBackend`). httpx has no setting for the network backend, so its pool
    is rebuilt with the same TLS context and limits."""
    transport = httpx.AsyncHTTPTransport(limits=limits, verify=tls)
    default = transport._pool
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=default._ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=AsyncioBackend(),
    )
    return transport


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
    ``SSL_CERT_FILE`` when set).

    The environment's proxies (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``)
    apply as they do to an httpx client built without a transport — a client given one
    ignores them, so this transport honours them itself: a request they send to a proxy
    goes through one pool of ``pools * per_pool`` connections to it."""

    def __init__(self, pools: int = POOLS, per_pool: int = PER_POOL) -> None:
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        # One TLS context for all the pools, as httpx builds its default (SSL_CERT_FILE or
        # SSL_CERT_DIR when set, else certifi): each holds the trusted CAs, ~1 MiB.
        tls = httpx.create_ssl_context()
        self._pools = [_transport(limits, tls) for _ in range(pools)]
        self._busy = [0] * pools
        self._proxies = _proxy_routes(pools * per_pool)

    @property
    def in_flight(self) -> list[int]:
        return list(self._busy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for pattern, proxied in self._proxies:
            if pattern.matches(request.url):
                if proxied is not None:
                    return await proxied.handle_async_request(request)
                break  # NO_PROXY names it: straight there
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
        for _, proxied in self._proxies:
            if proxied is not None:
                await proxied.aclose()


def _proxy_routes(size: int) -> list[tuple[URLPattern, httpx.AsyncHTTPTransport | None]]:
    """The environment's proxies as httpx's client reads them: (pattern, transport through
    the proxy, or None for NO_PROXY), most specific pattern first."""
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    routes = [
        (
            URLPattern(pattern),
            None if url is None else httpx.AsyncHTTPTransport(limits=limits, proxy=url),
        )
        for pattern, url in get_environment_proxies().items()
    ]
    return sorted(routes, key=lambda route: route[0])
