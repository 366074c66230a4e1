"""The websocket's frames: Mercury ``conversation.activity`` events as webex-bot reads them.

Webex pushes an activity per thing a person does — ``post`` (a message), ``share`` and then
``update`` (a file, once its malware scan is done), ``cardAction`` (a card submission) — each
wrapped in a frame with a sequence number. The activity's ``id`` is the message's (or the
submission's) uuid; webex-bot looks its REST id up from ``target.url``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from webexfake.ids import new_uuid, parse_id

from .model import AttachmentAction, Message, Person, Room, now_iso

#: ``actor.type`` in activities from a bot. Webex's value is undocumented; webex-bot only tests
#: ``!= "PERSON"``.
BOT_ACTOR_TYPE = "ROBOT"

Frame = dict[str, Any]


class Frames:
    """Builds the frames of one fake cloud (its URLs, its sequence numbers)."""

    def __init__(self, base_url: str, find_message: Callable[[str], Message | None]) -> None:
        self._conversations = f"{base_url}/conversation/api/v1"
        self._find_message = find_message
        self._lock = threading.Lock()
        self._sequence = 0

    def post(self, message: Message) -> Frame:
        """A ``post`` of ``message`` (with its mentions, and its thread's root if a reply)."""
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
        activity = self.activity(
            "post",
            actor=message.author,
            room=message.room,
            activity_uuid=message.uuid,
            obj=obj,
            parent=parent,
        )
        return self.frame(activity)

    def share(self, message: Message, file_name: str) -> Frame:
        """A ``share`` of ``message``, which carries one file."""
        share = self.post(message)
        share["data"]["activity"]["verb"] = "share"
        share["data"]["activity"]["object"] = {
            "objectType": "content",
            "displayName": message.text or "",
            "contentCategory": "documents",
            "files": {"items": [{"objectType": "file", "displayName": file_name}]},
        }
        return share

    def file_scanned(self, message: Message, file_name: str, malware_state: str) -> Frame:
        """The ``update`` that follows a share once the file's malware scan says
        ``malware_state`` (webex-bot only handles a ``safe`` one)."""
        file = {
            "objectType": "file",
            "displayName": file_name,
            "malwareQuarantineState": malware_state,
        }
        return self.frame(
            self.activity(
                "update",
                actor=message.author,
                room=message.room,
                activity_uuid=new_uuid(),
                obj={
                    "id": message.uuid,
                    "objectType": "content",
                    "contentCategory": "documents",
                    "files": {"items": [file]},
                },
            )
        )

    def card_action(self, action: AttachmentAction) -> Frame:
        """A ``cardAction``: ``action.person`` submitted the card in ``action.message``."""
        return self.frame(
            self.activity(
                "cardAction",
                actor=action.person,
                room=action.message.room,
                activity_uuid=action.uuid,
                obj={"objectType": "submit", "inputs": json.dumps(action.inputs)},
            )
        )

    def activity(
        self,
        verb: str,
        *,
        actor: Person,
        room: Room,
        activity_uuid: str,
        obj: dict[str, Any],
        parent: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        conversations = self._conversations
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

    def frame(self, activity: dict[str, Any]) -> Frame:
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
