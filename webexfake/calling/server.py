"""Serve the sandbox over real HTTP with uvicorn.

    async with await serve(state) as server:          # 127.0.0.1, a free port
        client = httpx.AsyncClient(base_url=server.base_url)

``demo_settings_and_transport(settings)`` gives ``trunkbot shell`` an in-process demo org.
``trunkbot sandbox`` serves this state together with the bot's side: see ``webexfake.sandbox``.

Over HTTP every fault kind works: ``reset`` aborts the socket with a TCP RST (clients see
``httpx.ReadError``), the timeouts hold the response for ``hang`` seconds or until the client
disconnects. ``reset`` needs this module's uvicorn protocol; under another server it answers 502.
"""

from __future__ import annotations

import asyncio
import socket
from types import TracebackType
from typing import TYPE_CHECKING, Any

import uvicorn
from pydantic import SecretStr
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.transports.http_server import EmbeddedServer, bind_tcp
from webexfake.calling.app import build_app
from webexfake.calling.middleware import CONNECTION
from webexfake.calling.seed import DEMO_ADMIN_TOKEN
from webexfake.calling.state import SandboxState
from webexfake.calling.transport import SandboxTransport

if TYPE_CHECKING:
    from bot.settings import Settings

SANDBOX_API_URL = "https://webexapis.com/v1"  # the transport answers whatever the host


class SandboxH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, telling the app which connection a request came on."""

    def data_received(self, data: bytes) -> None:
        token = CONNECTION.set(self.transport)
        try:  # request tasks created in here copy the context, CONNECTION included
            super().data_received(data)
        finally:
            CONNECTION.reset(token)


def _config(state: SandboxState, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(state),
        host=host,
        port=port,
        http=SandboxH11Protocol,
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )


class SandboxServer:
    """A running sandbox; ``await close()`` (or leave its ``async with``) to stop it."""

    def __init__(self, server: Any, task: asyncio.Task[None], host: str, port: int) -> None:
        self._server = server
        self._task = task
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: the Webex base URL to give a client."""
        return f"http://{self.host}:{self.port}/v1"

    async def wait(self) -> None:
        """Until the server stops (a signal, or ``close()`` elsewhere)."""
        await asyncio.shield(self._task)

    async def close(self) -> None:
        self._server.should_exit = True
        await self._task

    async def __aenter__(self) -> SandboxServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _bind(host: str, port: int) -> socket.socket:
    sock = bind_tcp(host, port)
    sock.set_inheritable(True)
    return sock


async def _start(state: SandboxState, host: str, port: int, *, embedded: bool) -> SandboxServer:
    sock = _bind(host, port)
    config = _config(state, host, sock.getsockname()[1])
    server = EmbeddedServer(config) if embedded else uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()
            await task
            raise OSError(f"the sandbox could not start on {host}:{port}")
        await asyncio.sleep(0.01)
    return SandboxServer(server, task, host, int(sock.getsockname()[1]))


async def serve(state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start serving ``state`` in this event loop (port 0: any free port); returns once bound.

    The server leaves the process's signal handlers alone; stop it with ``close()``.
    """
    return await _start(state, host, port, embedded=True)


def demo_settings_and_transport(
    settings: Settings, state: SandboxState | None = None
) -> tuple[Settings, SandboxTransport]:
    """``settings`` pointed at an in-process demo org (``trunkbot shell`` without credentials).

    The admin token becomes the demo admin token and ``org_id`` is cleared (the sandbox's org is
    the token's own); pass the transport to the admin httpx client.
    """
    state = state or SandboxState.seeded()
    demo = settings.model_copy(
        update={
            "admin_token": SecretStr(DEMO_ADMIN_TOKEN),
            "api_url": SANDBOX_API_URL,
            "org_id": None,
        }
    )
    return demo, SandboxTransport(state)
