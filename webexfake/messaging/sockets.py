"""The bot's websockets as the fake holds them: which are open and authorized, frames queued
to them (kept while none is open), acks, and what a test does to them (wait, drop, refuse).

Frames and closes go through each connection's ``outbox``, an ``asyncio.Queue`` of the server
loop: :meth:`Sockets.deliver` runs there (a handler), :meth:`Sockets.push` hops there from a
test's loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from .devices import WsConnection
from .mercury import Frame
from .model import Person
from .records import Records
from .threaded import ServerThread
from .waits import Waits


class Sockets:
    """The websocket connections of one fake cloud, oldest first."""

    def __init__(self, bot: Person, records: Records, waits: Waits, server: ServerThread) -> None:
        self.bot = bot
        self.records = records
        self.waits = waits
        self.server = server
        self._lock = records.lock
        self._connections: list[WsConnection] = []
        self._pending: list[Frame] = []
        #: The HTTP status new handshakes get (None: accept them).
        self.refuse_status: int | None = None

    # -- the server side (the websocket route) -----------------------------------------------

    def open(self, device_uuid: str, transport: Any) -> WsConnection:
        with self._lock:
            conn = WsConnection(
                number=len(self._connections) + 1,
                device_id=device_uuid,
                opened_at=time.monotonic(),
                outbox=asyncio.Queue(),
            )
            conn.abort = getattr(transport, "abort", None)  # None: abrupt drops fall back
            self._connections.append(conn)
        self.waits.notify()
        return conn

    def authorization(self, raw: str) -> Person | None:
        """Who a first frame ``{"type": "authorization", "data": {"token": "Bearer …"}}``
        authorizes (None: not such a frame, or an unknown token)."""
        try:
            frame = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(frame, dict) or frame.get("type") != "authorization":
            return None
        data = frame.get("data")
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token.startswith("Bearer "):
            return None
        return self.records.person_for_token(token.removeprefix("Bearer ").strip())

    def authorize(self, conn: WsConnection, person: Person) -> None:
        """``conn`` speaks for ``person``; the bot's first socket gets the frames kept for it."""
        with self._lock:
            conn.person = person
            conn.authorized = True
            pending: list[Frame] = []
            if person is self.bot:
                pending, self._pending = self._pending, []
        assert conn.outbox is not None  # noqa: S101 - an invariant of the fake
        for frame in pending:
            conn.outbox.put_nowait(("frame", frame))
        self.waits.notify()

    def acked(self, conn: WsConnection, message_id: str) -> None:
        conn.acks.append(message_id)
        self.waits.notify()

    def closed(self, conn: WsConnection) -> None:
        with self._lock:
            conn.closed_at = time.monotonic()
        self.waits.notify()

    def deliver(self, frame: Frame) -> int:
        """Queue ``frame`` on every open authorized socket of the bot (server loop only). With
        none open it is kept and flushed to the next socket that authorizes."""
        with self._lock:
            conns = [
                c
                for c in self._connections
                if c.is_open and c.authorized and c.person is self.bot and c.outbox is not None
            ]
            if not conns:
                self._pending.append(frame)
                return 0
        for conn in conns:
            assert conn.outbox is not None  # noqa: S101 - an invariant of the fake
            conn.outbox.put_nowait(("frame", frame))
        return len(conns)

    async def push(self, frame: Frame) -> int:
        """:meth:`deliver` from any loop (a test's)."""

        async def deliver() -> int:
            return self.deliver(frame)

        return await self.server.call(deliver())

    # -- what a test reads -------------------------------------------------------------------

    @property
    def connections(self) -> list[WsConnection]:
        """Every websocket connection so far, oldest first."""
        with self._lock:
            return list(self._connections)

    def open_connections(self) -> list[WsConnection]:
        with self._lock:
            return [c for c in self._connections if c.is_open and c.authorized]

    @property
    def acks(self) -> list[str]:
        """Message ids acked over any connection, in arrival order."""
        with self._lock:
            return [ack for c in self._connections for ack in c.acks]

    # -- what a test waits for, and does -----------------------------------------------------

    async def wait_connected(self, timeout: float, total: int | None) -> WsConnection:  # noqa: ASYNC109 - the helpers' API
        def ready() -> bool:
            with self._lock:
                authorized = [c for c in self._connections if c.authorized]
                if total is not None:
                    return len(authorized) >= total
                return any(c.is_open for c in authorized)

        await self.waits.until(ready, timeout, lambda: "a websocket connection")
        with self._lock:
            return [c for c in self._connections if c.authorized][-1]

    async def wait_for_ack(self, message_id: str, timeout: float) -> None:  # noqa: ASYNC109
        await self.waits.until(
            lambda: message_id in self.acks, timeout, lambda: f"an ack of {message_id}"
        )

    async def wait_disconnected(self, timeout: float) -> None:  # noqa: ASYNC109
        await self.waits.until(
            lambda: not any(c.is_open for c in self.connections), timeout, lambda: "no socket"
        )

    async def drop(self, code: int, abrupt: bool) -> int:
        """Close every open socket with ``code``, or abort its TCP connection (``abrupt``)."""

        async def drop() -> list[WsConnection]:
            with self._lock:
                conns = [c for c in self._connections if c.is_open]
            for conn in conns:
                if abrupt and conn.abort is not None:
                    conn.close_code = 1006
                    conn.abort()
                elif conn.outbox is not None:
                    conn.outbox.put_nowait(("close", code))
            return conns

        dropped = await self.server.call(drop())
        await self.waits.until(
            lambda: all(not c.is_open for c in dropped), 5.0, lambda: "dropped sockets to close"
        )
        return len(dropped)
