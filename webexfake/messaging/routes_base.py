"""What every handler of the fake's messaging API shares: who is calling (by token), what
they may see, and finding rooms, messages and people as Webex would (404 otherwise)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from webexfake.errors import STATUS_MESSAGES, ApiError
from webexfake.ids import uuid_of

from .model import (
    Message,
    Person,
    Room,
)

if TYPE_CHECKING:
    from .server import FakeWebex


ROOM_NOT_FOUND = "Could not find a room with provided ID."
UNAUTHORIZED = STATUS_MESSAGES[401]


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body


def optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid {key}: expected a string.")
    return value


class RoutesBase:
    """The handlers' shared state and look-ups; each handler runs on the server loop and
    touches state under ``fake.records.lock``."""

    def __init__(self, fake: FakeWebex) -> None:
        self.fake = fake

    # -- helpers -----------------------------------------------------------------------------

    def caller(self, request: Request) -> Person:
        person = self.fake.records.person_for_authorization(
            request.headers.get("authorization", "")
        )
        if person is None:
            raise ApiError(401, UNAUTHORIZED)
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
        message = self.fake.records.find_message(message_id)
        if message is None or not self.visible(caller, message):
            raise ApiError(404, "Could not find a message with the provided ID.")
        return message

    def find_room(self, caller: Person, room_id: str) -> Room:
        room = self.fake.records.rooms.get(uuid_of(room_id, "ROOM") or "")
        if room is None or not room.has_member(caller):
            raise ApiError(404, ROOM_NOT_FOUND)
        return room

    def find_person(self, person_id: str) -> Person:
        person = self.fake.records.people.get(uuid_of(person_id, "PEOPLE") or "")
        if person is None:
            raise ApiError(404, "Person not found.")
        return person

    @staticmethod
    def max_param(request: Request, default: int = 50) -> int:
        raw = request.query_params.get("max")
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ApiError(400, "Invalid max: expected a positive integer.") from exc
        if value < 1:
            raise ApiError(400, "Invalid max: expected a positive integer.")
        return value
