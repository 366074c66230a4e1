"""The clients' transport (bot.webex.keepalive) against a hostile or careless server: broken
framing and oversized heads are httpx errors and their connection is dropped; bodiless answers
(HEAD, 204, 304) keep the connection; an early answer to a large upload, a server closing every
idle connection, a TLS name mismatch, a stalled handshake and closing the transport mid-request
all end promptly; one request's Authorization never rides along with the next one's."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import ssl
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import h11
import httpx
import pytest
import trustme

from bot.webex.keepalive import KeepAliveTransport

Handler = Callable[[int, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@contextlib.asynccontextmanager
async def _serving(
    handler: Handler, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[int, list[int]]]:
    """A loopback server running ``handler(n, ...)`` on its n-th connection; yields its port
    and the list of connections it accepted."""
    accepted: list[int] = []
    writers: list[asyncio.StreamWriter] = []
    tasks: set[asyncio.Task[object]] = set()

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(len(accepted))
        writers.append(writer)
        tasks.add(asyncio.current_task())  # type: ignore[arg-type]
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            await handler(len(accepted) - 1, reader, writer)
        writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0, ssl=tls)
    try:
        async with server:
            yield server.sockets[0].getsockname()[1], accepted
    finally:  # every handler ends before its test does (none is cancelled at the loop's end)
        for writer in writers:
            writer.transport.abort()
        if tasks:
            await asyncio.wait(tasks, timeout=1)


async def _until_closed(reader: asyncio.StreamReader) -> None:
    await reader.read()  # returns once the client closes (no handler outlives its test)


def _assert_httpx_error(exc: BaseException, kind: type[httpx.TransportError]) -> None:
    assert type(exc) is kind, repr(exc)
    assert not isinstance(exc, h11.ProtocolError)  # h11's own never leaks


BROKEN = {
    "two-content-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!",
    "bad-status-line": b"HTTP/1.1 twohundred OK\r\nContent-Length: 2\r\n\r\nok",
    "header-without-colon": b"HTTP/1.1 200 OK\r\nContent-Length 2\r\n\r\nok",
    "space-in-header-name": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX Bad: 1\r\n\r\nok",
    "not-http": b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
}


@pytest.mark.parametrize("answer", BROKEN.values(), ids=BROKEN.keys())
async def test_broken_framing_is_a_protocol_error_and_drops_the_connection(answer: bytes) -> None:
    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):  # the first connection breaks HTTP
            writer.write(answer if n == 0 else OK)
            await writer.drain()

    async with _serving(handler) as (port, accepted):
        transport = KeepAliveTransport(max_connections=2)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(httpx.TransportError) as caught:
                await client.get(f"http://127.0.0.1:{port}/")
            _assert_httpx_error(caught.value, httpx.RemoteProtocolError)
            assert transport.open_connections == 0
            assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
            assert len(accepted) == 2  # the broken connection was not used again


async def test_chunked_framing_overrides_a_content_length_beside_it() -> None:
    """Both headers: not an error but RFC 9112 section 6.3's reading, as h11 and httpx's own
    transport do; the body is the chunked one, the connection stays in step and is reused."""
    both = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"

    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(both + b"2\r\nok\r\n0\r\n\r\n")
            await writer.drain()

    transport = KeepAliveTransport(max_connections=2)
    async with (
        _serving(handler) as (port, accepted),
        httpx.AsyncClient(transport=transport) as client,
    ):
        texts = [(await client.get(f"http://127.0.0.1:{port}/")).text for _ in range(2)]
    assert (texts, len(accepted)) == (["ok", "ok"], 1)


async def test_an_endless_response_head_is_an_error_not_a_hang() -> None:
    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(100):  # 100 KiB of one header line, never ended, well past h11's 16 KiB
            writer.write(b"X-Big: " + b"a" * 1017 + b"\r\n")
            await writer.drain()
        await _until_closed(reader)

    async with _serving(handler) as (port, _):
        transport = KeepAliveTransport(max_connections=2)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(httpx.TransportError) as caught:
                await asyncio.wait_for(client.get(f"http://127.0.0.1:{port}/"), 2)
            _assert_httpx_error(caught.value, httpx.RemoteProtocolError)
            assert transport.open_connections == 0


async def test_bodiless_answers_keep_the_connection() -> None:
    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            method, path = head.split(b" ")[:2]
            if method == b"HEAD":  # the length a GET would have, and no body
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
            elif path == b"/204":
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            elif path == b"/304":
                writer.write(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: x\r\n\r\n")
            else:
                writer.write(OK)
            await writer.drain()

    async with _serving(handler) as (port, accepted):
        transport = KeepAliveTransport(max_connections=2)
        async with httpx.AsyncClient(transport=transport, timeout=1.0) as client:
            url = f"http://127.0.0.1:{port}"
            head = await client.head(url + "/")
            no_content = await client.get(url + "/204")
            not_modified = await client.get(url + "/304", headers={"If-None-Match": "x"})
            after = await client.get(url + "/")
        assert (head.status_code, head.headers["content-length"], head.content) == (200, "10", b"")
        assert (no_content.status_code, no_content.content) == (204, b"")
        assert (not_modified.status_code, not_modified.content) == (304, b"")
        assert after.text == "ok"  # framed right after all three
        assert len(accepted) == 1


async def test_an_early_answer_to_a_large_upload_is_never_a_hang() -> None:
    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"POST"):  # refused before its 2 MiB are read; closed unread
            writer.write(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 3\r\n\r\nbig")
            await writer.drain()
            writer.transport.abort()
            return
        writer.write(OK)
        await writer.drain()
        await _until_closed(reader)

    async with _serving(handler) as (port, accepted):
        transport = KeepAliveTransport(max_connections=2)
        async with httpx.AsyncClient(transport=transport) as client:
            url = f"http://127.0.0.1:{port}/"
            outcome: object
            try:
                answer = await asyncio.wait_for(client.post(url, content=b"x" * (2 << 20)), 2)
                outcome = (answer.status_code, answer.text)
            except httpx.TransportError as exc:  # the reset may overtake the answer
                outcome = type(exc)
            assert outcome in [
                (413, "big"),
                httpx.WriteError,
                httpx.ReadError,
                httpx.RemoteProtocolError,
            ]
            assert (await asyncio.wait_for(client.get(url), 2)).text == "ok"
            assert len(accepted) == 2  # the refused upload's connection was not used again
            assert transport.open_connections == 1


def _tls_server(ca: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


async def test_a_certificate_for_another_name_is_a_connect_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)
        await writer.drain()

    transport = KeepAliveTransport(max_connections=2)  # after SSL_CERT_FILE: trusts the CA
    async with httpx.AsyncClient(transport=transport) as client:
        async with _serving(handler, _tls_server(ca, "other.example")) as (port, _):
            with pytest.raises(httpx.TransportError) as caught:
                await client.get(f"https://127.0.0.1:{port}/")
            _assert_httpx_error(caught.value, httpx.ConnectError)
            assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
            assert transport.open_connections == 0
        async with _serving(handler, _tls_server(ca, "127.0.0.1")) as (port, _):
            assert (await client.get(f"https://127.0.0.1:{port}/")).text == "ok"  # same CA


async def test_a_handshake_that_never_completes_is_a_connect_timeout() -> None:
    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _until_closed(reader)  # TCP accepted, the ClientHello never answered

    async with _serving(handler) as (port, accepted):
        transport = KeepAliveTransport(max_connections=2)
        async with httpx.AsyncClient(transport=transport) as client:
            started = time.monotonic()
            with pytest.raises(httpx.TransportError) as caught:
                await client.get(
                    f"https://127.0.0.1:{port}/", timeout=httpx.Timeout(5, connect=0.3)
                )
            assert time.monotonic() - started < 1.0
            _assert_httpx_error(caught.value, httpx.ConnectTimeout)
            assert (len(accepted), transport.open_connections) == (1, 0)


async def test_a_server_closing_every_idle_connection_costs_no_request() -> None:
    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)  # keep-alive by HTTP/1.1's default, and closed at once
        await writer.drain()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        async with _serving(handler) as (port, accepted):
            transport = KeepAliveTransport(max_connections=2)
            async with httpx.AsyncClient(transport=transport) as client:
                for _ in range(30):
                    answer = await client.get(f"http://127.0.0.1:{port}/")
                    assert answer.text == "ok"
                    assert transport.open_connections <= 2
            assert len(accepted) == 30
        del transport, client, answer
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


async def test_closing_the_transport_ends_a_request_in_flight() -> None:
    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _until_closed(reader)  # never answers

    async with _serving(handler) as (port, _):
        transport = KeepAliveTransport(max_connections=1)
        no_timeout = httpx.Timeout(None)  # only aclose() can end the request
        client = httpx.AsyncClient(transport=transport, timeout=no_timeout)
        in_flight = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/"))
        waiting = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/"))  # at the limit
        await asyncio.sleep(0.1)
        await transport.aclose()
        done, _ = await asyncio.wait([in_flight, waiting], timeout=1)
        assert done == {in_flight, waiting}  # both ended, neither hangs
        with pytest.raises(httpx.TransportError) as caught:
            in_flight.result()
        _assert_httpx_error(caught.value, httpx.ReadError)
        with pytest.raises(RuntimeError, match="the transport is closed"):
            waiting.result()  # woken from the queue, it finds the transport closed
        await transport.aclose()  # a second close is harmless
        assert transport.open_connections == 0
        await client.aclose()


async def test_one_requests_authorization_never_reaches_another() -> None:
    heads: list[bytes] = []

    async def handler(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            heads.append(head.lower())
            writer.write(OK)
            await writer.drain()

    tokens = [b"first-fake-token", b"second-fake-token"]
    transport = KeepAliveTransport(max_connections=1)
    async with (
        _serving(handler) as (port, accepted),
        httpx.AsyncClient(transport=transport) as client,
    ):
        for token in tokens:
            auth = {"Authorization": "Bearer " + token.decode()}
            assert (await client.get(f"http://127.0.0.1:{port}/", headers=auth)).text == "ok"
        assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"  # none at all
    assert (len(accepted), len(heads)) == (1, 3)  # one connection carried all three
    for head, own in zip(heads, [*tokens, None], strict=True):
        assert head.count(b"authorization:") == (0 if own is None else 1)
        for token in tokens:
            assert (token in head) == (token == own)
