"""httpcore's network streams on asyncio's own streams (the clients' transport, pools.py).

httpcore reaches the network through a backend: httpx's default is anyio's, whose TLS is
a Python loop over an ``ssl.SSLObject`` per read and write and whose sockets stop and
restart reading (two ``epoll_ctl`` calls) for each read. asyncio's streams read into a
buffer as data comes and do TLS in the event loop's SSL protocol. httpx, httpcore and h11
still do all of HTTP; this is the socket under them. What httpcore expects of a backend
holds: its exceptions (``ConnectError``, ``ConnectTimeout``, ``ReadError``,
``ReadTimeout``, ``WriteError``, ``WriteTimeout``), ``b""`` at the end of a stream, and
``is_readable`` true once the server has closed an idle connection or sent on it.
"""

from __future__ import annotations

import asyncio
import ssl
from asyncio import sslproto
from collections.abc import Iterable
from typing import Any

import httpcore

#: anyio's delay between connection attempts to a host's addresses (RFC 6555), kept.
HAPPY_EYEBALLS_DELAY = 0.25
#: The buffer asyncio's TLS protocol reads a socket into, per connection (a TLS record is
#: at most 16 KiB and some bytes). See :class:`AsyncioBackend`.
TLS_READ_BUFFER = 17 * 1024


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: an asyncio reader and writer (the same pair after ``start_tls``)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(exc) from exc
        except OSError as exc:  # a reset, a TLS error (ssl.SSLError is an OSError)
            raise httpcore.ReadError(exc) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                if self._writer.is_closing():
                    raise ConnectionResetError("the connection is closed")
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.WriteError(exc) from exc

    async def aclose(self) -> None:
        """Closed as anyio closes: what is buffered (a TLS close_notify) goes out now, the
        socket goes a moment later — not waiting up to 30 s for the server's close_notify,
        as asyncio's TLS close would."""
        transport = self._writer.transport
        transport.close()
        await asyncio.sleep(0)
        transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109  -- httpcore's interface
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:  # a certificate refused, a reset mid-handshake
            await self.aclose()
            raise httpcore.ConnectError(exc) from exc
        return AsyncioStream(self._reader, self._writer)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # asked of an idle connection before it is used again
            return self._idle_is_over()
        name = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }.get(info)
        return None if name is None else self._writer.get_extra_info(name)

    def _idle_is_over(self) -> bool:
        """True when a read would not wait: the server closed the connection (or reset it),
        or sent bytes nobody asked for. asyncio reads as data comes, so it is in the
        reader, not the socket."""
        reader = self._reader
        return (
            self._writer.is_closing()
            or reader.at_eof()
            or reader.exception() is not None
            or bool(getattr(reader, "_buffer", b""))
        )


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections as :class:`AsyncioStream` (TCP_NODELAY is asyncio's default).

    asyncio's TLS protocol (``asyncio.sslproto.SSLProtocol``) allocates, zero-filled, a
    read buffer of its class attribute ``max_size`` (256 KiB) for every connection: a
    burst's ~140 connections held 35 MiB more than over anyio (peak RSS 87 → 120-130 MiB,
    bench.e2e). The first backend built lowers it to :data:`TLS_READ_BUFFER` for the
    process — every TLS connection asyncio makes (the websocket too) reads at most that
    much per call, which only changes how many reads a large body takes."""

    def __init__(self) -> None:
        protocol = getattr(sslproto, "SSLProtocol", None)
        if protocol is not None and getattr(protocol, "max_size", 0) > TLS_READ_BUFFER:
            protocol.max_size = TLS_READ_BUFFER

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109  -- httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    local_addr=None if local_address is None else (local_address, 0),
                    happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        return _with_options(reader, writer, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109  -- httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        return _with_options(reader, writer, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def _with_options(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    socket_options: Iterable[Any] | None,
) -> AsyncioStream:
    sock = writer.get_extra_info("socket")
    for option in socket_options or ():
        sock.setsockopt(*option)
    return AsyncioStream(reader, writer)
