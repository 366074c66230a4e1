"""The clients' transport: a burst is spread over several keep-alive pools (the pool with
the fewest requests in flight takes the next one), each pool frees its slot when the
response is read, TLS trusts SSL_CERT_FILE as httpx's default does, a kept-alive connection
serves the next request and one the server has closed meanwhile (or sent unasked bytes on)
is not used again; over TLS a body many times asyncio's TLS read buffer arrives whole."""

from __future__ import annotations

import asyncio
import ssl

import httpx

from bot.webex.pools import SpreadTransport
from bot.webex.streams import TLS_READ_BUFFER
from tests.fake_webex.plugin import fake_webex, fake_webex_factory  # noqa: F401  -- fixtures
from webexfake.messaging import FakeWebex


async def test_a_burst_is_spread_and_every_slot_is_freed(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
) -> None:
    fake_webex.set_latency("/v1/people/me", 3.0)  # held while we look
    transport = SpreadTransport(pools=4, per_pool=5)
    headers = {"Authorization": f"Bearer {fake_webex.bot_token}"}
    async with httpx.AsyncClient(
        base_url=fake_webex.api_url, transport=transport, headers=headers
    ) as client:
        burst = [asyncio.create_task(client.get("people/me")) for _ in range(12)]
        await asyncio.sleep(0.1)  # every request has been handed to a pool
        assert transport.in_flight == [3, 3, 3, 3]
        answers = await asyncio.gather(*burst)
        assert [a.status_code for a in answers] == [200] * 12
        assert {a.json()["id"] for a in answers} == {fake_webex.bot.id}
        assert transport.in_flight == [0, 0, 0, 0]
        failed = await client.get("people/nobody")  # an error answer frees its slot too
        assert failed.status_code == 404
        assert transport.in_flight == [0, 0, 0, 0]


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
    transport = SpreadTransport(pools=1, per_pool=2)
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
    transport = SpreadTransport(pools=1, per_pool=2)
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
    async with server, httpx.AsyncClient(transport=SpreadTransport(1, 2)) as client:
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
    async with server, httpx.AsyncClient(transport=SpreadTransport(1, 2)) as client:
        answer = await client.get(f"https://127.0.0.1:{port}/")
    assert answer.content == body
