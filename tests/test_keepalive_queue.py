"""The transport's queue at the per-origin limit (bot.webex.keepalive): a released connection
goes straight to the first request waiting, so one that arrives later can't take it first; a
hand-over that meets the waiter's pool timeout in the same turn is used, not lost; nothing
goes out after aclose(), even on a connection still being made then; and bytes that came
after an answer keep its connection from being used again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bot.webex.keepalive import KeepAliveTransport

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@asynccontextmanager
async def _server(seen: list[bytes]) -> AsyncIterator[str]:
    """Answers every request ``ok`` on every connection; ``seen`` gets each request line."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            seen.append(data.split(b"\r\n", 1)[0])
            writer.write(OK)
            await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def _run_now(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never suspends (a response's aclose()) to its end, here."""
    with pytest.raises(StopIteration):
        coro.send(None)


async def test_a_released_connection_goes_to_the_first_waiter_not_a_newcomer() -> None:
    async with _server([]) as url:
        transport = KeepAliveTransport(max_connections=1)
        async with httpx.AsyncClient(transport=transport, base_url=url) as client:
            held = [await client.send(client.build_request("GET", "/first"), stream=True)]
            waited = asyncio.create_task(client.get("/waiter", timeout=httpx.Timeout(5, pool=0.4)))
            await asyncio.sleep(0.02)

            async def newcomer() -> None:
                held.append(await client.send(client.build_request("GET", "/new"), stream=True))

            late = asyncio.create_task(newcomer())  # it runs after the release below
            _run_now(held.pop(0).stream.aclose())  # the holder finishes as it arrives
            answer = await asyncio.wait_for(waited, 2)
            assert answer.text == "ok"  # served first, within its pool timeout
            await asyncio.wait_for(late, 2)
            for response in held:
                await response.aread()  # read to its end: the connection is kept
            assert transport.open_connections == 1  # one connection served all three


async def test_a_hand_over_in_the_turn_the_pool_timeout_fires_is_used() -> None:
    async with _server([]) as url:
        transport = KeepAliveTransport(max_connections=1)
        async with httpx.AsyncClient(transport=transport, base_url=url) as client:
            holder = await client.send(client.build_request("GET", "/a"), stream=True)
            loop = asyncio.get_running_loop()
            first = asyncio.create_task(client.get("/w1", timeout=httpx.Timeout(20, pool=0.2)))
            await asyncio.sleep(0.01)
            second = asyncio.create_task(client.get("/w2", timeout=httpx.Timeout(20, pool=3.0)))
            await asyncio.sleep(0.01)
            loop.call_later(0.15, lambda: _run_now(holder.stream.aclose()))
            loop.call_later(0.05, time.sleep, 0.3)  # a busy loop: both timers due in one turn
            outcomes = await asyncio.wait_for(
                asyncio.gather(first, second, return_exceptions=True), 2
            )
            served = [o for o in outcomes if isinstance(o, httpx.Response)]
            assert served, outcomes  # the hand-over was not lost
            assert all(o.text == "ok" for o in served)
            assert all(isinstance(o, httpx.Response | httpx.PoolTimeout) for o in outcomes)
            assert isinstance(outcomes[1], httpx.Response)  # and never left to its 3 s timeout


async def test_nothing_goes_out_after_aclose_on_a_connection_made_meanwhile() -> None:
    seen: list[bytes] = []
    async with _server(seen) as url:
        transport = KeepAliveTransport()
        real = transport._connect

        async def slow_connect(*args: Any) -> Any:  # a slow TCP/TLS handshake
            await asyncio.sleep(0.1)
            return await real(*args)

        transport._connect = slow_connect  # type: ignore[method-assign]
        async with httpx.AsyncClient(transport=transport, base_url=url) as client:
            request = asyncio.create_task(client.get("/after-close"))
            await asyncio.sleep(0.02)
            await transport.aclose()
            with pytest.raises(RuntimeError, match="closed"):
                await asyncio.wait_for(request, 2)
            await asyncio.sleep(0.05)
    assert seen == []


async def test_bytes_after_an_answer_keep_its_connection_from_the_next_request() -> None:
    """An answer and, in the same write, bytes nobody asked for (another answer): the next
    request — here another identity's — gets a connection of its own, never the stray bytes."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        served = 0
        while await reader.read(65536):
            served += 1
            if served == 1 and len(connections) == 1:
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"
                )
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")
            await writer.drain()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    async with server, httpx.AsyncClient(transport=KeepAliveTransport(), base_url=url) as client:
        assert (await client.get("/a")).text == "first"
        await asyncio.sleep(0.05)
        other = await client.get("/b", headers={"Authorization": "Bearer other"})
    assert other.text == "second"
    assert len(connections) == 2
