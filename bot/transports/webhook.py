"""The webhook mode's endpoints: Webex webhook deliveries, plus health and metrics.

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

`trunkbot serve` (:mod:`bot.transports.serve`) runs these endpoints; the delivery's signature
and notification are read in :mod:`bot.transports.webhook_delivery`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cachetools import TTLCache
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import replies
from bot.errors import BotError
from bot.events import Reply
from bot.intake.dispatch import DRAIN_SECONDS, Intake
from bot.intake.refetch import fetch_object
from bot.store import STORE_DOWN, StoreUnavailable
from bot.transports.metrics import CONTENT_TYPE
from bot.transports.webhook_delivery import (
    FETCHED,
    MAX_BODY,
    NOT_A_NOTIFICATION,
    SIGNATURE_HEADER,
    TooLarge,
    notification,
    read_body,
    signature_ok,
)
from bot.transports.webhook_metrics import WebhookMetrics

log = logging.getLogger(__name__)

READY_TIMEOUT = 2.0


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
            body = await read_body(request, MAX_BODY)
        except TooLarge:
            return self._reject("too_large", 413, client=client)
        header = request.headers.get(SIGNATURE_HEADER)
        if not signature_ok(self._key, body, header):
            why = "missing" if not header else "mismatch"
            return self._reject("signature", 401, signature=why, client=client)
        if self.runner.stop.is_set():
            return self._reject("stopping", 503)  # Webex delivers it again later
        notice = notification(body)
        if notice is None:
            return self._reject("malformed", 400, NOT_A_NOTIFICATION, client=client)
        resource, event, data = notice
        kind = FETCHED.get((resource, event))
        event_id = data.get("id")
        if kind is None or not isinstance(event_id, str) or not event_id:
            self.metrics.ignored.inc()
            log.debug("webhook.ignored", extra={"resource": resource, "webhook_event": event})
            return Response(status_code=200)
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
        task = asyncio.create_task(self._fetch_and_submit(kind, event_id))
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

    async def _fetch_and_submit(self, kind: str, event_id: str) -> None:
        """Fetch what the webhook names (it carries ids only); the runner does the rest."""
        try:
            obj = await fetch_object(self.runner.messaging, kind, event_id)  # None: a 404
        except BotError:
            obj = None
        except Exception:
            self.metrics.fetch_failed.inc()
            self.runner.release(event_id)
            log.exception("webhook.fetch_crashed", extra={"event_id": event_id, "kind": kind})
            return
        if obj is None:
            self.metrics.fetch_failed.inc()
            # Left pending in the intake, its lease no longer renewed: once it lapses,
            # recovery (here or on another replica) fetches it again.
            self.runner.release(event_id)
            log.warning("webhook.fetch_failed", extra={"event_id": event_id, "kind": kind})
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
