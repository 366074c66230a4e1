"""FakeWebex: an in-memory Webex cloud served over TLS on 127.0.0.1 for end-to-end tests.

It is put together from parts of one responsibility each: :mod:`.records` (what the cloud
holds, under one lock), :mod:`.threaded` (uvicorn in a thread and loop of its own, so blocking
clients never starve it), :mod:`.sockets` (the bot's websockets) fed by :mod:`.mercury` (the
activity frames), :mod:`.waits` (tests wait on state changes across threads, without polling),
:mod:`.app` (the HTTP and websocket routes), :mod:`.driving` (what the tests' people do and
what the bot did) and :mod:`.injection` (faults, latency and the request log). This module is
the face tests use: identities, people and rooms, the websocket controls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from webexfake.faults import FaultPlan
from webexfake.ids import new_uuid
from webexfake.recorder import RequestLog

from .app import build_app
from .devices import Device, WsConnection
from .driving import BotDriving
from .injection import Injection
from .mercury import Frames
from .model import Person, Room, RoomKind
from .records import Records
from .sockets import Sockets
from .threaded import ServerThread
from .tls import TlsMaterial, shared_tls
from .waits import Waits

if TYPE_CHECKING:
    from webexfake.calling.state import SandboxState

#: Paths served by the optional calling app (``webexfake.calling.app.build_app(state)``).
CALLING_PREFIXES: tuple[str, ...] = ("/v1/telephony", "/v1/locations", "/v1/access_token")

DEFAULT_BOT_TOKEN = "fake-bot-token_SBX1_0000"  # noqa: S105 - a fake credential
DEFAULT_ADMIN_TOKEN = "fake-admin-token_SBX1_0000"  # noqa: S105


class FakeWebex(BotDriving, Injection):
    """The fake cloud. Use as ``with FakeWebex() as fake:`` / ``async with`` or start()/stop().

    Identities: ``fake.bot`` (token ``fake.bot_token``) and ``fake.admin`` (``fake.admin_token``).
    Add users with :meth:`add_person`, spaces with :meth:`add_room`, then drive the bot with
    :meth:`user_says` / :meth:`user_submits_card` and read what it did with
    :meth:`messages_from_bot` / :meth:`wait_for_bot_messages`.
    """

    def __init__(
        self,
        *,
        bot_email: str = "trunkbot@webex.bot",
        bot_display_name: str = "Trunkbot",
        bot_token: str = DEFAULT_BOT_TOKEN,
        admin_email: str = "ada.admin@example.com",
        admin_display_name: str = "Ada Admin",
        admin_token: str = DEFAULT_ADMIN_TOKEN,
        org_uuid: str | None = None,
        tls: TlsMaterial | None = None,
        extra_app: ASGIApp | None = None,
        extra_prefixes: Sequence[str] = CALLING_PREFIXES,
        extra_routes: Sequence[BaseRoute] = (),
        echo_bot_posts: bool = True,
        calling: SandboxState | None = None,
        port: int = 0,
    ) -> None:
        """``calling``: serve this calling API state (``webexfake.calling``) on the same host,
        sharing its fault plan and request log, so ``fake.faults``/``fake.requests`` and
        ``state.faults``/``state.calls()`` are one plan and one log. ``port``: 0 for any free
        port.

        ``extra_app`` (any ASGI app; ``calling=`` builds the calling one) receives, untouched (full
        path, no ``root_path``), every HTTP request whose path starts with one of
        ``extra_prefixes`` (the calling API), every ``/v1`` request whose bearer token the fake
        does not know (the calling app's own tokens: its ``/v1/people/me`` answers for them),
        and the lifespan events. ``extra_routes`` are starlette routes tried before the fake's.
        Latency, faults and the request log apply to all of it (for the calling app, its own
        middleware applies them, from the same plan and into the same log).

        ``echo_bot_posts``: Webex pushes a bot's own posts in 1:1 spaces back to its websocket
        (webex-bot has a "Message is from myself" branch for it); turn off to keep frames to
        what users do.
        """
        self.tls = tls or shared_tls()
        self.echo_bot_posts = echo_bot_posts
        self.org_uuid = org_uuid or new_uuid()
        self.waits = Waits()
        self.records = Records(self.org_uuid, self.waits.notify)
        if calling is not None:
            from webexfake.calling.app import build_app as build_calling_app

            if extra_app is not None:
                raise ValueError("give calling= or extra_app=, not both")
            extra_app = build_calling_app(calling)
            self.faults, self.log = calling.faults, calling.log
        else:
            self.faults, self.log = FaultPlan(), RequestLog()
        self.log.on_record = self.waits.notify
        self.calling = calling

        self.bot = self.add_person(bot_email, bot_display_name, is_bot=True)
        self.bot_token = self.issue_token(self.bot, bot_token)
        self.admin = self.add_person(admin_email, admin_display_name)
        self.admin_token = self.issue_token(self.admin, admin_token)

        self.server = ServerThread(port)
        self.port: int = self.server.port
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.frames = Frames(self.base_url, self.records.find_message)
        self.sockets = Sockets(self.bot, self.records, self.waits, self.server)
        self._app = build_app(
            self, extra_app=extra_app, extra_prefixes=extra_prefixes, extra_routes=extra_routes
        )

    # -- addresses ---------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """``https://127.0.0.1:PORT/v1`` (the REST base, no trailing slash)."""
        return f"{self.base_url}/v1"

    @property
    def sdk_base_url(self) -> str:
        """``https://127.0.0.1:PORT/v1/``: webexpythonsdk's ``base_url`` (it urljoins, so the
        trailing slash matters)."""
        return f"{self.base_url}/v1/"

    @property
    def u2c_url(self) -> str:
        """The value for webex-bot's ``DEFAULT_U2C_URL``."""
        return f"{self.base_url}/u2c/api/v1/catalog"

    @property
    def wdm_url(self) -> str:
        return f"{self.base_url}/wdm/api/v1"

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> FakeWebex:
        """Start serving (returns once uvicorn accepts connections)."""
        self.server.start(self._app, self.tls, timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every socket, stop uvicorn and join its thread."""
        self.server.stop(timeout)

    def __enter__(self) -> FakeWebex:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> FakeWebex:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- people, rooms, tokens ---------------------------------------------------------------

    def add_person(
        self,
        email: str,
        display_name: str,
        *,
        is_bot: bool = False,
        org_id: str | None = None,
    ) -> Person:
        """A person (or another bot). ``org_id``: a REST org id or uuid; default the fake's org."""
        return self.records.add_person(email, display_name, is_bot=is_bot, org_id=org_id)

    def person_by_email(self, email: str) -> Person | None:
        return self.records.person_by_email(email)

    def issue_token(self, person: Person, token: str | None = None) -> str:
        """A bearer token acting as ``person`` on the REST API."""
        return self.records.issue_token(person, token)

    def add_room(
        self,
        kind: RoomKind = "group",
        members: Sequence[Person] = (),
        *,
        title: str | None = None,
        include_bot: bool = True,
    ) -> Room:
        """A space with ``members`` (the bot joins too unless ``include_bot=False``).
        A ``direct`` room has exactly two members; asking again for the same pair returns the
        existing one."""
        people = list(members)
        if include_bot and all(p.uuid != self.bot.uuid for p in people):
            people.append(self.bot)
        return self.records.add_room(kind, people, title)

    def direct_room(self, person: Person, *, create: bool = True) -> Room | None:
        """The 1:1 space between ``person`` and the bot."""
        return self.records.direct_room(person, self.bot, create=create)

    def add_member(self, room: Room, person: Person) -> None:
        self.records.add_member(room, person)

    # -- websocket ---------------------------------------------------------------------------

    @property
    def connections(self) -> list[WsConnection]:
        """Every websocket connection so far, oldest first."""
        return self.sockets.connections

    def open_connections(self) -> list[WsConnection]:
        return self.sockets.open_connections()

    @property
    def acks(self) -> list[str]:
        """Message ids acked over any connection, in arrival order."""
        return self.sockets.acks

    @property
    def devices(self) -> list[Device]:
        with self.records.lock:
            return list(self.records.devices)

    @property
    def device_registrations(self) -> int:
        """How many ``POST /wdm/api/v1/devices`` the fake has answered."""
        return self.records.device_registrations

    async def wait_connected(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - the helpers' API: every wait takes timeout=
        *,
        total: int | None = None,
    ) -> WsConnection:
        """Wait for an open, authorized websocket (or, with ``total``, until that many have
        been authorized in all — for reconnect tests). Returns the newest one."""
        return await self.sockets.wait_connected(timeout, total)

    async def wait_for_ack(
        self,
        message_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - the helpers' API
    ) -> None:
        await self.sockets.wait_for_ack(message_id, timeout)

    async def wait_disconnected(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - the helpers' API
    ) -> None:
        """Wait until no websocket is open."""
        await self.sockets.wait_disconnected(timeout)

    async def drop_connections(self, *, code: int = 1011, abrupt: bool = False) -> int:
        """Close every open websocket: with close ``code`` (1011, an error, by default, so
        webex-bot's backoff reconnects), or with ``abrupt=True`` by aborting the TCP connection
        without a close frame (the client sees 1006). Returns how many were dropped; returns
        once they are closed."""
        return await self.sockets.drop(code, abrupt)

    def refuse_websockets(self, status: int | None = 403) -> None:
        """Answer new websocket handshakes with HTTP ``status`` (None: accept again). A 404
        makes webex-bot register a new device; any other status ends its ``run()``."""
        self.sockets.refuse_status = status

    async def shutdown_clients(self, status: int = 403) -> int:
        """Refuse new handshakes, then drop every socket: the clean way to end webex-bot
        1.3.1's ``run()`` (its reconnect gets ``InvalidStatus``, which run() re-raises)."""
        self.refuse_websockets(status)
        return await self.drop_connections()

    def expire_device(self, device: Device) -> None:
        """Forget a WDM device: its socket URL answers 404 and the device list omits it."""
        with self.records.lock:
            device.expired = True
