"""`trunkbot run`: Webex over webex-bot's websocket, dispatched by our router on one loop.

webex-bot gives us what is hard to get right against Webex: the service catalog lookup,
the WDM device registration, the websocket's URL, headers and authorization frame, the
conversation-id → REST-id resolution and the REST fetch of each message and card action.
Dispatch stays ours. What we replace, and why (webex-bot 1.3.1, read 2026-11):

* ``run()`` receives a frame, then hands it to the loop's default thread pool
  (``min(32, cpu+4)`` threads) where the handler runs, and acks with ``asyncio.run()`` on
  that worker thread against a websocket owned by another loop. On our rig a burst of 100
  messages closed the connection and lost 2–40 commands in 5 of 8 runs. Here the websocket
  lives on *our* loop; the blocking REST fetch runs in a thread, the ack is sent back on
  the websocket's own loop, and the command runs as a task on the loop.
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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import websockets
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from webex_bot.websockets import webex_websocket_client as wbx
from webexpythonsdk import WebexAPI

log = logging.getLogger(__name__)

ACK_TIMEOUT = 10.0
RECONNECT_MAX_DELAY = 30.0
FETCH_THREADS = 32
STALE_DEVICE_RETRIES = 3

Deliver = Callable[[str, Any, dict[str, Any]], None]


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


def _share_key(activity: dict[str, Any]) -> tuple[str, str]:
    """(space, person) of a ``share`` or ``update`` activity."""
    target, actor = activity.get("target"), activity.get("actor")
    space = target.get("id") if isinstance(target, dict) else None
    person = actor.get("id") if isinstance(actor, dict) else None
    return str(space or ""), str(person or "")


class TrunkbotWebsocketClient(wbx.WebexWebsocketClient):  # type: ignore[misc]  # untyped lib
    """webex-bot's client, redirected by our settings, with its run loop on our event loop."""

    def __init__(
        self,
        access_token: str,
        *,
        api_url: str,
        u2c_url: str,
        ca_file: str | None,
        deliver: Deliver,
        before_ack: Callable[[str], bool] | None = None,
        screen: Callable[[str], bool] | None = None,
    ) -> None:
        self._u2c_url = u2c_url
        self._ca_file = ca_file
        self._deliver = deliver
        self._before_ack = before_ack
        self._screen = screen
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shares: dict[tuple[str, str], str] = {}
        self.registrations = 0
        # The parent's __init__ builds a requests session and calls _get_device_url().
        super().__init__(
            access_token=access_token,
            bot_name="trunkbot",
            on_message=self._on_message,
            on_card_action=self._on_card_action,
        )
        self.teams = WebexAPI(access_token=access_token, base_url=api_url.rstrip("/") + "/")
        self.teams._session.update_headers(self._get_headers())
        if ca_file:
            # webexpythonsdk has no CA setting: its requests session gets ours the same way.
            self.teams._session._req_session.mount("https://", CaFileAdapter(ca_file))

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

    # --- the ack goes out on the websocket's own loop ------------------------------------
    def _ack_message(self, message_id: str) -> None:
        # webex-bot acks before its handler runs: record the activity first, so a crash
        # after the ack can't lose it (the next start fetches it again).
        if self._before_ack is not None:
            self._before_ack(message_id)
        if self._loop is None or self.websocket is None:
            return
        frame = json.dumps({"type": "ack", "messageId": message_id})
        future = asyncio.run_coroutine_threadsafe(self.websocket.send(frame), self._loop)
        try:
            future.result(timeout=ACK_TIMEOUT)
        except Exception:  # noqa: BLE001  -- socket dropped: Webex redelivers; the handler still runs
            log.warning("websocket.ack_failed", extra={"message_id": message_id})

    def _on_message(self, teams_message: Any, activity: dict[str, Any]) -> None:
        self._deliver("message", teams_message, activity)

    def _on_card_action(self, attachment_actions: Any, activity: dict[str, Any]) -> None:
        self._deliver("card", attachment_actions, activity)

    # --- our run loop ------------------------------------------------------------------
    async def listen(self, stop: asyncio.Event, connected: asyncio.Event | None = None) -> None:
        """Receive until ``stop`` is set; reconnect with backoff on drops."""
        self._loop = asyncio.get_running_loop()
        self._loop.set_default_executor(
            ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="webex-fetch")
        )
        await asyncio.to_thread(self._get_device_info)
        ssl_ctx = make_ssl_context(self._ca_file)
        delay, stale = 0.5, 0
        pending: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            url = self.device_info["webSocketUrl"]
            try:
                async with websockets.connect(
                    url, ssl=ssl_ctx, **self._get_websocket_connect_kwargs(websockets.connect)
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
                task = asyncio.create_task(self._process(frame))
                pending.add(task)
                task.add_done_callback(pending.discard)
        finally:
            stopper.cancel()

    def _remember_share(self, frame: dict[str, Any]) -> bool:
        """A file arrives as ``share`` then ``update`` (once its malware scan is done).
        webex-bot keeps the share's id in one attribute for whichever ``update`` comes next,
        across threads; here each is kept per space and person, on the loop, in order."""
        data = frame.get("data")
        activity = data.get("activity") if isinstance(data, dict) else None
        if not isinstance(activity, dict) or activity.get("verb") != "share":
            return False
        self._shares[_share_key(activity)] = str(activity.get("id", ""))
        return True

    def _get_base64_message_id(self, activity: dict[str, Any]) -> str | None:
        if activity.get("verb") == "update":
            share = self._shares.pop(_share_key(activity), None)
            if share is None:
                return None
            activity = {**activity, "id": share, "verb": "post"}
        rest_id = super()._get_base64_message_id(activity)
        return rest_id if isinstance(rest_id, str) else None

    async def _process(self, frame: dict[str, Any]) -> None:
        """webex-bot's fetch-ack-callback for one frame, in a thread (it uses requests).

        An activity whose actor ``screen`` says to drop (our own echo, a person being
        flood-limited) is only acked: no message fetch, no intake row, no handler.
        """
        try:
            if self._remember_share(frame):
                return
            if self._screened(frame):
                await asyncio.to_thread(self._ack_only, frame)
                return
            await asyncio.to_thread(self._process_incoming_websocket_message, frame)
        except Exception:
            log.exception("websocket.fetch_failed")

    def _screened(self, frame: dict[str, Any]) -> bool:
        if self._screen is None:
            return False
        data = frame.get("data")
        activity = data.get("activity") if isinstance(data, dict) else None
        if not isinstance(activity, dict) or activity.get("verb") not in (
            "post",
            "update",
            "cardAction",
        ):
            return False
        actor = activity.get("actor")
        actor_id = actor.get("id") if isinstance(actor, dict) else None
        return isinstance(actor_id, str) and bool(actor_id) and self._screen(actor_id)

    def _ack_only(self, frame: dict[str, Any]) -> None:
        """Ack a screened activity (resolving its REST id costs one GET), so Webex doesn't
        send it again."""
        rest_id = self._get_base64_message_id(frame["data"]["activity"])
        if rest_id is None:
            return
        log.debug("websocket.screened", extra={"message_id": rest_id})
        if self._loop is None or self.websocket is None:
            return
        ack = json.dumps({"type": "ack", "messageId": rest_id})
        future = asyncio.run_coroutine_threadsafe(self.websocket.send(ack), self._loop)
        try:
            future.result(timeout=ACK_TIMEOUT)
        except Exception:  # noqa: BLE001  -- a dropped socket: Webex sends it again, screened again
            log.warning("websocket.ack_failed", extra={"message_id": rest_id})
