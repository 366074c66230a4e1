"""Running the real, unmodified webex-bot 1.3.1 websocket client against a :class:`FakeWebex`.

webex-bot has three redirection points, all patched here and nothing else:

* ``webex_bot.websockets.webex_websocket_client.DEFAULT_U2C_URL`` — read by the client's
  **constructor** (``_get_device_url``), so patch it before constructing;
* that module's ``ssl_context`` — built at import time from the default paths (which honour
  ``SSL_CERT_FILE`` as it was then) plus certifi, and passed to ``websockets.connect``;
* the client's ``teams`` (webexpythonsdk ``WebexAPI``) — replaced by one bound to
  ``fake.sdk_base_url``; ``WebexWebsocketClient`` offers no ``base_url`` parameter.

Its ``requests`` sessions (its own and webexpythonsdk's) are made to trust the fake's CA through
``REQUESTS_CA_BUNDLE``, set here too: requests ignores ``SSL_CERT_FILE``, and an environment
``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` (both set machine-wide on this rig) overrides any
``session.verify`` — so the env var is the one lever that works without touching the sessions.

Ending ``run()``: it has no working stop — ``WebexWebsocketClient.stop()`` evaluates
``create_task(terminate())``, so ``terminate()`` raises ``SystemExit`` in the *caller's* thread
and nothing reaches the loop in ``run()`` — and it reconnects on every close (backoff for up to
240 s, then a new WDM device and again, forever). The one clean exit is a reconnect answered
with a non-404 HTTP status, which ``run()`` re-raises as ``InvalidStatus``:
:meth:`FakeWebex.shutdown_clients` does exactly that, and :class:`WebexBotThread` joins after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

from webex_bot.websockets import webex_websocket_client as wsc
from webexpythonsdk import WebexAPI

from .server import FakeWebex


@contextlib.contextmanager
def webex_bot_redirected(fake: FakeWebex) -> Iterator[None]:
    """Point webex-bot's module globals and ``requests``' CA bundle at ``fake``; restore after."""
    saved_url, saved_ctx = wsc.DEFAULT_U2C_URL, wsc.ssl_context
    saved_env = os.environ.get("REQUESTS_CA_BUNDLE")
    wsc.DEFAULT_U2C_URL = fake.u2c_url
    wsc.ssl_context = fake.tls.client_ssl_context()
    os.environ["REQUESTS_CA_BUNDLE"] = str(fake.tls.ca_path)
    try:
        yield
    finally:
        wsc.DEFAULT_U2C_URL, wsc.ssl_context = saved_url, saved_ctx
        if saved_env is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved_env


def make_client(
    fake: FakeWebex,
    *,
    on_message: Callable[..., Any] | None = None,
    on_card_action: Callable[..., Any] | None = None,
    bot_name: str = "trunkbot-e2e",
    token: str | None = None,
) -> wsc.WebexWebsocketClient:
    """A real ``WebexWebsocketClient`` whose REST calls go to ``fake`` (call inside
    :func:`webex_bot_redirected`: the constructor already GETs the U2C catalog, blocking)."""
    access_token = token or fake.bot_token
    client = wsc.WebexWebsocketClient(
        access_token=access_token,
        bot_name=bot_name,
        on_message=on_message,
        on_card_action=on_card_action,
    )
    teams = WebexAPI(access_token=access_token, base_url=fake.sdk_base_url)
    teams._session.update_headers(client._get_headers())  # its UA and trackingid, as it does
    client.teams = teams
    return client


class WebexBotThread:
    """``client.run()`` on a daemon thread with its own event loop (``run()`` calls
    ``asyncio.get_event_loop()``, which has no loop on a fresh thread in 3.11)."""

    def __init__(self, client: wsc.WebexWebsocketClient) -> None:
        self.client = client
        self.exit_exception: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="webex-bot-run", daemon=True)

    def start(self) -> WebexBotThread:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self.client.run()
        except BaseException as exc:  # noqa: BLE001 - kept for the test to inspect
            self.exit_exception = exc
        finally:
            # run_in_executor() handlers may still be running: let them finish, then close.
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            asyncio.set_event_loop(None)

    async def stop(self, fake: FakeWebex, join_seconds: float = 10.0) -> None:
        """End ``run()`` the only clean way (see module doc) and join the thread."""
        await fake.shutdown_clients()
        await asyncio.to_thread(self._thread.join, join_seconds)
        if self._thread.is_alive():
            raise RuntimeError("webex-bot's run() did not end")
