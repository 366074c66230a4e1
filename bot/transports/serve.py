"""`trunkbot serve`: Webex webhooks instead of the websocket, plus health and metrics (the
endpoints: :mod:`bot.transports.webhook`), until SIGTERM or SIGINT.

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
:data:`bot.store.STORE_DOWN` in its space. On SIGTERM ``/readyz`` turns 503 first, the work
in flight drains, then the server closes.

``GET /v1/webhooks`` lists them; a webhook Webex disabled after failed deliveries is
reactivated with ``PUT /v1/webhooks/{id}`` and ``"status": "active"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from pydantic import SecretStr

from bot import replies
from bot.errors import ConfigError
from bot.intake.dispatch import Intake
from bot.settings import Settings
from bot.startup import prepare
from bot.store.leases import LEASE_SECONDS
from bot.transports.http_server import DEFAULT_HOST, start_server
from bot.transports.webhook import WebhookIntake, build_webhook_app

log = logging.getLogger(__name__)

DEFAULT_PORT = 8080


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
