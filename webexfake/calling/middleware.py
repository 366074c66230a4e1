"""The sandbox's outermost ASGI layer: tracking ids, the request log and fault injection.

For every HTTP request it reads the whole body, records it in ``state.log``, gives it a
``ROUTER_<uuid>`` tracking id (``TrackingID`` response header, ``trackingId`` in error bodies;
a client's own ``TrackingID`` header is not echoed, as Webex does not), then applies faults:
latency, then — only when not running under SandboxTransport, which handles them itself — the
network kinds, then the per-second rate limit (``faults.rate_limit``), then status faults.
See ``webexfake.faults`` for what each kind means.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

from webexfake.calling.state import SandboxState
from webexfake.errors import STATUS_MESSAGES, error_body
from webexfake.faults import IN_PROCESS, NETWORK_KINDS, Fault, FaultKind
from webexfake.ids import tracking_id
from webexfake.recorder import RecordedRequest

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

#: The asyncio transport of the current HTTP connection, set by server.SandboxH11Protocol.
CONNECTION: ContextVar[asyncio.Transport | None] = ContextVar("trunkbot_sandbox_conn", default=None)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _until_disconnect(receive: Receive, seconds: float) -> bool:
    """Wait up to ``seconds`` for the client to go away; True if it did."""

    async def wait() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _discard(message: Message) -> None:
    return None


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return
        method, path = str(scope["method"]), str(scope["path"])
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        tracking = tracking_id()
        scope.setdefault("state", {})["tracking_id"] = tracking
        in_process = IN_PROCESS.get()
        record = self.state.record(
            method,
            path,
            scope.get("query_string", b""),
            headers,
            body,
            fault=in_process.fault if in_process else None,
        )
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"TrackingID", tracking.encode()),
                ]
                record.status = int(message["status"])
            await send(message)

        faults = self.state.faults
        delay = faults.take_latency(method, path)
        if delay:
            await asyncio.sleep(delay)
        if in_process is None:
            fault = faults.take(method, path, NETWORK_KINDS)
            if fault is not None:
                record.fault = fault.kind
                await self._network_fault(fault, scope, replay, receive, tracked, record)
                return
        limit = faults.rate_limit
        wait = limit.retry_after(path) if limit is not None else None
        if wait is not None:
            record.fault = record.fault or FaultKind.STATUS
            throttled = Fault(FaultKind.STATUS, status=429, retry_after=str(wait))
            await self._send_status(throttled, tracked, tracking)
            return
        fault = faults.take(method, path, (FaultKind.STATUS,))
        if fault is not None:
            record.fault = record.fault or fault.kind
            if fault.commit:
                await self._call(scope, replay, _discard, tracking)
            await self._send_status(fault, tracked, tracking)
            return
        await self._call(scope, replay, tracked, tracking)

    async def _call(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send, tracking: str
    ) -> None:
        """Run the routes; a sandbox bug becomes a Webex-style 500 instead of a dropped socket."""
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("sandbox route failed")
            if not started:
                body = error_body(STATUS_MESSAGES[500], None, tracking)
                await _send_json(send, 500, body, {})

    async def _send_status(self, fault: Fault, send: Send, tracking: str) -> None:
        status = fault.status or 500
        description = fault.description or STATUS_MESSAGES.get(status, "Error")
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        await _send_json(send, status, error_body(description, fault.error_code, tracking), headers)

    async def _network_fault(
        self,
        fault: Fault,
        scope: MutableMapping[str, Any],
        replay: Receive,
        receive: Receive,
        send: Send,
        record: RecordedRequest,
    ) -> None:
        tracking = str(scope["state"]["tracking_id"])
        hang = fault.hang if fault.hang is not None else self.state.faults.hang
        if fault.kind is FaultKind.RESET:
            conn = CONNECTION.get()
            if conn is None:  # not our uvicorn protocol: the best we can do is a 502
                await _send_json(send, 502, error_body(STATUS_MESSAGES[502], None, tracking), {})
                return
            sock = conn.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.abort()
            await _until_disconnect(receive, 1.0)
            return
        if fault.kind is FaultKind.TIMEOUT_BEFORE:
            if not await _until_disconnect(receive, hang):
                await _send_json(send, 504, error_body(STATUS_MESSAGES[504], None, tracking), {})
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
            held.append(message)

        await self._call(scope, replay, hold, tracking)
        if not await _until_disconnect(receive, hang):
            for message in held:
                await send(message)


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str]
) -> None:
    raw = json.dumps(body).encode()
    header_list = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
    ]
    header_list += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": header_list})
    await send({"type": "http.response.body", "body": raw, "more_body": False})
