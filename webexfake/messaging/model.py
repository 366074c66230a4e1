"""The fake cloud's records: people, rooms, messages, card submissions, files.

Every record knows its REST JSON (``to_json``) in the shapes of the Webex OpenAPI descriptions
(messages, attachment actions, people, memberships). Records are created and mutated by
:class:`~webexfake.messaging.records.Records` under its lock; tests read them. WDM devices
and their websockets are in :mod:`webexfake.messaging.devices`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from webexfake.ids import make_id, new_uuid

RoomKind = Literal["direct", "group"]

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def now_iso() -> str:
    """Webex's timestamp format: UTC, milliseconds, ``Z``."""
    return webex_time(datetime.now(UTC))


def webex_time(when: datetime) -> str:
    """``when`` (aware) in Webex's timestamp format: ``2026-12-06T08:45:56.123Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Person:
    """A Webex identity: a user or a bot."""

    email: str
    display_name: str
    org_uuid: str
    is_bot: bool = False
    uuid: str = field(default_factory=new_uuid)
    created: str = field(default_factory=now_iso)

    @property
    def id(self) -> str:
        return make_id("PEOPLE", self.uuid)

    @property
    def org_id(self) -> str:
        return make_id("ORGANIZATION", self.org_uuid)

    def to_json(self) -> dict[str, Any]:
        """A Person of ``GET /people/{id}`` (people.yml)."""
        first, _, last = self.display_name.partition(" ")
        return {
            "id": self.id,
            "emails": [self.email],
            "phoneNumbers": [],
            "displayName": self.display_name,
            "nickName": first,
            "firstName": first,
            "lastName": last,
            "orgId": self.org_id,
            "created": self.created,
            "lastModified": self.created,
            "status": "unknown",
            "type": "bot" if self.is_bot else "person",
        }


@dataclass
class Room:
    """A space: ``direct`` (1:1) or ``group``. Its conversation uuid is the one in its REST id."""

    kind: RoomKind
    members: list[Person]
    title: str
    uuid: str = field(default_factory=new_uuid)
    created: str = field(default_factory=now_iso)

    @property
    def id(self) -> str:
        return make_id("ROOM", self.uuid)

    def has_member(self, person: Person) -> bool:
        return any(m.uuid == person.uuid for m in self.members)

    def to_json(self) -> dict[str, Any]:
        creator = self.members[0] if self.members else None
        return {
            "id": self.id,
            "title": self.title,
            "type": self.kind,
            "isLocked": False,
            "lastActivity": self.created,
            "creatorId": creator.id if creator else None,
            "created": self.created,
        }

    def membership_json(self, person: Person) -> dict[str, Any]:
        """A Membership of ``GET /memberships`` (memberships.yml)."""
        return {
            "id": make_id("MEMBERSHIP", f"{person.uuid}:{self.uuid}"),
            "roomId": self.id,
            "personId": person.id,
            "personEmail": person.email,
            "personDisplayName": person.display_name,
            "personOrgId": person.org_id,
            "isModerator": False,
            "isRoomHidden": False,
            "roomType": self.kind,
            "isMonitor": False,
            "created": self.created,
        }


@dataclass
class Message:
    """A message. ``uuid`` is both the activity id on the websocket and the uuid in ``id``."""

    room: Room
    author: Person
    text: str | None = None
    markdown: str | None = None
    html: str | None = None
    parent_id: str | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    mentioned_people: list[str] = field(default_factory=list)
    to_person_id: str | None = None
    to_person_email: str | None = None
    uuid: str = field(default_factory=new_uuid)
    created: str = field(default_factory=now_iso)
    deleted: bool = False
    # Edits by its author (PUT /messages/{id}: at most MAX_EDITS), and when the last was.
    edits: int = 0
    updated: str | None = None

    @property
    def id(self) -> str:
        return make_id("MESSAGE", self.uuid)

    @property
    def room_id(self) -> str:
        return self.room.id

    def mentions(self, person: Person) -> bool:
        return person.id in self.mentioned_people

    def to_json(self) -> dict[str, Any]:
        """A Message of ``GET /messages/{id}`` (messages.yml ListMessage)."""
        body: dict[str, Any] = {
            "id": self.id,
            "roomId": self.room.id,
            "roomType": self.room.kind,
        }
        if self.parent_id:
            body["parentId"] = self.parent_id
        if self.to_person_id:
            body["toPersonId"] = self.to_person_id
        if self.to_person_email:
            body["toPersonEmail"] = self.to_person_email
        if self.text is not None:
            body["text"] = self.text
        if self.markdown is not None:
            body["markdown"] = self.markdown
        if self.html is not None:
            body["html"] = self.html
        if self.files:
            body["files"] = list(self.files)
        body["personId"] = self.author.id
        body["personEmail"] = self.author.email
        if self.mentioned_people:
            body["mentionedPeople"] = list(self.mentioned_people)
        if self.attachments:
            body["attachments"] = list(self.attachments)
        body["created"] = self.created
        if self.updated is not None:
            body["updated"] = self.updated
        body["isVoiceClip"] = False
        return body


@dataclass
class Content:
    """A file posted with a message, served at ``/v1/contents/{uuid}`` to the room's members."""

    room: Room
    name: str
    content_type: str
    data: bytes
    uuid: str = field(default_factory=new_uuid)


def paragraph_html(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def mention_html(person: Person, label: str, rest: str) -> str:
    tag = (
        f'<spark-mention data-object-type="person" data-object-id="{person.id}">'
        f"{html.escape(label)}</spark-mention>"
    )
    return f"<p>{tag} {html.escape(rest)}</p>" if rest else f"<p>{tag}</p>"


@dataclass
class AttachmentAction:
    """A card submission (attachment-actions.yml AttachmentActivity)."""

    message: Message
    person: Person
    inputs: dict[str, Any]
    uuid: str = field(default_factory=new_uuid)
    created: str = field(default_factory=now_iso)

    @property
    def id(self) -> str:
        return make_id("ATTACHMENT_ACTION", self.uuid)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "submit",
            "messageId": self.message.id,
            "inputs": dict(self.inputs),
            "personId": self.person.id,
            "roomId": self.message.room.id,
            "created": self.created,
        }
