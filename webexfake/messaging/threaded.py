"""uvicorn over TLS in a thread of its own, with its own event loop.

That is deliberate: webex-bot does blocking ``requests`` calls and runs its own loop in another
thread, and tests may block (``thread.join``, sync clients) without ever starving the fake. It
works the same from sync and async tests; :meth:`ServerThread.call` runs a coroutine on the
server's loop (where the sockets live) from any other loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp

from bot.transports.http_server import bind_tcp

from .tls import TlsMaterial

T = TypeVar("T")


class _DenialLogFilter(logging.Filter):
    """uvicorn (0.54, websockets-sansio) logs an ERROR after every websocket *denial response*
    although the response was sent; the fake sends those on purpose (404 for an expired
    device), so drop exactly that record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


_uvicorn_error_log = logging.getLogger("uvicorn.error")
if not any(isinstance(f, _DenialLogFilter) for f in _uvicorn_error_log.filters):
    _uvicorn_error_log.addFilter(_DenialLogFilter())


async def _abort_all(server: uvicorn.Server) -> None:
    """Stop listening and drop every connection at once (runs on the server loop)."""
    for listener in getattr(server, "servers", []):
        listener.close()
    for connection in list(server.server_state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()


class ServerThread:
    """A socket on ``127.0.0.1:port`` (bound now: ``port`` 0 picks one), served once by
    :meth:`start` and closed by :meth:`stop`."""

    def __init__(self, port: int = 0) -> None:
        self._sock = bind_tcp("127.0.0.1", port)
        self.port: int = self._sock.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_error: BaseException | None = None

    def start(self, app: ASGIApp, tls: TlsMaterial, timeout: float = 10.0) -> None:
        """Serve ``app`` over TLS (returns once uvicorn accepts connections)."""
        if self._thread is not None or self._sock.fileno() == -1:
            raise RuntimeError("a FakeWebex starts once (make a new one)")
        config = uvicorn.Config(
            app,
            ssl_certfile=str(tls.server_cert_path),
            ssl_keyfile=str(tls.server_key_path),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="auto",  # an extra app without lifespan support is fine
            timeout_graceful_shutdown=2,
            ws_ping_interval=None,
        )
        server = uvicorn.Server(config)
        self._server = server
        loop_ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            loop_ready.set()
            try:
                loop.run_until_complete(server.serve(sockets=[self._sock]))
            except BaseException as exc:  # noqa: BLE001 - reported to start()/stop()
                self._thread_error = exc
            finally:
                with contextlib.suppress(RuntimeError):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
                asyncio.set_event_loop(None)

        self._thread = threading.Thread(target=run, name=f"fake-webex:{self.port}", daemon=True)
        self._thread.start()
        loop_ready.wait(timeout)
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"FakeWebex did not start: {self._thread_error!r}")
            time.sleep(0.005)

    def stop(self, timeout: float = 10.0) -> None:
        """Close every socket, stop uvicorn and join its thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            self._sock.close()
            return
        loop = self._loop
        if loop is not None and thread.is_alive():
            # No graceful drain: idle keep-alive TLS connections of the clients under test
            # would hold uvicorn's shutdown until its timeout (nobody answers close_notify).
            with contextlib.suppress(RuntimeError, TimeoutError):
                asyncio.run_coroutine_threadsafe(_abort_all(server), loop).result(timeout)
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._server = self._thread = None
        self._sock.close()
        if thread.is_alive():
            raise RuntimeError("FakeWebex server thread did not stop")

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the server's loop and await its result from this one."""
        loop = self._loop
        if loop is None or self._thread is None:
            coro.close()
            raise RuntimeError("FakeWebex is not running: start() it first")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
