"""`trunkbot run`: Webex over webex-bot's websocket, dispatched by our router on one loop.

webex-bot gives us what is hard to get right against Webex: the service catalog lookup,
the WDM device registration, the websocket's URL, headers and authorization frame, and (on
the rare activity whose REST id can't be computed) the conversation-id → REST-id lookup.
The rest is ours. What we replace, and why (webex-bot 1.3.1, read 2026-11):

* ``run()`` receives a frame, then hands it to the loop's default thread pool
  (``min(32, cpu+4)`` threads) where two blocking ``requests`` GETs run (the conversation
  lookup, then the message), and acks with ``asyncio.run()`` on that worker thread against a
  websocket owned by another loop. On our rig a burst of 100 messages closed the connection
  and lost 2–40 commands in 5 of 8 runs. Here the websocket lives on *our* loop, each frame
  is a task on it (:mod:`bot.transports.activities`: the REST id computed, one async fetch,
  the ack sent on the socket directly), and the command runs as a task on the loop.
* After any failure ``run()`` registers a new WDM device, so devices pile up; we reconnect
  with the same device and, when Webex says a device is stale (404), delete it before
  registering its successor.
* ``stop()`` cannot stop it; SIGTERM here closes the socket, finishes in-flight commands
  (bounded) and returns.
* Its keyword matching (substring, unordered) and allow-lists (skipped for card actions,
  empty = everyone) are not used at all: every activity goes to our router and policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import uuid
from collections.abc import Callable
from typing import Any

import websockets
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from webex_bot.websockets import webex_websocket_client as wbx

from bot.transports.activities import Accept, Activities, Deliver, Fetch

log = logging.getLogger(__name__)

ACK_TIMEOUT = 10.0
RECONNECT_MAX_DELAY = 30.0
STALE_DEVICE_RETRIES = 3


def make_ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """TLS trust for the websocket: ``SSL_CERT_FILE`` when set, else the system and certifi."""
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    ctx = ssl.create_default_context()
    import certifi

    ctx.load_verify_locations(certifi.where())
    return ctx


class CaFileAdapter(HTTPAdapter):
    """Verifies HTTPS against one CA file, whatever the environment says.

    requests ignores ``SSL_CERT_FILE``, and its ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``
    override a session's own ``verify``; a transport adapter sees the final ``verify`` of
    each request and pins it to ``ca_file``, so nothing has to be written to ``os.environ``.
    """

    def __init__(self, ca_file: str) -> None:
        super().__init__()
        self.ca_file = ca_file

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        kwargs["verify"] = self.ca_file
        return super().send(request, **kwargs)


class TrunkbotWebsocketClient(wbx.WebexWebsocketClient):  # type: ignore[misc]  # untyped lib
    """webex-bot's client, redirected by our settings, with its run loop on our event loop."""

    def __init__(
        self,
        access_token: str,
        *,
        u2c_url: str,
        ca_file: str | None,
        bot_id: str,
        fetch: Fetch,
        accept: Accept,
        deliver: Deliver,
        screen: Callable[[str], bool] | None = None,
    ) -> None:
        self._u2c_url = u2c_url
        self._ca_file = ca_file
        self.registrations = 0
        # The parent's __init__ builds a requests session and calls _get_device_url().
        super().__init__(access_token=access_token, bot_name="trunkbot")
        self.activities = Activities(
            bot_id=bot_id,
            fetch=fetch,
            accept=accept,
            deliver=deliver,
            ack=self._ack,
            look_up=self._look_up,
            screen=screen,
        )

    # --- redirection: catalog and TLS come from our settings, not module constants -----
    def _get_device_url(self) -> str:
        # The parent's __init__ calls this right after building its requests session.
        if self._ca_file:
            self.session.mount("https://", CaFileAdapter(self._ca_file))
        response = self.session.get(self._u2c_url, params={"format": "hostmap"})
        if response.status_code == 401:
            raise PermissionError("Webex refused the bot token at the service catalog (401).")
        response.raise_for_status()
        wdm = response.json()["serviceLinks"]["wdm"]
        return str(wdm)

    def _get_device_info(self, check_existing: bool = True) -> dict[str, Any]:
        """Reuse our device; on a stale one (check_existing=False) delete it, then register."""
        if not check_existing and self.device_info and self.device_info.get("url"):
            with contextlib.suppress(Exception):
                self.session.delete(self.device_info["url"])
        info: dict[str, Any] = super()._get_device_info(check_existing=check_existing)
        if not check_existing or not info.get("url"):
            self.registrations += 1
        return info

    # --- on the loop: the ack on our socket; the rare lookup in a thread ---------------
    async def _ack(self, rest_id: str) -> None:
        """Tell Webex we have it (so it doesn't send it again)."""
        if self.websocket is None:
            return
        frame = json.dumps({"type": "ack", "messageId": rest_id})
        try:
            await asyncio.wait_for(self.websocket.send(frame), timeout=ACK_TIMEOUT)
        except Exception:  # noqa: BLE001  -- socket dropped: Webex redelivers; the handler still runs
            log.warning("websocket.ack_failed", extra={"message_id": rest_id})

    async def _look_up(self, activity: dict[str, Any]) -> str | None:
        """webex-bot's conversation lookup (a blocking GET), for an id we couldn't compute."""
        try:
            found = await asyncio.to_thread(super()._get_base64_message_id, activity)
        except Exception:  # noqa: BLE001  -- requests' errors, whatever they are
            log.warning("websocket.lookup_failed")
            return None
        return found if isinstance(found, str) else None

    # --- our run loop ------------------------------------------------------------------
    async def listen(self, stop: asyncio.Event, connected: asyncio.Event | None = None) -> None:
        """Receive until ``stop`` is set; reconnect with backoff on drops."""
        await asyncio.to_thread(self._get_device_info)
        ssl_ctx = make_ssl_context(self._ca_file)
        delay, stale = 0.5, 0
        pending: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            url = self.device_info["webSocketUrl"]
            try:
                async with websockets.connect(
                    url,
                    ssl=ssl_ctx,
                    compression=None,  # frames are small JSON: deflate costs more than it saves
                    **self._get_websocket_connect_kwargs(websockets.connect),
                ) as ws:
                    self.websocket = ws
                    auth = {
                        "id": str(uuid.uuid4()),
                        "type": "authorization",
                        "data": {"token": "Bearer " + self.access_token},
                    }
                    await ws.send(json.dumps(auth))
                    log.info("websocket.connected")
                    if connected is not None:
                        connected.set()
                    delay, stale = 0.5, 0
                    await self._receive(ws, stop, pending)
            except wbx.InvalidStatus as exc:
                status = getattr(exc.response, "status_code", None)
                log.warning("websocket.handshake_refused", extra={"status": status})
                if status != 404 or stale >= STALE_DEVICE_RETRIES:
                    raise
                stale += 1
                await asyncio.to_thread(self._get_device_info, False)
            except (websockets.ConnectionClosed, OSError, TimeoutError) as exc:
                log.warning("websocket.dropped", extra={"error": type(exc).__name__})
            finally:
                if connected is not None:
                    connected.clear()
            if stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(delay * 2, RECONNECT_MAX_DELAY)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _receive(
        self, ws: Any, stop: asyncio.Event, pending: set[asyncio.Task[None]]
    ) -> None:
        stopper = asyncio.create_task(stop.wait())
        try:
            while True:
                recv = asyncio.create_task(ws.recv())
                done, _ = await asyncio.wait({recv, stopper}, return_when=asyncio.FIRST_COMPLETED)
                if recv not in done:
                    recv.cancel()
                    await ws.close()
                    return
                try:
                    frame = json.loads(recv.result())
                except (ValueError, TypeError):
                    log.warning("websocket.bad_frame")
                    continue
                task = asyncio.create_task(self.activities.handle(frame))
                pending.add(task)
                task.add_done_callback(pending.discard)
        finally:
            stopper.cancel()
