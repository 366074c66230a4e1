"""Serving a Starlette app with uvicorn in this event loop: the webhook mode's endpoints and
the websocket host's health and metrics.

The socket is bound before uvicorn starts (port 0 picks a free one), so the port is known and
a bind failure is one sentence rather than uvicorn's ``SystemExit``; uvicorn leaves the
process's signals to us (its own handlers re-raise SIGTERM after shutdown). The fake Webex
(``webexfake``) serves itself through the same two pieces.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from bot import replies
from bot.errors import BotError, ConfigError

#: Where the servers listen unless told: loopback, behind a proxy.
DEFAULT_HOST = "127.0.0.1"


def bind_tcp(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (IPv6 when ``host`` has a colon), not yet listening;
    the ``OSError`` of a failed bind is the caller's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the listening
    # socket's proto says TCP; with proto 0 every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


class EmbeddedServer(uvicorn.Server):
    """uvicorn, leaving signals to us: its own handlers re-raise SIGTERM after shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass
class WebhookServer:
    """A running webhook app; ``await close()`` stops accepting and finishes open requests."""

    server: Any
    task: asyncio.Task[None]
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def close(self) -> None:
        self.server.should_exit = True
        await self.task


def _bind(host: str, port: int) -> socket.socket:
    """:func:`bind_tcp`, its failure said in one sentence."""
    try:
        sock = bind_tcp(host, port)
    except (socket.gaierror, UnicodeError):
        raise ConfigError(replies.webhook_cannot_listen(host, port, "unknown host")) from None
    except OSError as exc:
        raise BotError(replies.webhook_cannot_listen(host, port, exc.strerror or "")) from None
    sock.set_inheritable(True)
    return sock


async def start_server(app: Starlette, host: str = DEFAULT_HOST, port: int = 0) -> WebhookServer:
    """Serve ``app`` on ``host:port`` in this loop (port 0: a free one); returns once listening."""
    sock = _bind(host, port)
    bound = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app,
        host=host,
        port=bound,
        lifespan="off",
        log_config=None,  # uvicorn's records go through our (redacting) handler
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    server = EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()
            await task
            raise BotError(replies.webhook_cannot_listen(host, port, "the server didn't start"))
        await asyncio.sleep(0.01)
    return WebhookServer(server, task, host, bound)
