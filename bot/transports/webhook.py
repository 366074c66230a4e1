"""`trunkbot serve`: Webex webhooks instead of the websocket, plus health and metrics.

Endpoints (one Starlette app, served by uvicorn):

* ``POST /webhook`` — a Webex webhook delivery. The raw body must carry a valid
  ``X-Spark-Signature`` (hex HMAC-SHA1 of the raw body keyed with the webhook secret), else
  401. Bodies over 64 KB get 413. ``messages``/``created`` and ``attachmentActions``/``created``
  carry ids only: the message (``GET /messages/{id}``) or card submission
  (``GET /attachment/actions/{id}``) is fetched with the bot's token in a task and handed to
  the runner, which records it, drops a redelivery (same REST id) and answers. Webex gets its
  200 at once; other resources and events get 200 and are ignored.
* ``GET /healthz`` — 200 ``ok`` while the process runs.
* ``GET /readyz`` — 200 when the database answers and the bot isn't stopping; 503 and a
  one-line reason otherwise.
* ``GET /metrics`` — Prometheus text format (:mod:`bot.transports.metrics`).

Registering the webhooks is the operator's job (Trunkbot never does it). Webex must reach
``targetUrl`` over HTTPS: put a TLS-terminating reverse proxy in front of ``trunkbot serve``
(which listens on 127.0.0.1:8080 by default) and expose only ``/webhook`` through it. Create
two webhooks **with the bot's token** (a webhook delivers what its creator can see), both
with the same ``secret`` as ``TRUNKBOT_WEBHOOK_SECRET``::

    for resource in messages attachmentActions; do
      curl -sS https://webexapis.com/v1/webhooks \\
        -H "Authorization: Bearer $TRUNKBOT_BOT_TOKEN" \\
        -H "Content-Type: application/json" \\
        -d '{"name": "trunkbot '"$resource"'",
             "targetUrl": "https://trunkbot.example.com/webhook",
             "resource": "'"$resource"'", "event": "created",
             "secret": "'"$TRUNKBOT_WEBHOOK_SECRET"'"}'
    done

Replicas: run several behind a load balancer on one PostgreSQL. A delivery that reaches two
of them is recorded once (the intake row's insert decides) and answered once; each replica's
pending work carries a lease it renews, and when a replica dies another takes the work over
once the lease lapses (``TRUNKBOT_LEASE_SECONDS``). When the database doesn't answer,
``/readyz`` is 503 and a delivery gets 503 (not acknowledged) and, once, the sentence
:data:`bot.intake.STORE_DOWN` in its space. On SIGTERM ``/readyz`` turns 503 first, the work
in flight drains, then the server closes.

``GET /v1/webhooks`` lists them; a webhook Webex disabled after failed deliveries is
reactivated with ``PUT /v1/webhooks/{id}`` and ``"status": "active"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import signal
import socket
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import uvicorn
from cachetools import TTLCache
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import replies
from bot.errors import BotError, ConfigError
from bot.events import Reply
from bot.intake import DRAIN_SECONDS, STORE_DOWN, Intake
from bot.settings import Settings
from bot.startup import prepare
from bot.store import StoreUnavailable
from bot.store.leases import LEASE_SECONDS
from bot.transports.metrics import CONTENT_TYPE, WebhookMetrics

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
MAX_BODY = 64 * 1024
SIGNATURE_HEADER = "X-Spark-Signature"
READY_TIMEOUT = 2.0
#: (resource, event) → (the runner's kind, the REST path that fetches the object by id).
FETCHED: dict[tuple[str, str], tuple[str, str]] = {
    ("messages", "created"): ("message", "/messages/"),
    ("attachmentActions", "created"): ("card", "/attachment/actions/"),
}
#: The whole answer to a signed body that isn't a webhook notification.
NOT_A_NOTIFICATION = "The body is not a Webex webhook notification (a JSON object).\n"


def sign(secret: bytes, body: bytes) -> str:
    """Webex's ``X-Spark-Signature``: hex HMAC-SHA1 of the raw body keyed with the secret."""
    return hmac.new(secret, body, hashlib.sha1).hexdigest()


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    given = header.strip().lower().encode("latin-1", errors="replace")
    return hmac.compare_digest(sign(secret, body).encode("ascii"), given)


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (``_TooLarge``) past ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _notification(body: bytes) -> tuple[str, str, dict[str, Any]] | None:
    """(resource, event, data) of a webhook body, or None when it isn't one (not JSON, not
    an object, or nested too deep for the parser)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    resource, event, data = doc.get("resource"), doc.get("event"), doc.get("data")
    if not isinstance(resource, str) or not isinstance(event, str) or not isinstance(data, dict):
        return None
    return resource, event, data


class WebhookIntake:
    """The endpoints' state: the runner, the key, the counters, the fetches under way."""

    def __init__(self, runner: Intake, secret: SecretStr) -> None:
        self.runner = runner
        self._key = secret.get_secret_value().encode("utf-8")
        self.metrics = WebhookMetrics.for_runner(runner)
        self.fetching: set[asyncio.Task[None]] = set()
        # Deliveries already told "try again shortly" (a retry during the outage isn't).
        self._told: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=3600)

    def _reject(self, reason: str, status: int, text: str = "", **fields: Any) -> Response:
        self.metrics.rejected.labels(reason=reason).inc()
        log.warning("webhook.rejected", extra={"reason": reason, **fields})
        if text:
            return PlainTextResponse(text, status_code=status)
        return Response(status_code=status)

    async def webhook(self, request: Request) -> Response:
        self.metrics.received.inc()
        client = request.client.host if request.client else ""
        try:
            body = await _read_body(request, MAX_BODY)
        except _TooLarge:
            return self._reject("too_large", 413, client=client)
        header = request.headers.get(SIGNATURE_HEADER)
        if not signature_ok(self._key, body, header):
            why = "missing" if not header else "mismatch"
            return self._reject("signature", 401, signature=why, client=client)
        if self.runner.stop.is_set():
            return self._reject("stopping", 503)  # Webex delivers it again later
        notice = _notification(body)
        if notice is None:
            return self._reject("malformed", 400, NOT_A_NOTIFICATION, client=client)
        resource, event, data = notice
        route = FETCHED.get((resource, event))
        event_id = data.get("id")
        if route is None or not isinstance(event_id, str) or not event_id:
            self.metrics.ignored.inc()
            log.debug("webhook.ignored", extra={"resource": resource, "webhook_event": event})
            return Response(status_code=200)
        kind, path = route
        if data.get("personId") == self.runner.bot.person_id:
            self.metrics.ignored.inc()  # our own post or card: never fetched, never answered
            return Response(status_code=200)
        # Recorded before the 200: from here a crash can't lose it (recovery fetches it).
        try:
            fresh = await self.runner.accept(event_id, kind, strict=True)
        except StoreUnavailable:
            # Not acknowledged (503): a redelivery, by Webex or a load balancer, is handled
            # once the database is back. Webex documents no retry of webhook deliveries, so
            # the person is also told, once, to try again shortly: nothing is lost silently.
            self._tell_store_down(event_id, data)
            return self._reject("store_unavailable", 503)
        if not fresh:
            self.metrics.ignored.inc()  # a redelivery of one we already have
            return Response(status_code=200)
        self.metrics.accepted.labels(kind=kind).inc()
        task = asyncio.create_task(self._fetch_and_submit(kind, path, event_id))
        self.fetching.add(task)
        task.add_done_callback(self.fetching.discard)
        return Response(status_code=200)

    def _tell_store_down(self, event_id: str, data: dict[str, Any]) -> None:
        room_id = data.get("roomId")
        if not isinstance(room_id, str) or not room_id or event_id in self._told:
            return
        self._told[event_id] = True
        reply = Reply(markdown=STORE_DOWN, room_id=room_id)
        task = asyncio.create_task(self._send(reply))
        self.fetching.add(task)
        task.add_done_callback(self.fetching.discard)

    async def _send(self, reply: Reply) -> None:
        try:
            await self.runner.outbox.send(reply)
        except Exception as exc:  # noqa: BLE001  -- Webex down too: the log says so
            log.warning("webhook.notice_failed", extra={"error": type(exc).__name__})

    async def _fetch_and_submit(self, kind: str, path: str, event_id: str) -> None:
        """Fetch what the webhook names (it carries ids only); the runner does the rest."""
        try:
            obj = await self.runner.messaging.http.get_json(path + quote(event_id, safe=""))
        except BotError:
            self.metrics.fetch_failed.inc()
            # Left pending in the intake, its lease no longer renewed: once it lapses,
            # recovery (here or on another replica) fetches it again.
            self.runner.release(event_id)
            log.warning("webhook.fetch_failed", extra={"event_id": event_id, "kind": kind})
            return
        except Exception:
            self.metrics.fetch_failed.inc()
            self.runner.release(event_id)
            log.exception("webhook.fetch_crashed", extra={"event_id": event_id, "kind": kind})
            return
        self.runner.submit(kind, obj)

    async def healthz(self, _request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(self, _request: Request) -> Response:
        if self.runner.stop.is_set():
            return PlainTextResponse(replies.NOT_READY_STOPPING, status_code=503)
        try:
            await asyncio.wait_for(
                self.runner.app.services.store.schema_version(), timeout=READY_TIMEOUT
            )
        except Exception as exc:  # noqa: BLE001  -- a probe: any failure is "not ready"
            log.warning("ready.store_unavailable", extra={"error": type(exc).__name__})
            return PlainTextResponse(replies.NOT_READY_STORE, status_code=503)
        return PlainTextResponse(replies.READY)

    async def metrics_endpoint(self, _request: Request) -> Response:
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)

    async def drain(self) -> None:
        """Let the fetches under way hand their events to the runner (bounded)."""
        if not self.fetching:
            return
        _, late = await asyncio.wait(set(self.fetching), timeout=DRAIN_SECONDS)
        for task in late:
            task.cancel()
        if late:
            log.warning("webhook.fetch_drain_timeout", extra={"cancelled": len(late)})


def build_webhook_app(runner: Intake, secret: SecretStr) -> Starlette:
    """The webhook, health and metrics endpoints for ``runner``; ``app.state.intake`` is the
    :class:`WebhookIntake` (counters, ``drain()``)."""
    intake = WebhookIntake(runner, secret)
    app = Starlette(
        routes=[
            Route("/webhook", intake.webhook, methods=["POST"]),
            Route("/healthz", intake.healthz, methods=["GET"]),
            Route("/readyz", intake.readyz, methods=["GET"]),
            Route("/metrics", intake.metrics_endpoint, methods=["GET"]),
        ]
    )
    app.state.intake = intake
    return app


class _Server(uvicorn.Server):
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
    """Bind before uvicorn starts (its bind failure is a SystemExit): port 0 picks one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (socket.gaierror, UnicodeError):
        sock.close()
        raise ConfigError(replies.webhook_cannot_listen(host, port, "unknown host")) from None
    except OSError as exc:
        sock.close()
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
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()
            await task
            raise BotError(replies.webhook_cannot_listen(host, port, "the server didn't start"))
        await asyncio.sleep(0.01)
    return WebhookServer(server, task, host, bound)


def lease_seconds() -> float:
    """How long a replica's lease on its pending work lasts unless renewed
    (``TRUNKBOT_LEASE_SECONDS``, default 30): a dead replica's work is taken over about this
    long after it died. Longer than a few renewals (every third of it) may take."""
    raw = os.environ.get("TRUNKBOT_LEASE_SECONDS", "").strip()
    if not raw:
        return LEASE_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 1.0 <= value <= 3600.0:
        raise ConfigError("TRUNKBOT_LEASE_SECONDS must be a number of seconds from 1 to 3600.")
    return value


def require_secret(settings: Settings) -> SecretStr:
    secret = settings.webhook_secret
    if secret is None or not secret.get_secret_value().strip():
        raise ConfigError(replies.serve_without_webhook_key())
    return secret


async def serve_runner(
    runner: Intake, secret: SecretStr, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> int:
    """Serve webhooks for ``runner`` until ``runner.stop`` (SIGTERM, SIGINT); then stop
    accepting, let fetches and commands in flight finish (bounded), and return 0."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, runner.stop.set)
    app = build_webhook_app(runner, secret)
    intake: WebhookIntake = app.state.intake
    maintenance = asyncio.create_task(runner.maintain())
    try:
        server = await start_server(app, host, port)
        log.info("webhook.listening", extra={"host": host, "port": server.port})
        try:
            await runner.stop.wait()
            # Readiness flips first: from now /readyz is 503 and new deliveries get 503
            # (the load balancer sends them to another replica), while the server stays up
            # for the probes as the work in flight drains; then it closes.
            log.info("webhook.stopping")
            await intake.drain()
            await runner.drain()
        finally:
            await server.close()
    finally:
        runner.stop.set()
        await maintenance
    return 0


async def serve(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """`trunkbot serve`: check the settings and credentials (ConfigError: exit 2), then serve."""
    secret = require_secret(settings)
    lease = lease_seconds()
    app, messaging, bot = await prepare(settings)
    app.services.store.lease_seconds = lease
    try:
        runner = Intake(settings, app=app, messaging=messaging, bot=bot)
        return await serve_runner(runner, secret, host, port)
    finally:
        await app.aclose()
