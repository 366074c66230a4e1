"""The device's websocket (``/ws/{device id}``): authorization frame first, then Mercury
activities out and acknowledgements in."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.websockets import WebSocket

from .devices import WsConnection
from .front import TRANSPORT_KEY, error_response
from .routes_base import RoutesBase

#: Close code when the websocket's first frame is not a valid authorization (Mercury's is
#: undocumented; 4401 is the fake's choice).
WS_UNAUTHORIZED = 4401
#: How long a new socket may take to send its authorization frame.
WS_AUTH_TIMEOUT = 10.0


class SocketRoutes(RoutesBase):
    async def websocket(self, websocket: WebSocket) -> None:
        fake = self.fake
        device = fake.records.device(websocket.path_params["device_id"])
        refuse = fake.sockets.refuse_status
        if refuse is not None or device is None or device.expired:
            status = refuse if refuse is not None else 404
            if status == 403:
                await websocket.close()  # a close before accept is uvicorn's plain 403
            else:
                await websocket.send_denial_response(error_response(status, "Websocket refused."))
            return
        await websocket.accept()
        conn = fake.sockets.open(device.uuid, websocket.scope.get(TRANSPORT_KEY))
        try:
            await self._serve_socket(websocket, conn)
        finally:
            fake.sockets.closed(conn)

    async def _serve_socket(self, websocket: WebSocket, conn: WsConnection) -> None:
        # The writer runs from the start so drop_connections() also closes a socket that has
        # not authorized yet; frames only reach authorized ones (Sockets.deliver).
        reader = asyncio.ensure_future(self._read_socket(websocket, conn))
        writer = asyncio.ensure_future(self._write_socket(websocket, conn))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, writer):
                task.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)

    async def _read_socket(self, websocket: WebSocket, conn: WsConnection) -> None:
        """The first frame must be ``{"type": "authorization", "data": {"token": "Bearer
        …"}}`` (within WS_AUTH_TIMEOUT), else close 4401; later frames are recorded, acks
        counted."""
        while True:
            try:
                message = await asyncio.wait_for(
                    websocket.receive(), None if conn.authorized else WS_AUTH_TIMEOUT
                )
            except TimeoutError:
                message = {"type": "websocket.receive", "text": "(no authorization in time)"}
            if message["type"] == "websocket.disconnect":
                if conn.close_code is None:
                    conn.close_code = int(message.get("code", 1005))
                return
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", "replace")
            frame = _maybe_json(raw)
            conn.received.append(frame)
            if not conn.authorized:
                person = self.fake.sockets.authorization(raw)
                if person is None:
                    conn.close_code = WS_UNAUTHORIZED
                    with contextlib.suppress(RuntimeError):
                        await websocket.close(WS_UNAUTHORIZED, "Unauthorized")
                    return
                self.fake.sockets.authorize(conn, person)
            elif isinstance(frame, dict) and frame.get("type") == "ack":
                self.fake.sockets.acked(conn, str(frame.get("messageId")))

    async def _write_socket(self, websocket: WebSocket, conn: WsConnection) -> None:
        assert conn.outbox is not None  # noqa: S101 - an invariant of the fake
        while True:
            kind, payload = await conn.outbox.get()
            if kind == "close":
                conn.close_code = int(payload)
                with contextlib.suppress(RuntimeError):  # the reader closed it already
                    await websocket.close(int(payload))
                return
            await websocket.send_text(json.dumps(payload))
            conn.sent.append(payload)


def _maybe_json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
