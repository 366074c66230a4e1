"""The clients' transport (bot.webex.keepalive): a burst opens at most the limit of
connections and the rest wait their turn (or time out waiting), every exchange gives its
connection back, a kept-alive connection serves the next request and one the server closed
(or sent unasked bytes on, or asked to close, or left idle too long) is not used again; a
request abandoned midway closes its connection; over TLS a body many times asyncio's TLS
read buffer arrives whole, and a streamed request body goes out chunked."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.webex.keepalive import TLS_READ_BUFFER, KeepAliveTransport
from tests.fake_webex.plugin import fake_webex, fake_webex_factory  # noqa: F401  -- fixtures
from webexfake.messaging import FakeWebex


@contextlib.asynccontextmanager
async def _slow_people_me(
    fake: FakeWebex, latency: float, max_connections: int
) -> AsyncIterator[tuple[httpx.AsyncClient, KeepAliveTransport]]:
    """A client of ``max_connections`` to the fake, whose ``people/me`` takes ``latency``."""
    fake.set_latency("/v1/people/me", latency)
    transport = KeepAliveTransport(max_connections=max_connections)
    headers = {"Authorization": f"Bearer {fake.bot_token}"}
    async with httpx.AsyncClient(
        base_url=fake.api_url, transport=transport, headers=headers
    ) as client:
        yield client, transport


async def test_a_burst_waits_for_the_limit_and_every_connection_comes_back(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
) -> None:
    async with _slow_people_me(fake_webex, 0.5, 5) as (client, transport):
        burst = [asyncio.create_task(client.get("people/me")) for _ in range(12)]
        await asyncio.sleep(0.25)  # the first five are at the server, seven wait
        assert transport.open_connections == 5
        answers = await asyncio.gather(*burst)
        assert [a.status_code for a in answers] == [200] * 12
        assert {a.json()["id"] for a in answers} == {fake_webex.bot.id}
        used = {id(a.extensions["network_stream"]) for a in answers}
        assert len(used) == 5  # the waiting seven went out on the first five's connections
        failed = await client.get("people/nobody")  # an error answer gives its connection back
        assert failed.status_code == 404
        assert id(failed.extensions["network_stream"]) in used
        assert transport.open_connections == 5


async def test_waiting_longer_than_the_pool_timeout_is_a_pool_timeout(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
) -> None:
    async with _slow_people_me(fake_webex, 1.0, 1) as (client, _):
        held = asyncio.create_task(client.get("people/me"))
        await asyncio.sleep(0.2)
        with pytest.raises(httpx.PoolTimeout):
            await client.get("people/me", timeout=httpx.Timeout(5.0, pool=0.2))
        assert (await held).status_code == 200


async def test_a_cancelled_waiter_does_not_hold_up_the_next(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
) -> None:
    async with _slow_people_me(fake_webex, 0.5, 1) as (client, transport):
        first = asyncio.create_task(client.get("people/me"))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(client.get("people/me"))
        third = asyncio.create_task(client.get("people/me"))
        await asyncio.sleep(0.1)
        second.cancel()
        assert (await first).status_code == 200
        assert (await asyncio.wait_for(third, 5)).status_code == 200
        assert second.cancelled()
        assert transport.open_connections == 1


async def _serve_once_then_close(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """One keep-alive answer, then the server closes the idle connection (as a server's
    keep-alive timeout does)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.close()


async def test_connections_are_reused_and_one_the_server_closed_is_not() -> None:
    server = await asyncio.start_server(_serve_once_then_close, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = KeepAliveTransport(max_connections=2)
    async with server, httpx.AsyncClient(transport=transport) as client:
        first = await client.get(f"http://127.0.0.1:{port}/")
        stream = first.extensions["network_stream"]
        await asyncio.sleep(0.2)  # the server has closed it meanwhile
        assert stream.get_extra_info("is_readable")  # the end of the stream is waiting
        second = await client.get(f"http://127.0.0.1:{port}/")  # on a new connection
        assert (first.text, second.text) == ("ok", "ok")
        assert second.extensions["network_stream"] is not stream


async def test_a_kept_alive_connection_serves_the_next_request(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
) -> None:
    transport = KeepAliveTransport(max_connections=2)
    headers = {"Authorization": f"Bearer {fake_webex.bot_token}"}
    async with httpx.AsyncClient(
        base_url=fake_webex.api_url, transport=transport, headers=headers
    ) as client:
        streams = set()
        for _ in range(3):
            answer = await client.get("people/me")
            assert answer.status_code == 200
            streams.add(id(answer.extensions["network_stream"]))
            assert not answer.extensions["network_stream"].get_extra_info("is_readable")
        assert len(streams) == 1  # one TLS connection, reused


async def _answer_then_chatter(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers every request; after the first, also sends bytes nobody asked for."""
    first = True
    while await reader.readuntil(b"\r\n\r\n"):
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        if first:
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"HTTP/1.1 200 OK\r\n")  # unasked: the connection is not reused
            first = False
        await writer.drain()


async def test_a_connection_with_unasked_bytes_waiting_is_not_reused() -> None:
    server = await asyncio.start_server(_answer_then_chatter, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=KeepAliveTransport(max_connections=2)) as client:
        first = await client.get(f"http://127.0.0.1:{port}/")
        stream = first.extensions["network_stream"]
        await asyncio.sleep(0.2)
        assert stream.get_extra_info("is_readable")
        second = await client.get(f"http://127.0.0.1:{port}/")
        assert (first.text, second.text) == ("ok", "ok")
        assert second.extensions["network_stream"] is not stream


async def test_a_large_body_over_tls_arrives_whole(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture (its CA is SSL_CERT_FILE)
) -> None:
    body = bytes(range(256)) * (TLS_READ_BUFFER // 256 * 40 + 3)

    async def large(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        writer.write(body)
        await writer.drain()

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(fake_webex.tls.server_cert_path, fake_webex.tls.server_key_path)
    server = await asyncio.start_server(large, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=KeepAliveTransport(max_connections=2)) as client:
        answer = await client.get(f"https://127.0.0.1:{port}/")
    assert answer.content == body


@dataclass
class _Served:
    client: httpx.AsyncClient
    transport: KeepAliveTransport
    url: str
    connections: list[int]  # one entry per connection the server accepted


@contextlib.asynccontextmanager
async def _answering(answer: bytes, **limits: Any) -> AsyncIterator[_Served]:
    """A server giving ``answer`` to every request on every connection, and a client."""
    seen: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(1)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(answer)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = KeepAliveTransport(max_connections=2, **limits)
    async with server, httpx.AsyncClient(transport=transport) as client:
        yield _Served(client, transport, f"http://127.0.0.1:{port}/", seen)


async def test_a_connection_the_server_asks_to_close_is_not_reused() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    async with _answering(answer) as served:
        texts = [(await served.client.get(served.url)).text for _ in range(3)]
        assert served.transport.open_connections == 0
    assert (texts, len(served.connections)) == (["ok"] * 3, 3)


async def test_a_connection_idle_past_its_keep_alive_is_not_reused() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with _answering(answer, keepalive_expiry=0.2) as served:
        await served.client.get(served.url)
        await served.client.get(served.url)  # within the keep-alive: reused
        assert len(served.connections) == 1
        await asyncio.sleep(0.4)
        await served.client.get(served.url)
        assert len(served.connections) == 2
        assert served.transport.open_connections == 1  # the lapsed one was closed


async def test_a_request_cancelled_midway_closes_its_connection() -> None:
    seen: list[int] = []

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(1)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(0.3)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = KeepAliveTransport(max_connections=2)
    async with server, httpx.AsyncClient(transport=transport) as client:
        abandoned = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/"))
        await asyncio.sleep(0.1)
        abandoned.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await abandoned
        assert transport.open_connections == 0
        await asyncio.sleep(0.4)  # the abandoned answer would now be waiting on it
        answer = await client.get(f"http://127.0.0.1:{port}/")
        assert answer.text == "ok"
        assert len(seen) == 2  # a new connection, not the one with a stray answer


async def test_a_body_not_read_to_its_end_closes_its_connection() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
    async with _answering(answer) as served:
        async with served.client.stream("GET", served.url) as streamed:
            assert streamed.status_code == 200  # closed without reading the body
        assert served.transport.open_connections == 0
        assert (await served.client.get(served.url)).text == "0123456789"
        assert len(served.connections) == 2


async def test_a_streamed_request_body_goes_out_chunked_and_an_interim_answer_is_passed_over() -> (
    None
):
    received: list[bytes] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head.lower()
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        received.append(body)
        writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    async def pieces() -> AsyncIterator[bytes]:
        for piece in (b"one,", b"two,", b"three"):
            yield piece

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=KeepAliveTransport()) as client:
        answer = await client.post(f"http://127.0.0.1:{port}/", content=pieces())
    assert (answer.status_code, answer.content, received) == (
        201,
        b"one,two,three",
        [b"one,two,three"],
    )
