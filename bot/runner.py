"""`trunkbot run`: the websocket host. webex-bot's client on our loop, its activities handed
to the intake (recorded before the ack, screened by actor before any fetch); SIGTERM stops
the socket, lets in-flight commands finish (bounded by ``DRAIN_SECONDS``) and returns 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from typing import Any

from bot.errors import ConfigError
from bot.flood import person_key
from bot.intake import ACCEPT_TIMEOUT, DRAIN_SECONDS, Intake, kind_of_rest_id
from bot.settings import Settings
from bot.startup import prepare
from bot.transports.websocket import TrunkbotWebsocketClient

__all__ = ["DRAIN_SECONDS", "BotRunner", "prepare", "run_bot"]

log = logging.getLogger(__name__)


class BotRunner(Intake):
    """The intake, fed by webex-bot's websocket."""

    client: TrunkbotWebsocketClient | None = None

    def _make_client(self) -> TrunkbotWebsocketClient:
        """webex-bot's constructor does blocking I/O (the service catalog): run it off-loop."""
        token = self.settings.bot_token
        if token is None:  # prepare() refuses to start without one
            raise ConfigError("No bot token: set TRUNKBOT_BOT_TOKEN (see the README).")
        return TrunkbotWebsocketClient(
            token.get_secret_value(),
            api_url=self.settings.api_url,
            u2c_url=self.settings.u2c_url,
            ca_file=os.environ.get("SSL_CERT_FILE") or None,
            deliver=self._deliver_threadsafe,
            before_ack=self.accept_threadsafe,
            screen=self._screen,
        )

    def _screen(self, actor_uuid: str) -> bool:
        """Drop at the socket, before any fetch: our own posts coming back, and a person
        the router is already ignoring for flooding."""
        return actor_uuid == person_key(self.bot.person_id) or self.app.router.flood.screen(
            actor_uuid
        )

    def _deliver_threadsafe(self, kind: str, obj: Any, activity: dict[str, Any]) -> None:
        """Called on a fetch thread by webex-bot: hop onto the loop, start a task there."""
        self._loop.call_soon_threadsafe(self._start, kind, obj)

    def accept_threadsafe(self, rest_id: str) -> bool:
        """:meth:`accept` from webex-bot's fetch thread, just before its ack."""
        kind = kind_of_rest_id(rest_id)
        future = asyncio.run_coroutine_threadsafe(self.accept(rest_id, kind), self._loop)
        try:
            return future.result(timeout=ACCEPT_TIMEOUT)
        except Exception:  # noqa: BLE001  -- never block the websocket on the store
            log.warning("intake.accept_timeout", extra={"event_id": rest_id})
            return True

    async def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Not the main thread (tests drive stop directly): no signal handlers there.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.add_signal_handler(sig, self.stop.set)
        log.info("bot.starting", extra={"bot": self.bot.display_name})
        self.client = await asyncio.to_thread(self._make_client)
        maintenance = asyncio.create_task(self.maintain())
        try:
            await self.client.listen(self.stop, self.connected)
            await self.drain()
        finally:
            self.stop.set()
            await maintenance
        return 0


async def run_bot(settings: Settings) -> int:
    app, messaging, bot = await prepare(settings)
    logging.getLogger("webex_bot").setLevel(logging.WARNING)  # it logs card inputs at INFO
    try:
        runner = BotRunner(settings, app=app, messaging=messaging, bot=bot)
        return await runner.run()
    finally:
        await app.aclose()
