"""What the fake cloud holds, under one lock: people and their tokens, rooms, messages, card
submissions, files, webhooks and WDM devices; and finding them as Webex does (by REST id, by
email, by token).

Every change that a test may be waiting for ends with ``changed()`` (the fake's
:meth:`~webexfake.messaging.waits.Waits.notify`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from webexfake.ids import new_uuid, parse_id, uuid_of

from .devices import Device
from .model import AttachmentAction, Content, Message, Person, Room, RoomKind


def _uuid_of(ref: str, kind: str) -> str:
    """The uuid in a REST id of ``kind``; anything else is taken as a bare uuid."""
    return uuid_of(ref, kind) or ref


class Records:
    """The cloud's records. Handlers and test helpers read and change them under ``lock``."""

    def __init__(self, org_uuid: str, changed: Callable[[], None]) -> None:
        self.org_uuid = org_uuid
        self.changed = changed
        self.lock = threading.RLock()
        self.people: dict[str, Person] = {}
        self.tokens: dict[str, Person] = {}
        self.rooms: dict[str, Room] = {}
        self.messages: dict[str, Message] = {}
        self.actions: dict[str, AttachmentAction] = {}
        self.contents: dict[str, Content] = {}
        # id → the webhook as Webex shows it, plus "_owner" (the creator's uuid) and "_secret"
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.devices: list[Device] = []
        self.device_registrations = 0

    # -- people and tokens -------------------------------------------------------------------

    def add_person(
        self, email: str, display_name: str, *, is_bot: bool = False, org_id: str | None = None
    ) -> Person:
        """A new person; ``org_id`` a REST org id or uuid (default the fake's org)."""
        org_uuid = self.org_uuid
        if org_id:
            parsed = parse_id(org_id)
            org_uuid = parsed[1] if parsed else org_id
        person = Person(email=email, display_name=display_name, org_uuid=org_uuid, is_bot=is_bot)
        with self.lock:
            if self.person_by_email(email) is not None:
                raise ValueError(f"a person with email {email!r} exists already")
            self.people[person.uuid] = person
        return person

    def issue_token(self, person: Person, token: str | None = None) -> str:
        """A bearer token acting as ``person``."""
        token = token or f"fake-token-{new_uuid()}"
        with self.lock:
            self.tokens[token] = person
        return token

    def person_for_token(self, token: str) -> Person | None:
        with self.lock:
            return self.tokens.get(token)

    def person_for_authorization(self, header: str) -> Person | None:
        """Who an ``Authorization: Bearer <token>`` header speaks for (None: nobody known)."""
        scheme, _, token = header.partition(" ")
        return self.person_for_token(token.strip()) if scheme.lower() == "bearer" else None

    def person_by_email(self, email: str) -> Person | None:
        with self.lock:
            for person in self.people.values():
                if person.email.lower() == email.lower():
                    return person
        return None

    def find_person(self, person_id: str) -> Person | None:
        """By REST id or bare uuid."""
        with self.lock:
            return self.people.get(_uuid_of(person_id, "PEOPLE"))

    # -- rooms -------------------------------------------------------------------------------

    def add_room(self, kind: RoomKind, people: Sequence[Person], title: str | None) -> Room:
        """A space of ``people``; a ``direct`` one has exactly two, and asking again for the
        same pair returns the existing one."""
        if kind == "direct" and len(people) != 2:
            raise ValueError("a direct room has exactly two members")
        if kind == "direct":
            existing = self.direct_room(people[0], people[1])
            if existing is not None:
                return existing  # Webex has one 1:1 space per pair
        if title is None:
            title = people[0].display_name if kind == "direct" else f"Space {len(self.rooms) + 1}"
        room = Room(kind=kind, members=list(people), title=title)
        with self.lock:
            self.rooms[room.uuid] = room
        return room

    def direct_room(self, a: Person, b: Person, *, create: bool = False) -> Room | None:
        """The 1:1 space of ``a`` and ``b`` (made on demand with ``create``)."""
        with self.lock:
            for room in self.rooms.values():
                if room.kind == "direct" and room.has_member(a) and room.has_member(b):
                    return room
            if not create:
                return None
            other = a if b.is_bot else b
            room = Room(kind="direct", members=[a, b], title=other.display_name)
            self.rooms[room.uuid] = room
            return room

    def add_member(self, room: Room, person: Person) -> None:
        with self.lock:
            if room.kind == "direct":
                raise ValueError("cannot add a member to a direct room")
            if not room.has_member(person):
                room.members.append(person)

    # -- messages, card submissions, files ---------------------------------------------------

    def find_message(self, ref: str) -> Message | None:
        """By REST id, or by bare uuid (webex-bot passes activity uuids as ``parentId``)."""
        with self.lock:
            return self.messages.get(_uuid_of(ref, "MESSAGE"))

    def store_message(self, message: Message) -> None:
        with self.lock:
            self.messages[message.uuid] = message
        self.changed()

    def store_action(self, action: AttachmentAction) -> None:
        with self.lock:
            self.actions[action.uuid] = action
        self.changed()

    def store_content(self, content: Content) -> None:
        with self.lock:
            self.contents[content.uuid] = content

    def content(self, url_or_uuid: str) -> Content | None:
        """A posted file by its URL or uuid."""
        with self.lock:
            return self.contents.get(url_or_uuid.rsplit("/", 1)[-1])

    # -- WDM devices -------------------------------------------------------------------------

    def device(self, device_uuid: str) -> Device | None:
        with self.lock:
            return next((d for d in self.devices if d.uuid == device_uuid), None)
