"""``SandboxTransport``: talk to the sandbox in process, network faults included.

    client = httpx.AsyncClient(
        transport=SandboxTransport(state), base_url="https://webexapis.com/v1"
    )

Only the transport differs from production; the client code path is the same. The app runs
in its own task, like a real server: a client read timeout (``httpx.Timeout(read=…)``) raises
``httpx.ReadTimeout`` while the request carries on and may still commit — exactly the ambiguity
a real timeout leaves. Network faults from ``state.faults`` (see ``webexfake.faults``):

* ``reset``: nothing reaches the app; raises ``fault.error`` (default ``httpx.ReadError``, what
  a TCP reset produces over HTTP) after ``fault.seconds``.
* ``timeout_before``: nothing reaches the app; raises ``httpx.ReadTimeout`` after
  ``fault.seconds`` (at most the request's read timeout).
* ``timeout_after``: the app handles (and commits) the request, then ``httpx.ReadTimeout``.

Requests stopped before the app are still recorded in ``state.log`` with their fault.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from webexfake.calling.app import build_app
from webexfake.calling.state import SandboxState
from webexfake.faults import IN_PROCESS, NETWORK_KINDS, Fault, FaultKind, InProcess


class SandboxTransport(httpx.AsyncBaseTransport):
    """An httpx transport that serves requests from ``state`` without a socket."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.app = build_app(state)
        self._asgi = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        self._running: set[asyncio.Task[httpx.Response]] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        timeout = request.extensions.get("timeout", {}).get("read")
        method, path = request.method, request.url.path
        fault = self.state.faults.take(method, path, NETWORK_KINDS)
        if fault is not None and fault.kind is not FaultKind.TIMEOUT_AFTER:
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.state.record(method, path, request.url.query, headers, body, fault=fault.kind)
            await self._pause(fault, timeout)
            raise self._error(fault, request)

        token = IN_PROCESS.set(InProcess(fault.kind if fault else None))
        try:  # the task copies the context now, so the app sees IN_PROCESS
            task = asyncio.ensure_future(self._asgi.handle_async_request(request))
        finally:
            IN_PROCESS.reset(token)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:  # the request carries on in the background, as on a real server
            raise httpx.ReadTimeout("Timed out waiting for the sandbox", request=request)
        response = task.result()
        if fault is not None:  # timeout_after: committed, but the answer never arrives
            await self._pause(fault, timeout)
            raise self._error(fault, request)
        return response

    @staticmethod
    async def _pause(fault: Fault, read_timeout: float | None) -> None:
        seconds = fault.seconds if read_timeout is None else min(fault.seconds, read_timeout)
        if seconds > 0:
            await asyncio.sleep(seconds)

    @staticmethod
    def _error(fault: Fault, request: httpx.Request) -> httpx.TransportError:
        if fault.kind is FaultKind.RESET:
            error = fault.error or httpx.ReadError
            return error("[Errno 104] Connection reset by peer (sandbox fault)", request=request)
        return httpx.ReadTimeout("Timed out (sandbox fault)", request=request)

    async def drain(self) -> None:
        """Wait for requests still running after their client timed out."""
        while self._running:
            await asyncio.wait(set(self._running))

    async def aclose(self) -> None:
        """Cancel requests still running in the background."""
        for task in list(self._running):
            task.cancel()
        for task in list(self._running):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._asgi.aclose()
