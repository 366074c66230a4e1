"""The clients' transport (bot.webex.keepalive) at the byte level: what a server does on the wire
comes back as httpx's own exceptions (which bot.webex.errors reads), bodies arrive whole
whatever their framing, and TLS is verified against the trusted CAs."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import httpx
import pytest

from bot.webex.keepalive import KeepAliveTransport
from tests.fake_webex.plugin import fake_webex, fake_webex_factory  # noqa: F401  -- fixtures
from webexfake.messaging import FakeWebex

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _get(handler: Handler, read_timeout: float = 5.0) -> httpx.Response:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=KeepAliveTransport(max_connections=2)) as c:
        return await c.get(f"http://127.0.0.1:{port}/", timeout=read_timeout)


async def test_a_chunked_body_of_a_megabyte_arrives_whole() -> None:
    body = bytes(range(256)) * 4096

    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for start in range(0, len(body), 100_000):
            piece = body[start : start + 100_000]
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    answer = await _get(chunked)
    assert answer.content == body


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    with pytest.raises(httpx.ReadTimeout):
        await _get(silent, read_timeout=0.3)


async def test_a_body_cut_short_is_a_protocol_error() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
        await writer.drain()
        writer.close()

    with pytest.raises(httpx.RemoteProtocolError):
        await _get(cut)


async def test_nobody_listening_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the request
    async with httpx.AsyncClient(transport=KeepAliveTransport(max_connections=1)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_tls_is_verified_against_the_trusted_cas(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = {"Authorization": f"Bearer {fake_webex.bot_token}"}
    trusted = KeepAliveTransport(max_connections=1)  # SSL_CERT_FILE names the fake's CA
    async with httpx.AsyncClient(transport=trusted, headers=headers) as client:
        answer = await client.get(fake_webex.api_url + "/people/me")
        assert answer.json()["id"] == fake_webex.bot.id
        assert answer.extensions["network_stream"].get_extra_info("ssl_object") is not None
    monkeypatch.delenv("SSL_CERT_FILE")  # the public CAs alone: the fake's CA is unknown
    untrusted = KeepAliveTransport(max_connections=1)
    async with httpx.AsyncClient(transport=untrusted, headers=headers) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(fake_webex.api_url + "/people/me")


async def test_the_environments_proxy_is_used_and_no_proxy_goes_straight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As an httpx client without a transport would: HTTP_PROXY carries the request (in
    absolute form, to the proxy), NO_PROXY's hosts are reached directly."""
    seen: list[bytes] = []

    def answering(text: bytes) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            seen.append(head.split(b"\r\n", 1)[0])
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))
            await writer.drain()
            writer.close()

        return handler

    proxy = await asyncio.start_server(answering(b"proxy"), "127.0.0.1", 0)
    direct = await asyncio.start_server(answering(b"direct"), "127.0.0.1", 0)
    proxy_port = proxy.sockets[0].getsockname()[1]
    direct_port = direct.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy_port}")
    monkeypatch.setenv("NO_PROXY", "localhost")
    transport = KeepAliveTransport(max_connections=1)
    async with proxy, direct, httpx.AsyncClient(transport=transport) as client:
        via = await client.get("http://webex.invalid/v1/people/me")
        straight = await client.get(f"http://localhost:{direct_port}/v1/people/me")
    assert (via.text, straight.text) == ("proxy", "direct")
    assert seen == [
        b"GET http://webex.invalid/v1/people/me HTTP/1.1",
        b"GET /v1/people/me HTTP/1.1",
    ]
