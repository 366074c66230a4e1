"""FakeWebex: an in-memory Webex cloud served over TLS on 127.0.0.1 for end-to-end tests.

The server runs uvicorn in **its own thread with its own event loop** (``uvicorn.Server.serve``
on a socket bound to ``127.0.0.1:0`` beforehand, so the port is known before it starts). That is
deliberate: webex-bot does blocking ``requests`` calls and runs its own loop in another thread,
and tests may block (``thread.join``, sync clients) without ever starving the fake. It works the
same from sync and async tests. State is guarded by one ``threading.RLock``; the test-facing
``async`` helpers hop onto the server loop with ``run_coroutine_threadsafe`` where they must
touch sockets, and wait on state changes through a cross-thread notification (no polling).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import uvicorn
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from webexfake.faults import Fault, FaultKind, FaultPlan
from webexfake.ids import new_uuid, parse_id
from webexfake.recorder import RecordedRequest, RequestLog

from .app import build_app
from .model import (
    AttachmentAction,
    Content,
    Device,
    Message,
    Person,
    Room,
    RoomKind,
    WsConnection,
    mention_html,
    now_iso,
    paragraph_html,
    webex_time,
)
from .tls import TlsMaterial, shared_tls

if TYPE_CHECKING:
    from webexfake.calling.state import SandboxState

T = TypeVar("T")

#: Paths served by the optional calling app (``webexfake.calling.app.build_app(state)``).
CALLING_PREFIXES: tuple[str, ...] = ("/v1/telephony", "/v1/locations", "/v1/access_token")
#: ``actor.type`` in activities from a bot. Webex's value is undocumented; webex-bot only tests
#: ``!= "PERSON"``.
BOT_ACTOR_TYPE = "ROBOT"

DEFAULT_BOT_TOKEN = "fake-bot-token_SBX1_0000"  # noqa: S105 - a fake credential
DEFAULT_ADMIN_TOKEN = "fake-admin-token_SBX1_0000"  # noqa: S105


async def _abort_all(server: uvicorn.Server) -> None:
    """Stop listening and drop every connection at once (runs on the server loop)."""
    for listener in getattr(server, "servers", []):
        listener.close()
    for connection in list(server.server_state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()


class _DenialLogFilter(logging.Filter):
    """uvicorn (0.54, websockets-sansio) logs an ERROR after every websocket *denial response*
    although the response was sent; the fake sends those on purpose (404 for an expired
    device), so drop exactly that record."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


_uvicorn_error_log = logging.getLogger("uvicorn.error")
if not any(isinstance(f, _DenialLogFilter) for f in _uvicorn_error_log.filters):
    _uvicorn_error_log.addFilter(_DenialLogFilter())


class FakeWebex:
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
        self._lock = threading.RLock()
        self._people: dict[str, Person] = {}
        self._tokens: dict[str, Person] = {}
        self._rooms: dict[str, Room] = {}
        self._messages: dict[str, Message] = {}
        self._actions: dict[str, AttachmentAction] = {}
        self._contents: dict[str, Content] = {}
        # id → the webhook as Webex shows it, plus "_owner" (the creator's uuid) and "_secret"
        self._webhooks: dict[str, dict[str, Any]] = {}
        self._devices: list[Device] = []
        self._device_registrations = 0
        self._connections: list[WsConnection] = []
        if calling is not None:
            from webexfake.calling.app import build_app as build_calling_app

            if extra_app is not None:
                raise ValueError("give calling= or extra_app=, not both")
            extra_app = build_calling_app(calling)
            self.faults, self.log = calling.faults, calling.log
        else:
            self.faults, self.log = FaultPlan(), RequestLog()
        self.log.on_record = self._notify
        self.calling = calling
        self._pending_frames: list[dict[str, Any]] = []
        self._refuse_ws_status: int | None = None
        self._sequence = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

        self.bot = self.add_person(bot_email, bot_display_name, is_bot=True)
        self.bot_token = bot_token
        self._tokens[bot_token] = self.bot
        self.admin = self.add_person(admin_email, admin_display_name)
        self.admin_token = admin_token
        self._tokens[admin_token] = self.admin

        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
        # listening socket's proto says TCP; with proto 0 every response waits ~40 ms for a
        # delayed ACK (Nagle).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"https://127.0.0.1:{self.port}"

        self._app = build_app(
            self, extra_app=extra_app, extra_prefixes=extra_prefixes, extra_routes=extra_routes
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_error: BaseException | None = None

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
        if self._thread is not None or self._sock.fileno() == -1:
            raise RuntimeError("a FakeWebex starts once (make a new one)")
        config = uvicorn.Config(
            self._app,
            ssl_certfile=str(self.tls.server_cert_path),
            ssl_keyfile=str(self.tls.server_key_path),
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="auto",  # an extra app without lifespan support is fine
            timeout_graceful_shutdown=2,
            ws_ping_interval=None,
        )
        server = uvicorn.Server(config)
        self._server = server
        loop_ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            loop_ready.set()
            try:
                loop.run_until_complete(server.serve(sockets=[self._sock]))
            except BaseException as exc:  # noqa: BLE001 - reported to start()/stop()
                self._thread_error = exc
            finally:
                with contextlib.suppress(RuntimeError):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
                asyncio.set_event_loop(None)

        self._thread = threading.Thread(target=run, name=f"fake-webex:{self.port}", daemon=True)
        self._thread.start()
        loop_ready.wait(timeout)
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"FakeWebex did not start: {self._thread_error!r}")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Close every socket, stop uvicorn and join its thread."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            self._sock.close()
            return
        loop = self._loop
        if loop is not None and thread.is_alive():
            # No graceful drain: idle keep-alive TLS connections of the clients under test
            # would hold uvicorn's shutdown until its timeout (nobody answers close_notify).
            with contextlib.suppress(RuntimeError, TimeoutError):
                asyncio.run_coroutine_threadsafe(_abort_all(server), loop).result(timeout)
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._server = self._thread = None
        self._sock.close()
        if thread.is_alive():
            raise RuntimeError("FakeWebex server thread did not stop")

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

    # -- the model: people, rooms, tokens ----------------------------------------------------

    def add_person(
        self,
        email: str,
        display_name: str,
        *,
        is_bot: bool = False,
        org_id: str | None = None,
    ) -> Person:
        """A person (or another bot). ``org_id``: a REST org id or uuid; default the fake's org."""
        org_uuid = self.org_uuid
        if org_id:
            parsed = parse_id(org_id)
            org_uuid = parsed[1] if parsed else org_id
        person = Person(email=email, display_name=display_name, org_uuid=org_uuid, is_bot=is_bot)
        with self._lock:
            if self._person_by_email(email) is not None:
                raise ValueError(f"a person with email {email!r} exists already")
            self._people[person.uuid] = person
        return person

    def issue_token(self, person: Person, token: str | None = None) -> str:
        """A bearer token acting as ``person`` on the REST API."""
        token = token or f"fake-token-{new_uuid()}"
        with self._lock:
            self._tokens[token] = person
        return token

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
        if kind == "direct" and len(people) != 2:
            raise ValueError("a direct room has exactly two members")
        if kind == "direct":
            existing = self._direct_room(people[0], people[1])
            if existing is not None:
                return existing  # Webex has one 1:1 space per pair
        if title is None:
            title = people[0].display_name if kind == "direct" else f"Space {len(self._rooms) + 1}"
        room = Room(kind=kind, members=people, title=title)
        with self._lock:
            self._rooms[room.uuid] = room
        return room

    def direct_room(self, person: Person, *, create: bool = True) -> Room | None:
        """The 1:1 space between ``person`` and the bot."""
        return self._direct_room(person, self.bot, create=create)

    def add_member(self, room: Room, person: Person) -> None:
        with self._lock:
            if room.kind == "direct":
                raise ValueError("cannot add a member to a direct room")
            if not room.has_member(person):
                room.members.append(person)

    # -- driving the bot ---------------------------------------------------------------------

    async def user_says(
        self,
        person: Person,
        room: Room,
        text: str,
        *,
        mention_bot: bool | None = None,
        parent_id: str | None = None,
        mention_text: str | None = None,
        markdown: str | None = None,
        created: datetime | None = None,
    ) -> Message:
        """``person`` posts ``text`` in ``room``; the bot's websocket gets a ``post`` activity.

        ``mention_bot`` defaults to True in group spaces and False in 1:1 ones. When mentioning,
        the stored ``text`` starts with ``mention_text`` (default: the bot's display name), the
        ``html`` carries a ``<spark-mention>`` and ``mentionedPeople`` the bot's id — as Webex
        stores it. In a group space a message that does not mention the bot is stored but not
        pushed (bots only see mentions there). ``parent_id`` (a message id) makes it a thread
        reply; a reply's id is mapped to its thread root like Webex clients do. ``created``
        backdates it (a message Webex delivers late, or replayed); default: now.
        """
        if not room.has_member(person):
            raise ValueError(f"{person.email} is not a member of {room.title!r}")
        mention = room.kind == "group" if mention_bot is None else mention_bot
        parent: Message | None = None
        if parent_id is not None:
            parent = self._find_message(parent_id)
            if parent is None or parent.room is not room:
                raise ValueError(f"no message {parent_id!r} in {room.title!r}")
            if parent.parent_id:
                parent = self._find_message(parent.parent_id)
                assert parent is not None  # noqa: S101 - an invariant of the fake
        if mention:
            label = mention_text if mention_text is not None else self.bot.display_name
            stored_text = f"{label} {text}" if text else label
            html = mention_html(self.bot, label, text)
            mentioned = [self.bot.id]
        else:
            stored_text, html, mentioned = text, paragraph_html(text), []
        message = Message(
            room=room,
            author=person,
            text=stored_text,
            markdown=markdown,
            html=html,
            parent_id=parent.id if parent else None,
            mentioned_people=mentioned,
        )
        if created is not None:
            message.created = webex_time(created)
        self._store_message(message)
        if room.has_member(self.bot) and (room.kind == "direct" or mention):
            await self._on_server_loop(self._deliver_async(self._post_frame(message)))
        return message

    async def user_shares_file(
        self,
        person: Person,
        room: Room,
        text: str,
        *,
        name: str,
        data: bytes,
        content_type: str = "text/csv",
        mention_bot: bool | None = None,
        malware_state: str = "safe",
    ) -> Message:
        """``person`` posts ``text`` with a file: stored like :meth:`user_says` with ``files``
        (a URL on this host that only the room's members may fetch), and pushed as Webex does
        it — a ``share`` activity, then an ``update`` once the file's malware scan says
        ``malware_state`` (webex-bot only handles a ``safe`` one)."""
        if not room.has_member(person):
            raise ValueError(f"{person.email} is not a member of {room.title!r}")
        mention = room.kind == "group" if mention_bot is None else mention_bot
        content = Content(room=room, name=name, content_type=content_type, data=data)
        if mention:
            label = self.bot.display_name
            stored_text = f"{label} {text}" if text else label
            html, mentioned = mention_html(self.bot, label, text), [self.bot.id]
        else:
            stored_text, html, mentioned = text, paragraph_html(text), []
        message = Message(
            room=room,
            author=person,
            text=stored_text,
            html=html,
            mentioned_people=mentioned,
            files=[f"{self.api_url}/contents/{content.uuid}"],
        )
        with self._lock:
            self._contents[content.uuid] = content
        self._store_message(message)
        if room.has_member(self.bot) and (room.kind == "direct" or mention):
            share = self._post_frame(message)
            share["data"]["activity"]["verb"] = "share"
            share["data"]["activity"]["object"] = {
                "objectType": "content",
                "displayName": message.text or "",
                "contentCategory": "documents",
                "files": {"items": [{"objectType": "file", "displayName": name}]},
            }
            update = self._frame(
                self._activity(
                    "update",
                    actor=person,
                    room=room,
                    activity_uuid=new_uuid(),
                    obj={
                        "id": message.uuid,
                        "objectType": "content",
                        "contentCategory": "documents",
                        "files": {
                            "items": [
                                {
                                    "objectType": "file",
                                    "displayName": name,
                                    "malwareQuarantineState": malware_state,
                                }
                            ]
                        },
                    },
                )
            )
            await self._on_server_loop(self._deliver_async(share))
            await self._on_server_loop(self._deliver_async(update))
        return message

    def content(self, url_or_uuid: str) -> Content | None:
        """A posted file by its URL or uuid."""
        with self._lock:
            return self._contents.get(url_or_uuid.rsplit("/", 1)[-1])

    def files_from_bot(self, *, to_person: Person | None = None) -> list[Content]:
        """The files the bot posted (in its 1:1 with ``to_person``), oldest first."""
        return [
            c
            for m in self.messages_from_bot(to_person=to_person)
            for url in m.files
            if (c := self.content(url)) is not None
        ]

    async def user_submits_card(
        self,
        person: Person,
        room: Room,
        card_message_id: str,
        inputs: dict[str, Any],
        *,
        created: datetime | None = None,
    ) -> AttachmentAction:
        """``person`` submits the card in message ``card_message_id``; the bot's websocket gets
        a ``cardAction`` activity. ``inputs`` are stored as given (free-form, like the API);
        ``created`` backdates the submission (default: now)."""
        if not room.has_member(person):
            raise ValueError(f"{person.email} is not a member of {room.title!r}")
        message = self._find_message(card_message_id)
        if message is None or message.room is not room or message.deleted:
            raise ValueError(f"no message {card_message_id!r} in {room.title!r}")
        action = AttachmentAction(message=message, person=person, inputs=dict(inputs))
        if created is not None:
            action.created = webex_time(created)
        with self._lock:
            self._actions[action.uuid] = action
        self._notify()
        if room.has_member(self.bot):
            frame = self._frame(
                self._activity(
                    "cardAction",
                    actor=person,
                    room=room,
                    activity_uuid=action.uuid,
                    obj={"objectType": "submit", "inputs": json.dumps(action.inputs)},
                )
            )
            await self._on_server_loop(self._deliver_async(frame))
        return action

    # -- what the bot did --------------------------------------------------------------------

    def messages_from_bot(
        self,
        *,
        room: Room | None = None,
        to_person: Person | None = None,
        include_deleted: bool = False,
    ) -> list[Message]:
        """The bot's posts, oldest first; ``to_person`` means its 1:1 space with that person."""
        target = room
        if to_person is not None:
            target = self._direct_room(to_person, self.bot)
            if target is None:
                return []
        with self._lock:
            return [
                m
                for m in self._messages.values()
                if m.author is self.bot
                and (target is None or m.room is target)
                and (include_deleted or not m.deleted)
            ]

    async def wait_for_bot_messages(
        self,
        n: int,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the helpers' API: every wait takes timeout=
        room: Room | None = None,
        to_person: Person | None = None,
    ) -> list[Message]:
        """Wait until the bot has posted at least ``n`` matching messages; return them all."""
        found: list[Message] = []

        def enough() -> bool:
            nonlocal found
            found = self.messages_from_bot(room=room, to_person=to_person, include_deleted=True)
            return len(found) >= n

        await self._wait_until(enough, timeout, lambda: f"{n} bot message(s), got {found!r}")
        return found

    def messages_in(self, room: Room, *, include_deleted: bool = False) -> list[Message]:
        with self._lock:
            return [
                m
                for m in self._messages.values()
                if m.room is room and (include_deleted or not m.deleted)
            ]

    def message(self, message_id: str) -> Message:
        """A stored message by REST id or activity uuid (KeyError when unknown)."""
        message = self._find_message(message_id)
        if message is None:
            raise KeyError(message_id)
        return message

    # -- websocket ---------------------------------------------------------------------------

    @property
    def connections(self) -> list[WsConnection]:
        """Every websocket connection so far, oldest first."""
        with self._lock:
            return list(self._connections)

    def open_connections(self) -> list[WsConnection]:
        with self._lock:
            return [c for c in self._connections if c.is_open and c.authorized]

    @property
    def acks(self) -> list[str]:
        """Message ids acked over any connection, in arrival order."""
        with self._lock:
            return [ack for c in self._connections for ack in c.acks]

    @property
    def devices(self) -> list[Device]:
        with self._lock:
            return list(self._devices)

    @property
    def device_registrations(self) -> int:
        """How many ``POST /wdm/api/v1/devices`` the fake has answered."""
        return self._device_registrations

    async def wait_connected(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for_bot_messages
        *,
        total: int | None = None,
    ) -> WsConnection:
        """Wait for an open, authorized websocket (or, with ``total``, until that many have
        been authorized in all — for reconnect tests). Returns the newest one."""

        def ready() -> bool:
            with self._lock:
                authorized = [c for c in self._connections if c.authorized]
                if total is not None:
                    return len(authorized) >= total
                return any(c.is_open for c in authorized)

        await self._wait_until(ready, timeout, lambda: "a websocket connection")
        with self._lock:
            return [c for c in self._connections if c.authorized][-1]

    async def wait_for_ack(
        self,
        message_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for_bot_messages
    ) -> None:
        await self._wait_until(
            lambda: message_id in self.acks, timeout, lambda: f"an ack of {message_id}"
        )

    async def wait_disconnected(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - see wait_for_bot_messages
    ) -> None:
        """Wait until no websocket is open."""
        await self._wait_until(
            lambda: not any(c.is_open for c in self.connections), timeout, lambda: "no socket"
        )

    async def drop_connections(self, *, code: int = 1011, abrupt: bool = False) -> int:
        """Close every open websocket: with close ``code`` (1011, an error, by default, so
        webex-bot's backoff reconnects), or with ``abrupt=True`` by aborting the TCP connection
        without a close frame (the client sees 1006). Returns how many were dropped; returns
        once they are closed."""

        async def drop() -> list[WsConnection]:
            with self._lock:
                conns = [c for c in self._connections if c.is_open]
            for conn in conns:
                if abrupt and conn.abort is not None:
                    conn.close_code = 1006
                    conn.abort()
                elif conn.outbox is not None:
                    conn.outbox.put_nowait(("close", code))
            return conns

        dropped = await self._on_server_loop(drop())
        await self._wait_until(
            lambda: all(not c.is_open for c in dropped), 5.0, lambda: "dropped sockets to close"
        )
        return len(dropped)

    def refuse_websockets(self, status: int | None = 403) -> None:
        """Answer new websocket handshakes with HTTP ``status`` (None: accept again). A 404
        makes webex-bot register a new device; any other status ends its ``run()``."""
        with self._lock:
            self._refuse_ws_status = status

    async def shutdown_clients(self, status: int = 403) -> int:
        """Refuse new handshakes, then drop every socket: the clean way to end webex-bot
        1.3.1's ``run()`` (its reconnect gets ``InvalidStatus``, which run() re-raises)."""
        self.refuse_websockets(status)
        return await self.drop_connections()

    def expire_device(self, device: Device) -> None:
        """Forget a WDM device: its socket URL answers 404 and the device list omits it."""
        with self._lock:
            device.expired = True

    # -- fault and latency injection (``fake.faults``: the plan both halves share) -------------

    def set_latency(self, prefix: str, seconds: float, *, method: str | None = None) -> Fault:
        """Delay every request whose path starts with ``prefix`` (and ``method``, if given)
        by ``seconds`` before answering, replacing an earlier delay for the same prefix and
        method. Several matching delays add up."""
        return self.faults.set_latency(seconds, method=method, path_prefix=prefix)

    def clear_latency(self) -> None:
        self.faults.clear(FaultKind.LATENCY)

    def fail_next(
        self,
        prefix: str,
        status: int,
        *,
        count: int = 1,
        method: str | None = None,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> Fault:
        """Answer the next ``count`` matching requests with ``status`` and a Webex error body
        (plus ``Retry-After`` when given), before any route runs."""
        return self.faults.add(
            FaultKind.STATUS,
            method=method,
            path_prefix=prefix,
            times=count,
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            description=description,
        )

    def rate_limit_messages(self, *, count: int = 1, retry_after: int = 1) -> Fault:
        """The next ``count`` ``POST /v1/messages`` get 429 with ``Retry-After``."""
        return self.fail_next(
            "/v1/messages",
            429,
            count=count,
            method="POST",
            retry_after=retry_after,
            description="Too many requests have been sent in a given amount of time.",
        )

    # -- request log (``fake.log``: the recorder both halves share) ----------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.log.entries

    def requests_to(self, prefix: str, *, method: str | None = None) -> list[RecordedRequest]:
        return self.log.requests_to(prefix, method=method)

    # -- internals used by the app -----------------------------------------------------------

    def _person_for_token(self, token: str) -> Person | None:
        with self._lock:
            return self._tokens.get(token)

    def _person_by_email(self, email: str) -> Person | None:
        with self._lock:
            for person in self._people.values():
                if person.email.lower() == email.lower():
                    return person
        return None

    def _find_person(self, person_id: str) -> Person | None:
        parsed = parse_id(person_id)
        key = parsed[1] if parsed and parsed[0] == "PEOPLE" else person_id
        with self._lock:
            return self._people.get(key)

    def _find_message(self, ref: str) -> Message | None:
        """By REST id, or by bare uuid (webex-bot passes activity uuids as ``parentId``)."""
        parsed = parse_id(ref)
        key = parsed[1] if parsed and parsed[0] == "MESSAGE" else ref
        with self._lock:
            return self._messages.get(key)

    def _direct_room(self, a: Person, b: Person, *, create: bool = False) -> Room | None:
        with self._lock:
            for room in self._rooms.values():
                if room.kind == "direct" and room.has_member(a) and room.has_member(b):
                    return room
            if not create:
                return None
            other = a if b.is_bot else b
            room = Room(kind="direct", members=[a, b], title=other.display_name)
            self._rooms[room.uuid] = room
            return room

    def _device(self, device_uuid: str) -> Device | None:
        with self._lock:
            return next((d for d in self._devices if d.uuid == device_uuid), None)

    def _store_message(self, message: Message) -> None:
        with self._lock:
            self._messages[message.uuid] = message
        self._notify()

    def _activity(
        self,
        verb: str,
        *,
        actor: Person,
        room: Room,
        activity_uuid: str,
        obj: dict[str, Any],
        parent: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        conversations = f"{self.base_url}/conversation/api/v1"
        activity: dict[str, Any] = {
            "id": activity_uuid,
            "objectType": "activity",
            "url": f"{conversations}/activities/{activity_uuid}",
            "published": now_iso(),
            "verb": verb,
            "actor": {
                "id": actor.uuid,
                "objectType": "person",
                "displayName": actor.display_name,
                "orgId": actor.org_uuid,
                "emailAddress": actor.email,
                "entryUUID": actor.uuid,
                "type": BOT_ACTOR_TYPE if actor.is_bot else "PERSON",
            },
            "object": obj,
            "target": {
                "id": room.uuid,
                "objectType": "conversation",
                "url": f"{conversations}/conversations/{room.uuid}",
                "globalId": room.uuid,
                "tags": ["ONE_ON_ONE"] if room.kind == "direct" else [],
            },
            "clientTempId": f"tmp-{new_uuid()}",
            "encryptionKeyUrl": f"kms://fake-webex/keys/{new_uuid()}",
        }
        if parent is not None:
            activity["parent"] = parent
        return activity

    def _post_frame(self, message: Message) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "objectType": "comment",
            "displayName": message.text or "",
        }
        if message.html:
            obj["content"] = message.html
        if message.mentioned_people:
            obj["mentions"] = {
                "items": [
                    {"id": pid_uuid, "objectType": "person"}
                    for pid in message.mentioned_people
                    if (pid_uuid := (parse_id(pid) or ("", pid))[1])
                ]
            }
        parent = None
        if message.parent_id:
            root = self._find_message(message.parent_id)
            if root is not None:
                parent = {"id": root.uuid, "type": "reply", "actorId": root.author.uuid}
        activity = self._activity(
            "post",
            actor=message.author,
            room=message.room,
            activity_uuid=message.uuid,
            obj=obj,
            parent=parent,
        )
        return self._frame(activity)

    def _frame(self, activity: dict[str, Any]) -> dict[str, Any]:
        now_ms = int(time.time() * 1000)
        with self._lock:
            self._sequence += 1
            sequence = self._sequence
        return {
            "id": new_uuid(),
            "data": {"activity": activity, "eventType": "conversation.activity"},
            "timestamp": now_ms,
            "trackingId": f"fake-webex_{new_uuid()}",
            "alertType": "full",
            "headers": {},
            "sequenceNumber": sequence,
            "filterMessage": False,
            "wsWriteTimestamp": now_ms,
        }

    def _deliver(self, frame: dict[str, Any]) -> int:
        """Queue ``frame`` on every open authorized socket of the bot (server loop only). With
        none open it is kept and flushed to the next socket that authorizes."""
        with self._lock:
            conns = [
                c
                for c in self._connections
                if c.is_open and c.authorized and c.person is self.bot and c.outbox is not None
            ]
            if not conns:
                self._pending_frames.append(frame)
                return 0
        for conn in conns:
            assert conn.outbox is not None  # noqa: S101 - an invariant of the fake
            conn.outbox.put_nowait(("frame", frame))
        return len(conns)

    async def _deliver_async(self, frame: dict[str, Any]) -> int:
        return self._deliver(frame)

    def _open_connection(self, device_uuid: str, transport: Any) -> WsConnection:
        with self._lock:
            conn = WsConnection(
                number=len(self._connections) + 1,
                device_id=device_uuid,
                opened_at=time.monotonic(),
                outbox=asyncio.Queue(),
            )
            conn.abort = getattr(transport, "abort", None)  # None: abrupt drops fall back
            self._connections.append(conn)
        self._notify()
        return conn

    def _authorize_frame(self, raw: str) -> Person | None:
        try:
            frame = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(frame, dict) or frame.get("type") != "authorization":
            return None
        data = frame.get("data")
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token.startswith("Bearer "):
            return None
        return self._person_for_token(token.removeprefix("Bearer ").strip())

    def _authorize_connection(self, conn: WsConnection, person: Person) -> None:
        with self._lock:
            conn.person = person
            conn.authorized = True
            pending: list[dict[str, Any]] = []
            if person is self.bot:
                pending, self._pending_frames = self._pending_frames, []
        assert conn.outbox is not None  # noqa: S101 - an invariant of the fake
        for frame in pending:
            conn.outbox.put_nowait(("frame", frame))
        self._notify()

    def _close_connection(self, conn: WsConnection) -> None:
        with self._lock:
            conn.closed_at = time.monotonic()
        self._notify()

    # -- cross-thread plumbing ---------------------------------------------------------------

    def _notify(self) -> None:
        """Wake every waiter (on whatever loop it waits)."""
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                loop.call_soon_threadsafe(event.set)

    async def _wait_until(
        self, predicate: Callable[[], bool], seconds: float, what: Callable[[], str]
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            event = asyncio.Event()
            waiter = (loop, event)
            with self._lock:
                self._waiters.add(waiter)
            try:
                if predicate():
                    return
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"timed out after {seconds}s waiting for {what()}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
            finally:
                with self._lock:
                    self._waiters.discard(waiter)

    async def _on_server_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        if loop is None or self._thread is None:
            coro.close()
            raise RuntimeError("FakeWebex is not running: start() it first")
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
