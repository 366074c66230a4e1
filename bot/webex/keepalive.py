"""The clients' transport: HTTP/1.1 keep-alive connections on asyncio, with h11 for HTTP.

httpx builds the request and reads the response; this carries them. It replaces httpx's
default transport (httpcore's pool over anyio) for the CPU a burst costs there: httpcore
walks its whole pool on every request it queues or finishes, and each request goes through
anyio locks, traces and stream wrappers (a burst of 100 creates spent ~20% of the bot's
CPU in that bookkeeping, py-spy, bench/e2e.py). Here an origin's idle connections are a
stack (the most recently used first, so a burst's connections stay warm and the oldest
expire): taking one, giving it back and waiting for one are O(1).

What a client of httpx's transport may rely on holds:

* httpx's exceptions: ``ConnectError``/``ConnectTimeout`` (nobody listening, TLS refused,
  no answer to the handshake), ``ReadError``/``ReadTimeout``, ``WriteError``/
  ``WriteTimeout``, ``RemoteProtocolError`` (the server broke HTTP or closed mid-answer),
  ``PoolTimeout``; the request's ``timeout`` extension sets each;
* a connection is reused only after a complete exchange both sides keep alive, never after
  the server closed it, sent bytes nobody asked for, or its keep-alive lapsed; a request
  abandoned midway (cancelled, an error, a body not read to its end) closes its connection;
  ``aclose()`` closes every connection, in use or idle (a request in flight: ``ReadError``);
* TLS as httpx's default: the CAs of ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set, else
  certifi's, host names verified; the environment's proxies (``HTTPS_PROXY``, ``HTTP_PROXY``,
  ``ALL_PROXY``, ``NO_PROXY``) as an httpx client without a transport honours them;
* a response body is read as it comes, at most :data:`READ_AHEAD` bytes ahead of its reader.
"""

from __future__ import annotations

import asyncio
import collections
import select
from asyncio import sslproto
from collections.abc import AsyncIterator
from typing import Any, Literal, cast

import h11
import httpx
from httpx._utils import URLPattern, get_environment_proxies

__all__ = ["KeepAliveTransport"]

#: Connections to one origin at once; more requests wait for one to be free.
MAX_CONNECTIONS = 100
#: Seconds an idle connection is kept (httpx's default).
KEEPALIVE_EXPIRY = 5.0
#: Bytes read from a connection beyond what its reader has taken, before reading pauses.
READ_AHEAD = 256 * 1024
#: The delay between connection attempts to a host's addresses (RFC 6555), as anyio's.
HAPPY_EYEBALLS_DELAY = 0.25
#: The buffer asyncio's TLS protocol reads a socket into, per connection (a TLS record is
#: at most 16 KiB and some bytes). See :func:`_smaller_tls_read_buffer`.
TLS_READ_BUFFER = 17 * 1024

Origin = tuple[str, str, int]


def _smaller_tls_read_buffer() -> None:
    """asyncio's TLS protocol (``asyncio.sslproto.SSLProtocol``) allocates, zero-filled, a
    read buffer of its class attribute ``max_size`` (256 KiB) for every connection: a
    burst's ~140 connections held 35 MiB more than httpcore over anyio (peak RSS 87 →
    120-130 MiB, bench.e2e). Lowered to :data:`TLS_READ_BUFFER` for the process: every TLS
    connection asyncio makes (the websocket too) reads at most that much per call, which
    only changes how many reads a large body takes."""
    protocol = getattr(sslproto, "SSLProtocol", None)
    if protocol is not None and getattr(protocol, "max_size", 0) > TLS_READ_BUFFER:
        protocol.max_size = TLS_READ_BUFFER


class _Connection(asyncio.Protocol):
    """One connection to an origin, one exchange at a time (h11 keeps HTTP's state)."""

    def __init__(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> None:
        self.origin = origin
        self._loop = loop
        self._h11 = h11.Connection(h11.CLIENT)
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()  # received, not yet given to h11
        self._eof = False
        self._lost: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None  # a reader waiting for bytes
        self._drained: asyncio.Future[None] | None = None  # a writer waiting for room
        self._writing_paused = False
        self._reading_paused = False
        self._aborted = False  # closed by us (close()), not by the server
        self.in_exchange = False
        self.idle_since = 0.0

    # -- asyncio's side -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > READ_AHEAD and not self._reading_paused and self._transport:
            self._reading_paused = True
            self._transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._eof = True
        self._wake()
        return False  # asyncio closes the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._lost = exc or ConnectionResetError("the connection is closed")
        self._wake()
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_exception(ConnectionResetError("the connection is closed"))

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the pool's side ------------------------------------------------------------------

    @property
    def reusable(self) -> bool:
        """Idle, open, and nothing arrived since its last answer (a server that closed it or
        sent bytes nobody asked for has left something)."""
        return not self.in_exchange and self.quiet

    @property
    def quiet(self) -> bool:
        """Open, and nothing arrived since its last answer (idle or just handed over)."""
        return (
            not self._something_came()
            and self._transport is not None
            and not self._transport.is_closing()
        )

    def _something_came(self) -> bool:
        """A read would not wait: the server closed it (or it broke), or sent bytes."""
        return self._eof or self._lost is not None or bool(self._buffer)

    def peer_done(self) -> bool:
        """The server closed it or sent something, as the kernel knows already though the
        event loop has not read it yet (asyncio reads a socket only between tasks' steps, so
        an idle connection the server closed right after answering still looks reusable to
        a task taking it from the pool at once: the next request would go out on a closed
        connection and fail). One poll(2) of the socket, as httpcore does before reusing."""
        sock = None if self._transport is None else self._transport.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return sock is not None
        if not hasattr(select, "poll"):  # pragma: no cover -- Windows
            return bool(select.select([sock.fileno()], [], [], 0)[0])
        poll = select.poll()
        poll.register(sock.fileno(), select.POLLIN)
        return bool(poll.poll(0))

    def close(self) -> None:
        """Dropped at once (an idle or broken connection owes the server nothing)."""
        self._aborted = True
        if self._transport is not None:
            self._transport.abort()

    def get_extra_info(self, info: str) -> Any:
        """httpx's ``network_stream`` extension."""
        if info == "is_readable":
            return self._something_came()
        name = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }.get(info)
        if name is None or self._transport is None:
            return None
        return self._transport.get_extra_info(name)

    # -- one exchange ---------------------------------------------------------------------

    async def send(self, request: httpx.Request, timeout: float | None) -> None:  # noqa: ASYNC109
        """The request's head and body, in as few writes as the body allows."""
        head = h11.Request(
            method=request.method,
            target=request.url.raw_path,
            headers=list(request.headers.raw),
        )
        out = [self._h11.send(head) or b""]
        async with asyncio.timeout(timeout):
            if isinstance(request.stream, httpx.ByteStream):
                body = request.content
                if body:
                    out.append(self._h11.send(h11.Data(data=body)) or b"")
            else:
                async for chunk in request.stream:  # type: ignore[union-attr]
                    out.append(self._h11.send(h11.Data(data=chunk)) or b"")
                    if sum(map(len, out)) >= READ_AHEAD:
                        await self._write(b"".join(out))
                        out = []
            out.append(self._h11.send(h11.EndOfMessage()) or b"")
            await self._write(b"".join(out))

    async def _write(self, data: bytes) -> None:
        transport = self._transport
        if self._lost is not None or transport is None or transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        transport.write(data)
        if self._writing_paused:
            self._drained = self._loop.create_future()
            await self._drained

    async def next_event(self, timeout: float | None) -> h11.Event:  # noqa: ASYNC109
        """The next thing the server said, waiting for bytes as long as ``timeout``."""
        while True:
            event = self._h11.next_event()
            if isinstance(event, h11.Event):
                return event
            if self._aborted:  # closed under its reader: the transport's aclose()
                raise ConnectionAbortedError("the connection was closed by the client")
            if self._buffer:
                data, self._buffer = bytes(self._buffer), bytearray()
                if self._reading_paused and self._transport is not None:
                    self._reading_paused = False
                    self._transport.resume_reading()
                self._h11.receive_data(data)
            elif self._eof:
                self._h11.receive_data(b"")  # h11 decides: the end of a body, or cut short
            else:
                self._waiter = self._loop.create_future()
                async with asyncio.timeout(timeout):
                    await self._waiter

    async def response_head(self, timeout: float | None) -> h11.Response:  # noqa: ASYNC109
        """The answer's status and headers (any 1xx before it passed over)."""
        while True:
            event = await self.next_event(timeout)
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):
                raise h11.RemoteProtocolError(f"unexpected {type(event).__name__}")

    def finish(self) -> bool:
        """After a complete answer: ready for the next exchange if both sides keep alive."""
        self.in_exchange = False
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
            self.idle_since = self._loop.time()
            # Bytes that came after the answer (in h11's buffer now, not ours) were asked for
            # by nobody: the next request would read them as its answer.
            return self.reusable and not self._h11.trailing_data[0]
        return False


class _Origin:
    """An origin's connections: the idle ones (a stack) and the requests waiting for one."""

    def __init__(self) -> None:
        self.idle: collections.deque[_Connection] = collections.deque()
        self.open = 0
        self.busy: set[_Connection] = set()  # in an exchange: aclose() closes them too
        # Requests waiting for a connection, first come first served: each is handed a
        # connection as one is released, or None — a slot (counted in ``open``) to open one.
        self.waiting: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()


class _Body(httpx.AsyncByteStream):
    """A response's body, read from its connection as the reader asks; the connection goes
    back to its pool once the body is read to its end, and is closed otherwise."""

    def __init__(
        self,
        transport: KeepAliveTransport,
        connection: _Connection,
        request: httpx.Request,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self._request = request
        self._timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            return
        with _HttpxErrors(self._request, read=True):
            while True:
                event = await connection.next_event(self._timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise h11.RemoteProtocolError(f"unexpected {type(event).__name__}")
        self._connection = None
        self._transport.release(connection, connection.finish())

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:  # the body was not read to its end
            connection.close()
            self._transport.release(connection, False)


class _HttpxErrors:
    """h11's and the network's exceptions as httpx's."""

    def __init__(self, request: httpx.Request, *, read: bool = False, write: bool = False):
        self._request = request
        self._read = read
        self._write = write

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _: Any
    ) -> Literal[False]:
        if exc is None or isinstance(exc, httpx.TransportError):
            return False
        request = self._request
        mapped: httpx.TransportError
        if isinstance(exc, TimeoutError):
            mapped = (
                httpx.WriteTimeout("writing the request timed out", request=request)
                if self._write
                else httpx.ReadTimeout("no answer in time", request=request)
            )
        elif isinstance(exc, h11.RemoteProtocolError):
            mapped = httpx.RemoteProtocolError(str(exc), request=request)
        elif isinstance(exc, h11.LocalProtocolError):
            mapped = httpx.LocalProtocolError(str(exc), request=request)
        elif isinstance(exc, OSError):
            text = str(exc) or type(exc).__name__
            mapped = (
                httpx.WriteError(text, request=request)
                if self._write
                else httpx.ReadError(text, request=request)
            )
        else:
            return False
        raise mapped from exc


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 keep-alive connections, at most ``max_connections`` to an origin at once,
    ``max_keepalive`` of them kept idle for ``keepalive_expiry`` seconds."""

    def __init__(
        self,
        max_connections: int = MAX_CONNECTIONS,
        max_keepalive: int | None = None,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
    ) -> None:
        _smaller_tls_read_buffer()
        # As httpx builds its default: SSL_CERT_FILE or SSL_CERT_DIR when set, else certifi.
        self._tls = httpx.create_ssl_context()
        self._max = max_connections
        self._keep = max_connections if max_keepalive is None else max_keepalive
        self._expiry = keepalive_expiry
        self._origins: dict[Origin, _Origin] = {}
        self._proxies = _proxy_routes(max_connections)
        self._closed = False

    @property
    def open_connections(self) -> int:
        return sum(o.open for o in self._origins.values())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for pattern, proxied in self._proxies:
            if pattern.matches(request.url):
                if proxied is not None:
                    return await proxied.handle_async_request(request)
                break  # NO_PROXY names it: straight there
        timeouts = request.extensions.get("timeout", {})
        connection = await self._acquire(request, timeouts)
        try:
            with _HttpxErrors(request, write=True):
                await connection.send(request, timeouts.get("write"))
            with _HttpxErrors(request, read=True):
                event = await connection.response_head(timeouts.get("read"))
        except BaseException:  # cancelled or failed midway: the connection's state is unknown
            connection.close()
            self.release(connection, False)
            raise
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=_Body(self, connection, request, timeouts.get("read")),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": bytes(event.reason),
                "network_stream": connection,
            },
        )

    async def _acquire(self, request: httpx.Request, timeouts: dict[str, Any]) -> _Connection:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.scheme
        port = url.port or (443 if scheme == "https" else 80)
        key = (scheme, url.raw_host.decode("ascii"), port)
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = _Origin()
        taken = self._take_idle(origin)
        if taken is not None:
            return taken
        if origin.open < self._max:
            origin.open += 1
            return await self._open(origin, key, request, timeouts)
        waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        origin.waiting.append(waiter)
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                granted = await waiter
        except TimeoutError:
            if not waiter.done() or waiter.cancelled() or waiter.exception() is not None:
                raise httpx.PoolTimeout("no connection was free in time", request=request) from None
            granted = waiter.result()  # handed one in the very turn the timeout fired: use it
        except BaseException:  # cancelled: what it was handed goes to the next in line
            self._give_back(origin, waiter)
            raise
        finally:
            if waiter in origin.waiting:
                origin.waiting.remove(waiter)
        if granted is not None:  # handed over busy (in_exchange): check it is still good
            if granted.quiet and not granted.peer_done():
                return granted
            granted.close()  # closed by the server meanwhile: its slot is ours, open anew
            origin.busy.discard(granted)
        return await self._open(origin, key, request, timeouts)

    def _take_idle(self, origin: _Origin) -> _Connection | None:
        """The most recently used idle connection that is still good (expired or closed
        ones are dropped on the way), marked busy."""
        now = asyncio.get_running_loop().time()
        idle = origin.idle
        while idle and now - idle[0].idle_since > self._expiry:  # the oldest first
            self._drop(origin, idle.popleft())
        while idle:
            connection = idle.pop()
            if connection.reusable and not connection.peer_done():
                connection.in_exchange = True
                origin.busy.add(connection)
                return connection
            self._drop(origin, connection)
        return None

    async def _open(
        self, origin: _Origin, key: Origin, request: httpx.Request, timeouts: dict[str, Any]
    ) -> _Connection:
        """A new connection on a slot already counted in ``origin.open``, marked busy."""
        try:
            connection = await self._connect(key, request, timeouts.get("connect"))
        except BaseException:
            self._free_slot(origin)
            raise
        if self._closed:  # aclose() ran while it connected
            connection.close()
            raise RuntimeError("the transport is closed")
        connection.in_exchange = True
        origin.busy.add(connection)
        return connection

    async def _connect(
        self,
        key: Origin,
        request: httpx.Request,
        timeout: float | None,  # noqa: ASYNC109
    ) -> _Connection:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        tls = self._tls if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(key, loop),
                    host,
                    port,
                    ssl=tls,
                    server_hostname=host if tls is not None else None,
                    happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout("connecting timed out", request=request) from exc
        except OSError as exc:  # refused, unreachable, a certificate refused (SSLError)
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return connection

    def release(self, connection: _Connection, reusable: bool) -> None:
        """A connection's exchange is over: handed to the first request waiting, else idle,
        or closed (and its slot handed on)."""
        connection.in_exchange = False
        origin = self._origins.get(connection.origin)
        if origin is None:  # the transport was closed meanwhile
            connection.close()
            return
        origin.busy.discard(connection)
        if reusable and not self._closed:
            waiter = self._next_waiter(origin)
            if waiter is not None:  # straight to it: no newcomer can take it first
                connection.in_exchange = True
                origin.busy.add(connection)
                waiter.set_result(connection)
                return
            if len(origin.idle) < self._keep:
                origin.idle.append(connection)
                return
        self._drop(origin, connection)

    def _drop(self, origin: _Origin, connection: _Connection) -> None:
        connection.close()
        self._free_slot(origin)

    def _free_slot(self, origin: _Origin) -> None:
        """A connection fewer: its slot goes to the first request waiting, if any."""
        waiter = self._next_waiter(origin)
        if waiter is None:
            origin.open -= 1
        else:
            waiter.set_result(None)

    @staticmethod
    def _next_waiter(origin: _Origin) -> asyncio.Future[_Connection | None] | None:
        while origin.waiting:
            waiter = origin.waiting.popleft()
            if not waiter.done():
                return waiter
        return None

    def _give_back(self, origin: _Origin, waiter: asyncio.Future[_Connection | None]) -> None:
        """A waiter cancelled after it was handed a connection or a slot: on to the next."""
        if not waiter.done() or waiter.cancelled() or waiter.exception() is not None:
            return
        granted = waiter.result()
        if granted is None:
            self._free_slot(origin)
        else:
            self.release(granted, granted.quiet)

    async def aclose(self) -> None:
        self._closed = True
        origins, self._origins = self._origins, {}
        for origin in origins.values():
            for connection in (*origin.idle, *origin.busy):  # a request in flight ends too
                connection.close()
            for waiter in origin.waiting:
                if not waiter.done():
                    waiter.set_exception(RuntimeError("the transport is closed"))
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
