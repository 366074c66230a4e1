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

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp

from webexfake.errors import ApiError
from webexfake.ids import uuid_of

from .devices import Device
from .front import EXCEPTION_HANDLERS, Front, error_response
from .routes_base import ROOM_NOT_FOUND, UNAUTHORIZED, json_body
from .routes_messages import MAX_EDITS, MAX_MESSAGE_BYTES, TOO_LONG, MessageRoutes
from .routes_socket import WS_AUTH_TIMEOUT, WS_UNAUTHORIZED, SocketRoutes
from .routes_webhooks import WebhookRoutes

if TYPE_CHECKING:
    from .server import FakeWebex

__all__ = [
    "MAX_EDITS",
    "MAX_MESSAGE_BYTES",
    "ROOM_NOT_FOUND",
    "TOO_LONG",
    "UNAUTHORIZED",
    "WS_AUTH_TIMEOUT",
    "WS_UNAUTHORIZED",
    "build_app",
    "error_response",
]


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
        exception_handlers=EXCEPTION_HANDLERS,
    )
    return Front(fake, app, extra_app, tuple(extra_prefixes))


class _Routes(MessageRoutes, WebhookRoutes, SocketRoutes):
    """The handlers, by resource; messages, webhooks and the websocket are their own modules."""

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

    async def catalog(self, request: Request) -> Response:
        self.caller(request)
        # Only the hostmap shape webex-bot asks for (``?format=hostmap``), whatever the query.
        return JSONResponse({"serviceLinks": {"wdm": self.fake.wdm_url}})

    async def list_devices(self, request: Request) -> Response:
        caller = self.caller(request)
        with self.fake.records.lock:
            devices = [
                d.to_json()
                for d in self.fake.records.devices
                if d.owner is caller and not d.expired
            ]
        return JSONResponse({"devices": devices})

    async def create_device(self, request: Request) -> Response:
        caller = self.caller(request)
        data = await json_body(request)
        with self.fake.records.lock:
            device = Device(owner=caller, data=data, base_url=self.fake.base_url)
            self.fake.records.devices.append(device)
            self.fake.records.device_registrations += 1
        self.fake.waits.notify()
        return JSONResponse(device.to_json())

    def own_device(self, request: Request) -> Device:
        caller = self.caller(request)
        device = self.fake.records.device(request.path_params["device_id"])
        if device is None or device.owner is not caller or device.expired:
            raise ApiError(404, "Device not found.")
        return device

    async def get_device(self, request: Request) -> Response:
        return JSONResponse(self.own_device(request).to_json())

    async def delete_device(self, request: Request) -> Response:
        device = self.own_device(request)
        with self.fake.records.lock:
            device.expired = True
        self.fake.waits.notify()
        return Response(status_code=204)

    async def conversation_message(self, request: Request) -> Response:
        caller = self.caller(request)
        message = self.fake.records.messages.get(request.path_params["uuid"])
        if message is None or not self.visible(caller, message):
            raise ApiError(404, "Activity not found.")
        return JSONResponse({"id": message.id, "objectType": "activity", "verb": "post"})

    async def conversation_action(self, request: Request) -> Response:
        caller = self.caller(request)
        action = self.fake.records.actions.get(request.path_params["uuid"])
        if action is None or not action.message.room.has_member(caller):
            raise ApiError(404, "Activity not found.")
        return JSONResponse({"id": action.id, "objectType": "activity", "verb": "cardAction"})

    # -- attachment actions, people, memberships, rooms --------------------------------------

    async def get_action(self, request: Request) -> Response:
        caller = self.caller(request)
        action_uuid = uuid_of(request.path_params["action_id"], "ATTACHMENT_ACTION")
        action = self.fake.records.actions.get(action_uuid or "")
        if action is None or not action.message.room.has_member(caller):
            raise ApiError(404, "Could not find an attachment action with the provided ID.")
        return JSONResponse(action.to_json())

    async def me(self, request: Request) -> Response:
        return JSONResponse(self.caller(request).to_json())

    async def get_person(self, request: Request) -> Response:
        self.caller(request)
        return JSONResponse(self.find_person(request.path_params["person_id"]).to_json())

    async def list_people(self, request: Request) -> Response:
        caller = self.caller(request)
        params = request.query_params
        with self.fake.records.lock:
            people = list(self.fake.records.people.values())
        filtered = any(params.get(k) for k in ("email", "displayName", "id"))
        if not filtered and caller is not self.fake.admin:
            raise ApiError(400, "One of email, displayName or id is required.")
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
            with self.fake.records.lock:
                rooms = [r for r in self.fake.records.rooms.values() if r.has_member(caller)]
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
        with self.fake.records.lock:
            rooms = [r for r in self.fake.records.rooms.values() if r.has_member(caller)]
        if kind:
            rooms = [r for r in rooms if r.kind == kind]
        return JSONResponse({"items": [r.to_json() for r in rooms[: self.max_param(request, 100)]]})

    async def get_room(self, request: Request) -> Response:
        caller = self.caller(request)
        return JSONResponse(self.find_room(caller, request.path_params["room_id"]).to_json())
