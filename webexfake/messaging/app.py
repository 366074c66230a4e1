"""The fake cloud's HTTP and websocket surface (a starlette app over a :class:`FakeWebex`).

Routes, all on one host (``https://127.0.0.1:PORT``), every HTTP one behind ``Authorization:
Bearer <token>`` (401 with a Webex error body otherwise):

* U2C   ``GET /u2c/api/v1/catalog?format=hostmap`` → ``{"serviceLinks": {"wdm": ...}}``
* WDM   ``GET|POST /wdm/api/v1/devices``, ``GET|DELETE /wdm/api/v1/devices/{id}``
* conversation look-ups webex-bot derives from ``activity.target.url``:
  ``GET /conversation/api/v1/messages/{activity uuid}`` and
  ``GET /conversation/api/v1/attachment/actions/{activity uuid}`` → ``{"id": <REST id>}``
* REST ``/v1/messages`` (GET list, POST), ``/v1/messages/direct``, ``/v1/messages/{id}`` (GET,
  DELETE), ``/v1/attachment/actions/{id}``, ``/v1/people/me``, ``/v1/people/{id}``,
  ``/v1/people``, ``/v1/memberships``, ``/v1/rooms``, ``/v1/rooms/{id}``
* websocket ``/ws/{device id}`` (the device's ``webSocketUrl``)

Error bodies are ``{"message", "errors": [{"description"}], "trackingId"}`` with a ``TrackingID``
header, as Webex sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Sequence
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage
from starlette.websockets import WebSocket

from webexfake.faults import Fault, FaultKind
from webexfake.ids import make_id, parse_id, tracking_id

from .model import (
    ADAPTIVE_CARD,
    Content,
    Device,
    FakeApiError,
    Message,
    Person,
    Room,
    WsConnection,
    now_iso,
    paragraph_html,
)

if TYPE_CHECKING:
    from .server import FakeWebex

#: Bytes allowed in ``text`` and in ``markdown`` of a message (messages.yml).
MAX_MESSAGE_BYTES = 7439
#: Edits a message may have (messages.yml "Edit a Message").
MAX_EDITS = 10
#: Webex's wording for an over-long message [reported: nautobot-app-chatops#2].
TOO_LONG = (
    "Unable to post message to room: Message length limited to 7439 characters before "
    "encryption and 10000 characters after encryption."
)
ROOM_NOT_FOUND = "Could not find a room with provided ID."
UNAUTHORIZED = "The request requires a valid access token set in the Authorization request header."
#: Close code when the websocket's first frame is not a valid authorization (Mercury's is
#: undocumented; 4401 is the fake's choice).
WS_UNAUTHORIZED = 4401
#: How long a new socket may take to send its authorization frame.
WS_AUTH_TIMEOUT = 10.0

_MENTION = re.compile(r"<@(personEmail|personId):([^>|]+)(?:\|[^>]*)?>")

#: Where the front layer leaves the websocket's transport in the scope (best effort).
TRANSPORT_KEY = "fake_webex.transport"


def error_response(
    status: int,
    description: str,
    *,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A Webex error body with a fresh tracking id."""
    tid = tracking_id()
    body = {"message": message or description, "errors": [{"description": description}]}
    body["trackingId"] = tid
    return JSONResponse(body, status_code=status, headers={"TrackingID": tid, **(headers or {})})


def build_app(
    fake: FakeWebex,
    *,
    extra_app: ASGIApp | None = None,
    extra_prefixes: Sequence[str] = (),
    extra_routes: Sequence[BaseRoute] = (),
) -> ASGIApp:
    """The ASGI app serving ``fake``: latency, faults and the request log wrap every route."""
    routes = _Routes(fake)
    app = Starlette(
        routes=[*extra_routes, *routes.routes()],
        exception_handlers={
            FakeApiError: _api_error_handler,
            HTTPException: _http_error_handler,
        },
    )
    return _Front(fake, app, extra_app, tuple(extra_prefixes))


async def _api_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FakeApiError)  # noqa: S101 - an invariant of the fake
    return error_response(exc.status, exc.description, message=exc.message, headers=exc.headers)


async def _http_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 - an invariant of the fake
    descriptions = {
        404: "The requested resource could not be found.",
        405: "The request was made to a resource using an HTTP request method that is not "
        "supported.",
    }
    return error_response(exc.status_code, descriptions.get(exc.status_code, str(exc.detail)))


class _Front:
    """The outer ASGI layer: request log, injected latency and faults, the calling API mount."""

    def __init__(
        self,
        fake: FakeWebex,
        app: ASGIApp,
        extra_app: ASGIApp | None,
        extra_prefixes: tuple[str, ...],
    ) -> None:
        self.fake = fake
        self.app = app
        self.extra_app = extra_app
        self.extra_prefixes = extra_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # uvicorn's ASGI ``send`` is a bound method of its protocol object, which owns the
            # transport; keep it so drop_connections(abrupt=True) can cut the TCP connection.
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            await self.app({**scope, TRANSPORT_KEY: transport}, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        calling = self.fake.calling is not None and self.extra_app is not None
        if calling and self._for_extra_app(scope):
            assert self.extra_app is not None  # noqa: S101 - checked above
            await self.extra_app(scope, receive, send)  # its middleware records, applies faults
            return
        method: str = scope["method"]
        path: str = scope["path"]
        body = bytearray()
        status = 0

        async def receive_tee() -> AsgiMessage:
            message = await receive()
            if message["type"] == "http.request":
                body.extend(message.get("body", b""))
            return message

        async def send_tap(message: AsgiMessage) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        fault: Fault | None = None
        try:
            delay = self.fake.faults.take_latency(method, path)
            if delay > 0:
                await asyncio.sleep(delay)
            fault = self.fake.faults.take(method, path, (FaultKind.STATUS,))
            if fault is not None and fault.status is not None:
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                response = error_response(
                    fault.status,
                    fault.description or f"Injected failure ({fault.status}).",
                    headers=headers,
                )
                await response(scope, receive_tee, send_tap)
            elif self.extra_app is not None and self._for_extra_app(scope):
                await self.extra_app(scope, receive_tee, send_tap)
            else:
                await self.app(scope, receive_tee, send_tap)
        finally:
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            self.fake.log.record(
                method,
                path,
                scope.get("query_string", b""),
                headers,
                bytes(body),
                fault=fault.kind if fault is not None else None,
                status=status,
            )

    def _for_extra_app(self, scope: Scope) -> bool:
        """The calling paths, and any ``/v1`` call with a token the fake does not know (the
        calling app's admin or service-app tokens, e.g. its ``/v1/people/me``)."""
        path: str = scope["path"]
        if path.startswith(self.extra_prefixes):
            return True
        if not path.startswith("/v1/"):
            return False
        for key, value in scope["headers"]:
            if key.lower() == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                known = self.fake._person_for_token(token.strip()) is not None
                return not (scheme.lower() == "bearer" and known)
        return False

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.extra_app is not None:
            await self.extra_app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FakeApiError(400, "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise FakeApiError(400, "The request body must be a JSON object.")
    return body


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FakeApiError(400, f"Invalid {key}: expected a string.")
    return value


class _Routes:
    """The handlers. Each runs on the server loop and touches state under ``fake._lock``."""

    def __init__(self, fake: FakeWebex) -> None:
        self.fake = fake

    def routes(self) -> list[BaseRoute]:
        r = Route
        return [
            r("/u2c/api/v1/catalog", self.catalog, methods=["GET"]),
            r("/wdm/api/v1/devices", self.list_devices, methods=["GET"]),
            r("/wdm/api/v1/devices", self.create_device, methods=["POST"]),
            r("/wdm/api/v1/devices/{device_id}", self.get_device, methods=["GET"]),
            r("/wdm/api/v1/devices/{device_id}", self.delete_device, methods=["DELETE"]),
            r("/conversation/api/v1/messages/{uuid}", self.conversation_message, methods=["GET"]),
            r(
                "/conversation/api/v1/attachment/actions/{uuid}",
                self.conversation_action,
                methods=["GET"],
            ),
            r("/v1/messages", self.list_messages, methods=["GET"]),
            r("/v1/messages", self.create_message, methods=["POST"]),
            r("/v1/messages/direct", self.list_direct_messages, methods=["GET"]),
            r("/v1/messages/{message_id}", self.get_message, methods=["GET"]),
            r("/v1/messages/{message_id}", self.delete_message, methods=["DELETE"]),
            r("/v1/messages/{message_id}", self.edit_message, methods=["PUT"]),
            r("/v1/contents/{content_id}", self.get_content, methods=["GET"]),
            r("/v1/attachment/actions/{action_id}", self.get_action, methods=["GET"]),
            r("/v1/people/me", self.me, methods=["GET"]),
            r("/v1/people/{person_id}", self.get_person, methods=["GET"]),
            r("/v1/people", self.list_people, methods=["GET"]),
            r("/v1/memberships", self.list_memberships, methods=["GET"]),
            r("/v1/rooms", self.list_rooms, methods=["GET"]),
            r("/v1/rooms/{room_id}", self.get_room, methods=["GET"]),
            r("/v1/webhooks", self.list_webhooks, methods=["GET"]),
            r("/v1/webhooks", self.create_webhook, methods=["POST"]),
            r("/v1/webhooks/{webhook_id}", self.get_webhook, methods=["GET"]),
            r("/v1/webhooks/{webhook_id}", self.update_webhook, methods=["PUT"]),
            r("/v1/webhooks/{webhook_id}", self.delete_webhook, methods=["DELETE"]),
            WebSocketRoute("/ws/{device_id}", self.websocket),
        ]

    # -- helpers -----------------------------------------------------------------------------

    def caller(self, request: Request) -> Person:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        person = self.fake._person_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if person is None:
            raise FakeApiError(401, UNAUTHORIZED)
        return person

    def visible(self, caller: Person, message: Message) -> bool:
        """Whether ``caller`` may read ``message``: a member, and for a bot in a group space,
        only messages that mention it or that it wrote."""
        if message.deleted or not message.room.has_member(caller):
            return False
        if caller.is_bot and message.room.kind == "group":
            return message.author.uuid == caller.uuid or message.mentions(caller)
        return True

    def find_message(self, caller: Person, message_id: str) -> Message:
        message = self.fake._find_message(message_id)
        if message is None or not self.visible(caller, message):
            raise FakeApiError(404, "Could not find a message with the provided ID.")
        return message

    def find_room(self, caller: Person, room_id: str) -> Room:
        parsed = parse_id(room_id)
        room = self.fake._rooms.get(parsed[1]) if parsed and parsed[0] == "ROOM" else None
        if room is None or not room.has_member(caller):
            raise FakeApiError(404, ROOM_NOT_FOUND)
        return room

    def find_person(self, person_id: str) -> Person:
        parsed = parse_id(person_id)
        person = self.fake._people.get(parsed[1]) if parsed and parsed[0] == "PEOPLE" else None
        if person is None:
            raise FakeApiError(404, "Person not found.")
        return person

    @staticmethod
    def max_param(request: Request, default: int = 50) -> int:
        raw = request.query_params.get("max")
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise FakeApiError(400, "Invalid max: expected a positive integer.") from exc
        if value < 1:
            raise FakeApiError(400, "Invalid max: expected a positive integer.")
        return value

    # -- U2C, WDM, conversation --------------------------------------------------------------

    async def catalog(self, request: Request) -> Response:
        self.caller(request)
        # Only the hostmap shape webex-bot asks for (``?format=hostmap``), whatever the query.
        return JSONResponse({"serviceLinks": {"wdm": self.fake.wdm_url}})

    async def list_devices(self, request: Request) -> Response:
        caller = self.caller(request)
        with self.fake._lock:
            devices = [
                d.to_json() for d in self.fake._devices if d.owner is caller and not d.expired
            ]
        return JSONResponse({"devices": devices})

    async def create_device(self, request: Request) -> Response:
        caller = self.caller(request)
        data = await _json_body(request)
        with self.fake._lock:
            device = Device(owner=caller, data=data, base_url=self.fake.base_url)
            self.fake._devices.append(device)
            self.fake._device_registrations += 1
        self.fake._notify()
        return JSONResponse(device.to_json())

    def own_device(self, request: Request) -> Device:
        caller = self.caller(request)
        device = self.fake._device(request.path_params["device_id"])
        if device is None or device.owner is not caller or device.expired:
            raise FakeApiError(404, "Device not found.")
        return device

    async def get_device(self, request: Request) -> Response:
        return JSONResponse(self.own_device(request).to_json())

    async def delete_device(self, request: Request) -> Response:
        device = self.own_device(request)
        with self.fake._lock:
            device.expired = True
        self.fake._notify()
        return Response(status_code=204)

    async def conversation_message(self, request: Request) -> Response:
        caller = self.caller(request)
        message = self.fake._messages.get(request.path_params["uuid"])
        if message is None or not self.visible(caller, message):
            raise FakeApiError(404, "Activity not found.")
        return JSONResponse({"id": message.id, "objectType": "activity", "verb": "post"})

    async def conversation_action(self, request: Request) -> Response:
        caller = self.caller(request)
        action = self.fake._actions.get(request.path_params["uuid"])
        if action is None or not action.message.room.has_member(caller):
            raise FakeApiError(404, "Activity not found.")
        return JSONResponse({"id": action.id, "objectType": "activity", "verb": "cardAction"})

    # -- messages ----------------------------------------------------------------------------

    async def get_message(self, request: Request) -> Response:
        caller = self.caller(request)
        return JSONResponse(self.find_message(caller, request.path_params["message_id"]).to_json())

    async def delete_message(self, request: Request) -> Response:
        caller = self.caller(request)
        message = self.find_message(caller, request.path_params["message_id"])
        if message.author.uuid != caller.uuid:
            raise FakeApiError(403, "You can only delete messages you posted.")
        with self.fake._lock:
            message.deleted = True
        self.fake._notify()
        return Response(status_code=204)

    async def list_messages(self, request: Request) -> Response:
        caller = self.caller(request)
        params = request.query_params
        room_id = params.get("roomId")
        if not room_id:
            raise FakeApiError(400, "roomId is required.")
        room = self.find_room(caller, room_id)
        mentioned = params.get("mentionedPeople")
        if mentioned is not None and mentioned not in ("me", caller.id):
            raise FakeApiError(400, "mentionedPeople may only be 'me' or your own person id.")
        if caller.is_bot and room.kind == "group" and mentioned is None:
            raise FakeApiError(
                403, "Bots must include mentionedPeople=me to list messages in a group space."
            )
        with self.fake._lock:
            items = [m for m in self.fake._messages.values() if m.room is room]
        items = [m for m in items if self.visible(caller, m)]
        if mentioned is not None:
            items = [m for m in items if m.mentions(caller)]
        parent = params.get("parentId")
        if parent:
            items = [m for m in items if m.parent_id == parent]
        before_message = params.get("beforeMessage")
        if before_message:
            anchor = self.fake._find_message(before_message)
            if anchor is None:
                raise FakeApiError(404, "Could not find a message with the provided ID.")
            items = items[: items.index(anchor)] if anchor in items else items
        before = params.get("before")
        if before:
            items = [m for m in items if m.created < before]
        items.reverse()
        return JSONResponse({"items": [m.to_json() for m in items[: self.max_param(request)]]})

    async def list_direct_messages(self, request: Request) -> Response:
        caller = self.caller(request)
        params = request.query_params
        other: Person | None
        if params.get("personId"):
            other = self.find_person(params["personId"])
        elif params.get("personEmail"):
            other = self.fake._person_by_email(params["personEmail"])
        else:
            raise FakeApiError(400, "personId or personEmail is required.")
        room = self.fake._direct_room(caller, other) if other else None
        if room is None:
            return JSONResponse({"items": []})
        with self.fake._lock:
            items = [m for m in self.fake._messages.values() if m.room is room and not m.deleted]
        if params.get("parentId"):
            items = [m for m in items if m.parent_id == params["parentId"]]
        items.reverse()
        return JSONResponse({"items": [m.to_json() for m in items]})

    async def edit_message(self, request: Request) -> Response:
        """``PUT /messages/{id}`` (messages.yml "Edit a Message"): the author's own message,
        ``roomId`` required, new text/markdown; not one with files or attachments; at most
        MAX_EDITS times."""
        caller = self.caller(request)
        message = self.find_message(caller, request.path_params["message_id"])
        body = await _json_body(request)
        if message.author.uuid != caller.uuid:
            raise FakeApiError(403, "You can only edit messages you posted.")
        if _optional_str(body, "roomId") != message.room.id:
            raise FakeApiError(400, "roomId is required and must be the message's room.")
        text, markdown = _optional_str(body, "text"), _optional_str(body, "markdown")
        if not (text or markdown):
            raise FakeApiError(400, "text or markdown is required.")
        for value in (text, markdown):
            if value is not None and len(value.encode("utf-8")) > MAX_MESSAGE_BYTES:
                raise FakeApiError(400, TOO_LONG)
        if message.files or message.attachments:
            raise FakeApiError(400, "Editing a message with files or attachments is unsupported.")
        if message.edits >= MAX_EDITS:
            raise FakeApiError(400, "The edit limit of this message has been reached.")
        with self.fake._lock:
            message.text = text if text is not None else markdown
            message.markdown = markdown
            message.html = paragraph_html(markdown) if markdown is not None else None
            message.edits += 1
            message.updated = now_iso()
        self.fake._notify()
        return JSONResponse(message.to_json())

    async def get_content(self, request: Request) -> Response:
        """A message's file, to the members of its room (GET or HEAD)."""
        caller = self.caller(request)
        content = self.fake.content(request.path_params["content_id"])
        if content is None or not content.room.has_member(caller):
            raise FakeApiError(404, "Could not find the file.")
        headers = {
            "Content-Disposition": f'attachment; filename="{content.name}"',
            "Content-Length": str(len(content.data)),
        }
        data = b"" if request.method == "HEAD" else content.data
        return Response(data, media_type=content.content_type, headers=headers)

    async def _multipart(self, request: Request) -> tuple[dict[str, Any], list[Content]]:
        """A ``multipart/form-data`` message: its fields, and a ``files`` part (one)."""
        raw = await request.body()
        head = f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        parsed = BytesParser(policy=email_policy).parsebytes(head + raw)
        body: dict[str, Any] = {}
        uploads: list[Content] = []
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            if name == "files":
                uploads.append(
                    Content(
                        room=None,  # type: ignore[arg-type]  # set once the room is known
                        name=str(part.get_filename() or "file"),
                        content_type=part.get_content_type(),
                        data=data,
                    )
                )
            elif isinstance(name, str):
                body[name] = data.decode("utf-8")
        if len(uploads) > 1:
            raise FakeApiError(400, "Only one file per message is supported.")
        return body, uploads

    async def create_message(self, request: Request) -> Response:
        caller = self.caller(request)
        uploads: list[Content] = []
        if "multipart/form-data" in request.headers.get("content-type", ""):
            body, uploads = await self._multipart(request)
        else:
            body = await _json_body(request)
        room_id = _optional_str(body, "roomId")
        to_person_id = _optional_str(body, "toPersonId")
        to_person_email = _optional_str(body, "toPersonEmail")
        text = _optional_str(body, "text")
        markdown = _optional_str(body, "markdown")
        parent_ref = _optional_str(body, "parentId")
        targets = [t for t in (room_id, to_person_id, to_person_email) if t]
        if len(targets) != 1:
            raise FakeApiError(
                400, "Exactly one of roomId, toPersonId or toPersonEmail is required."
            )
        for value in (text, markdown):
            if value is not None and len(value.encode("utf-8")) > MAX_MESSAGE_BYTES:
                raise FakeApiError(400, TOO_LONG)
        attachments = body.get("attachments") or []
        files = body.get("files") or []
        self.check_attachments(attachments)
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise FakeApiError(400, "Invalid files: expected a list of URLs.")
        if not (text or markdown or attachments or files or uploads):
            raise FakeApiError(400, "A message needs text, markdown, a file or an attachment.")

        recipient: Person | None = None
        if room_id:
            room = self.find_room(caller, room_id)
        else:
            if to_person_id:
                recipient = self.find_person(to_person_id)
            else:
                assert to_person_email is not None  # noqa: S101 - an invariant of the fake
                recipient = self.fake._person_by_email(to_person_email)
                if recipient is None:
                    raise FakeApiError(404, "Person not found.")
            if recipient.uuid == caller.uuid:
                raise FakeApiError(400, "You cannot send a direct message to yourself.")
            direct = self.fake._direct_room(caller, recipient, create=True)
            assert direct is not None  # noqa: S101 - an invariant of the fake
            room = direct

        parent_id: str | None = None
        if parent_ref:
            parent = self.fake._find_message(parent_ref)
            if parent is None or parent.deleted or parent.room is not room:
                raise FakeApiError(400, "Invalid parentId: no such message in this room.")
            if parent.parent_id:
                raise FakeApiError(400, "Invalid parentId: cannot reply to a reply.")
            parent_id = parent.id

        for upload in uploads:
            upload.room = room
            with self.fake._lock:
                self.fake._contents[upload.uuid] = upload
            files = [*files, f"{self.fake.api_url}/contents/{upload.uuid}"]
        message = Message(
            room=room,
            author=caller,
            text=text,
            markdown=markdown,
            html=paragraph_html(markdown) if markdown is not None else None,
            parent_id=parent_id,
            attachments=list(attachments),
            files=list(files),
            mentioned_people=self.markdown_mentions(markdown),
            to_person_id=to_person_id,
            to_person_email=to_person_email,
        )
        self.fake._store_message(message)
        if self.fake.echo_bot_posts and caller.is_bot and room.kind == "direct":
            self.fake._deliver(self.fake._post_frame(message))
        return JSONResponse(message.to_json())

    @staticmethod
    def check_attachments(attachments: Any) -> None:
        if not isinstance(attachments, list):
            raise FakeApiError(400, "Invalid attachments: expected a list.")
        if len(attachments) > 1:
            raise FakeApiError(400, "Only one attachment per message is supported.")
        for attachment in attachments:
            if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE_CARD:
                raise FakeApiError(400, f"Invalid attachment: contentType must be {ADAPTIVE_CARD}.")
            content = attachment.get("content")
            if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
                raise FakeApiError(400, "Invalid attachment: content must be an AdaptiveCard.")

    def markdown_mentions(self, markdown: str | None) -> list[str]:
        ids: list[str] = []
        for kind, value in _MENTION.findall(markdown or ""):
            person = (
                self.fake._person_by_email(value)
                if kind == "personEmail"
                else self.fake._find_person(value)
            )
            if person is not None and person.id not in ids:
                ids.append(person.id)
        return ids

    # -- attachment actions, people, memberships, rooms --------------------------------------

    async def get_action(self, request: Request) -> Response:
        caller = self.caller(request)
        parsed = parse_id(request.path_params["action_id"])
        action = (
            self.fake._actions.get(parsed[1])
            if parsed and parsed[0] == "ATTACHMENT_ACTION"
            else None
        )
        if action is None or not action.message.room.has_member(caller):
            raise FakeApiError(404, "Could not find an attachment action with the provided ID.")
        return JSONResponse(action.to_json())

    async def me(self, request: Request) -> Response:
        return JSONResponse(self.caller(request).to_json())

    async def get_person(self, request: Request) -> Response:
        self.caller(request)
        return JSONResponse(self.find_person(request.path_params["person_id"]).to_json())

    async def list_people(self, request: Request) -> Response:
        caller = self.caller(request)
        params = request.query_params
        with self.fake._lock:
            people = list(self.fake._people.values())
        filtered = any(params.get(k) for k in ("email", "displayName", "id"))
        if not filtered and caller is not self.fake.admin:
            raise FakeApiError(400, "One of email, displayName or id is required.")
        if params.get("email"):
            people = [p for p in people if p.email.lower() == params["email"].lower()]
        if params.get("displayName"):
            prefix = params["displayName"].lower()
            people = [p for p in people if p.display_name.lower().startswith(prefix)]
        if params.get("id"):
            wanted = set(params["id"].split(","))
            people = [p for p in people if p.id in wanted]
        return JSONResponse(
            {"items": [p.to_json() for p in people[: self.max_param(request, 100)]]}
        )

    async def list_memberships(self, request: Request) -> Response:
        caller = self.caller(request)
        params = request.query_params
        if params.get("roomId"):
            rooms = [self.find_room(caller, params["roomId"])]
            pairs = [(room, person) for room in rooms for person in room.members]
        else:
            with self.fake._lock:
                rooms = [r for r in self.fake._rooms.values() if r.has_member(caller)]
            pairs = [(room, caller) for room in rooms]
        if params.get("personId"):
            pairs = [(r, p) for r, p in pairs if p.id == params["personId"]]
        if params.get("personEmail"):
            email = params["personEmail"].lower()
            pairs = [(r, p) for r, p in pairs if p.email.lower() == email]
        items = [room.membership_json(person) for room, person in pairs]
        return JSONResponse({"items": items[: self.max_param(request, 100)]})

    async def list_rooms(self, request: Request) -> Response:
        caller = self.caller(request)
        kind = request.query_params.get("type")
        with self.fake._lock:
            rooms = [r for r in self.fake._rooms.values() if r.has_member(caller)]
        if kind:
            rooms = [r for r in rooms if r.kind == kind]
        return JSONResponse({"items": [r.to_json() for r in rooms[: self.max_param(request, 100)]]})

    async def get_room(self, request: Request) -> Response:
        caller = self.caller(request)
        return JSONResponse(self.find_room(caller, request.path_params["room_id"]).to_json())

    # -- webhooks (webhooks.yml): each person sees and changes only their own ---------------

    _WEBHOOK_RESOURCES = frozenset({"messages", "attachmentActions", "memberships", "rooms"})

    @staticmethod
    def _webhook_json(hook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in hook.items() if not k.startswith("_")}

    def _own_webhook(self, caller: Person, webhook_id: str) -> dict[str, Any]:
        with self.fake._lock:
            hook = self.fake._webhooks.get(webhook_id)
        if hook is None or hook["_owner"] != caller.uuid:
            raise FakeApiError(404, "Webhook not found.")
        return hook

    async def list_webhooks(self, request: Request) -> Response:
        caller = self.caller(request)
        with self.fake._lock:
            mine = [h for h in self.fake._webhooks.values() if h["_owner"] == caller.uuid]
        items = [self._webhook_json(h) for h in mine[: self.max_param(request, 100)]]
        return JSONResponse({"items": items})

    async def create_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        body = await _json_body(request)
        for key in ("name", "targetUrl", "resource", "event"):
            if not _optional_str(body, key):
                raise FakeApiError(400, f"{key} is required.")
        if body["resource"] not in self._WEBHOOK_RESOURCES:
            raise FakeApiError(400, "Invalid resource.")
        if not str(body["targetUrl"]).startswith(("https://", "http://")):
            raise FakeApiError(400, "Invalid targetUrl.")
        webhook_id = make_id("WEBHOOK")
        hook: dict[str, Any] = {
            "id": webhook_id,
            "name": body["name"],
            "targetUrl": body["targetUrl"],
            "resource": body["resource"],
            "event": body["event"],
            "orgId": make_id("ORGANIZATION", self.fake.org_uuid),
            "createdBy": caller.id,
            "appId": make_id("APPLICATION"),
            "ownedBy": "creator",
            "status": "active",
            "created": now_iso(),
            "_owner": caller.uuid,
            "_secret": body.get("secret"),
        }
        if isinstance(body.get("filter"), str):
            hook["filter"] = body["filter"]
        with self.fake._lock:
            self.fake._webhooks[webhook_id] = hook
        return JSONResponse(self._webhook_json(hook), status_code=200)

    async def get_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        return JSONResponse(
            self._webhook_json(self._own_webhook(caller, request.path_params["webhook_id"]))
        )

    async def update_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        hook = self._own_webhook(caller, request.path_params["webhook_id"])
        body = await _json_body(request)
        for key in ("name", "targetUrl"):
            if not _optional_str(body, key):
                raise FakeApiError(400, f"{key} is required.")
        with self.fake._lock:
            hook["name"], hook["targetUrl"] = body["name"], body["targetUrl"]
            if "secret" in body:
                hook["_secret"] = body["secret"]
            if body.get("status") in ("active", "inactive"):
                hook["status"] = body["status"]
        return JSONResponse(self._webhook_json(hook))

    async def delete_webhook(self, request: Request) -> Response:
        caller = self.caller(request)
        hook = self._own_webhook(caller, request.path_params["webhook_id"])
        with self.fake._lock:
            self.fake._webhooks.pop(hook["id"], None)
        return Response(status_code=204)

    # -- websocket ---------------------------------------------------------------------------

    async def websocket(self, websocket: WebSocket) -> None:
        fake = self.fake
        device = fake._device(websocket.path_params["device_id"])
        refuse = fake._refuse_ws_status
        if refuse is not None or device is None or device.expired:
            status = refuse if refuse is not None else 404
            if status == 403:
                await websocket.close()  # a close before accept is uvicorn's plain 403
            else:
                await websocket.send_denial_response(error_response(status, "Websocket refused."))
            return
        await websocket.accept()
        conn = fake._open_connection(device.uuid, websocket.scope.get(TRANSPORT_KEY))
        try:
            await self._serve_socket(websocket, conn)
        finally:
            fake._close_connection(conn)

    async def _serve_socket(self, websocket: WebSocket, conn: WsConnection) -> None:
        # The writer runs from the start so drop_connections() also closes a socket that has
        # not authorized yet; frames only reach authorized ones (FakeWebex._deliver).
        reader = asyncio.ensure_future(self._read_socket(websocket, conn))
        writer = asyncio.ensure_future(self._write_socket(websocket, conn))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, writer):
                task.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)

    async def _read_socket(self, websocket: WebSocket, conn: WsConnection) -> None:
        """The first frame must be ``{"type": "authorization", "data": {"token": "Bearer
        …"}}`` (within WS_AUTH_TIMEOUT), else close 4401; later frames are recorded, acks
        counted."""
        while True:
            try:
                message = await asyncio.wait_for(
                    websocket.receive(), None if conn.authorized else WS_AUTH_TIMEOUT
                )
            except TimeoutError:
                message = {"type": "websocket.receive", "text": "(no authorization in time)"}
            if message["type"] == "websocket.disconnect":
                if conn.close_code is None:
                    conn.close_code = int(message.get("code", 1005))
                return
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", "replace")
            frame = _maybe_json(raw)
            conn.received.append(frame)
            if not conn.authorized:
                person = self.fake._authorize_frame(raw)
                if person is None:
                    conn.close_code = WS_UNAUTHORIZED
                    with contextlib.suppress(RuntimeError):
                        await websocket.close(WS_UNAUTHORIZED, "Unauthorized")
                    return
                self.fake._authorize_connection(conn, person)
            elif isinstance(frame, dict) and frame.get("type") == "ack":
                conn.acks.append(str(frame.get("messageId")))
                self.fake._notify()

    async def _write_socket(self, websocket: WebSocket, conn: WsConnection) -> None:
        assert conn.outbox is not None  # noqa: S101 - an invariant of the fake
        while True:
            kind, payload = await conn.outbox.get()
            if kind == "close":
                conn.close_code = int(payload)
                with contextlib.suppress(RuntimeError):  # the reader closed it already
                    await websocket.close(int(payload))
                return
            await websocket.send_text(json.dumps(payload))
            conn.sent.append(payload)


def _maybe_json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
