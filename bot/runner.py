"""`trunkbot run`: the websocket host. webex-bot's client on our loop, its activities handed
to the intake (screened by actor before any fetch, fetched on the loop, recorded before the
ack).

Replicas on PostgreSQL are active/standby (bot/transports/leader.py): only the replica
holding the advisory lock opens the websocket and runs the maintenance jobs; a standby
polls for the lock and takes over when the active one dies. With ``--metrics-port`` it
serves ``/healthz``, ``/readyz`` (naming the role) and ``/metrics``. SIGTERM: readiness
flips to 503 first, then the socket closes, in-flight commands finish (bounded by
``DRAIN_SECONDS``), the lock is released, and it returns 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import signal

from bot.errors import ConfigError
from bot.flood import person_key
from bot.intake.dispatch import DRAIN_SECONDS, Intake
from bot.intake.refetch import fetch_object
from bot.settings import Settings
from bot.startup import prepare
from bot.transports.health import build_health_app
from bot.transports.http_server import WebhookServer, start_server
from bot.transports.leader import POLL_SECONDS, Leadership, Role, leadership_for
from bot.transports.websocket import TrunkbotWebsocketClient

__all__ = ["DRAIN_SECONDS", "BotRunner", "prepare", "run_bot"]

log = logging.getLogger(__name__)


class BotRunner(Intake):
    """The intake, fed by webex-bot's websocket."""

    client: TrunkbotWebsocketClient | None = None
    role: Role = "standby"
    leadership: Leadership | None = None
    poll_seconds: float = POLL_SECONDS
    #: ``--metrics-host`` / ``--metrics-port``: where /healthz, /readyz, /metrics listen.
    metrics_at: tuple[str, int] | None = None
    metrics_server: WebhookServer | None = None

    def _make_client(self) -> TrunkbotWebsocketClient:
        """webex-bot's constructor does blocking I/O (the service catalog): run it off-loop."""
        token = self.settings.bot_token
        if token is None:  # prepare() refuses to start without one
            raise ConfigError("No bot token: set TRUNKBOT_BOT_TOKEN (see the README).")
        return TrunkbotWebsocketClient(
            token.get_secret_value(),
            u2c_url=self.settings.u2c_url,
            ca_file=os.environ.get("SSL_CERT_FILE") or None,
            bot_id=self.bot.person_id,
            fetch=functools.partial(fetch_object, self.messaging),
            accept=self.accept,
            deliver=self.submit,
            screen=self._screen,
        )

    def _screen(self, actor_uuid: str) -> bool:
        """Drop at the socket, before any fetch: our own posts coming back, and a person
        the router is already ignoring for flooding."""
        return actor_uuid == self._bot_key or self.app.router.flood.screen(actor_uuid)

    @functools.cached_property
    def _bot_key(self) -> str:
        return person_key(self.bot.person_id)

    async def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Not the main thread (tests drive stop directly): no signal handlers there.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.add_signal_handler(sig, self.stop.set)
        log.info("bot.starting", extra={"bot": self.bot.display_name})
        self.client = await asyncio.to_thread(self._make_client)
        if self.leadership is None:
            self.leadership = leadership_for(self.settings.effective_database_url)
        if self.metrics_at is not None:
            host, port = self.metrics_at
            self.metrics_server = await start_server(build_health_app(self), host, port)
            log.info("metrics.listening", extra={"host": host, "port": self.metrics_server.port})
        try:
            while not self.stop.is_set():
                if await self.leadership.try_acquire():
                    await self._lead(self.client, self.leadership)
                else:
                    await self._pause(self.poll_seconds)
        finally:
            self.stop.set()
            await self.leadership.release()
            self.role = "standby"
            if self.metrics_server is not None:
                await self.metrics_server.close()
        return 0

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    async def _lead(self, client: TrunkbotWebsocketClient, leadership: Leadership) -> None:
        """The active replica: the websocket and the maintenance jobs, until stopped or the
        lock is lost (then the socket closes before another replica can have it for long)."""
        self.role = "active"
        log.info("replica.active")
        step_down = asyncio.Event()
        ended = asyncio.Event()

        async def watch() -> None:
            while not self.stop.is_set() and not ended.is_set():
                await self._pause(self.poll_seconds)
                if self.stop.is_set() or await leadership.still_held():
                    continue
                if await leadership.try_acquire():
                    log.info("replica.lock_regained")
                elif leadership.unreachable:
                    log.warning("replica.lock_unknown_database_down")
                else:
                    log.warning("replica.stepping_down")
                    step_down.set()
                    return

        async def until_stop_or_step_down() -> None:
            waits = {asyncio.create_task(self.stop.wait()), asyncio.create_task(step_down.wait())}
            _, rest = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in rest:
                task.cancel()
            listen_stop.set()

        listen_stop = asyncio.Event()
        watcher = asyncio.create_task(watch())
        relay = asyncio.create_task(until_stop_or_step_down())
        maintenance = asyncio.create_task(self._maintain_until(listen_stop))
        try:
            await client.listen(listen_stop, self.connected)
            await self.drain()
        finally:
            listen_stop.set()
            ended.set()
            for task in (watcher, relay):
                task.cancel()
            await asyncio.gather(watcher, relay, maintenance, return_exceptions=True)
            self.role = "standby"

    async def _maintain_until(self, done: asyncio.Event) -> None:
        """The intake's maintenance (recovery, jobs) while this replica is active."""
        job = asyncio.create_task(self.maintain())
        await done.wait()
        if not self.stop.is_set():  # stepping down: maintain() only stops on self.stop
            job.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await job


async def run_bot(settings: Settings, metrics_at: tuple[str, int] | None = None) -> int:
    app, messaging, bot = await prepare(settings)
    logging.getLogger("webex_bot").setLevel(logging.WARNING)  # it logs card inputs at INFO
    # What start-up built lives as long as the process: out of the collector's sight, so a
    # burst's collections walk only what the burst made (about 67,000 objects at start).
    gc.collect()
    gc.freeze()
    try:
        runner = BotRunner(settings, app=app, messaging=messaging, bot=bot)
        runner.metrics_at = metrics_at
        return await runner.run()
    finally:
        await app.aclose()
