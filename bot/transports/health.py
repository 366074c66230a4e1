"""`trunkbot run --metrics-port`: ``/healthz``, ``/readyz`` and ``/metrics`` for the
websocket host (the webhook mode serves the same three beside ``/webhook``).

* ``GET /healthz`` — 200 ``ok`` while the process runs.
* ``GET /readyz`` — JSON ``{"ready": …, "role": "active"|"standby", "store": …, "webex": …,
  "websocket": …}``: 200 for an active replica whose store answers, whose websocket is
  connected and whose last Webex call was answered, and for a standby whose store answers
  (ready to take over); 503 otherwise, and from the moment SIGTERM arrives.
* ``GET /metrics`` — Prometheus text (:mod:`bot.transports.metrics`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.transports.metrics import CONTENT_TYPE, WEBEX_REACH, registry_for, render

if TYPE_CHECKING:
    from bot.runner import BotRunner

log = logging.getLogger(__name__)

READY_TIMEOUT = 3.0


async def readiness(runner: BotRunner) -> tuple[bool, dict[str, object]]:
    """Whether this replica is ready, and the facts behind it (for ``/readyz``)."""
    role = runner.role
    facts: dict[str, object] = {"role": role, "stopping": runner.stop.is_set()}
    try:
        await asyncio.wait_for(runner.app.services.store.schema_version(), timeout=READY_TIMEOUT)
        facts["store"] = "ok"
    except Exception as exc:  # noqa: BLE001  -- a probe: any failure is "not ready"
        log.warning("ready.store_unavailable", extra={"error": type(exc).__name__})
        facts["store"] = "unreachable"
    facts["webex"] = "ok" if WEBEX_REACH.reachable() else "unreachable"
    facts["websocket"] = "connected" if runner.connected.is_set() else "not connected"
    ready = not runner.stop.is_set() and facts["store"] == "ok"
    if role == "active":
        ready = ready and facts["webex"] == "ok" and runner.connected.is_set()
    facts["ready"] = ready
    return ready, facts


def build_health_app(runner: BotRunner) -> Starlette:
    registry = registry_for(runner, role=lambda: runner.role)

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(_request: Request) -> Response:
        ready, facts = await readiness(runner)
        return JSONResponse(facts, status_code=200 if ready else 503)

    async def metrics(_request: Request) -> Response:
        return Response(render(registry), media_type=CONTENT_TYPE)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ]
    )
