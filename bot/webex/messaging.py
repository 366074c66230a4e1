"""The bot identity's messaging calls (httpx, through the same error boundary).

Replies honour 429 / Retry-After like every call (bot.webex.http). Text and markdown are
capped at Webex's 7,439 bytes *here*, so no reply can be refused for its length.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import Field

from bot.errors import WebexError, WebexForbidden, WebexNotFound
from bot.events import Reply
from bot.webex.http import WebexHttp
from bot.webex.models import WireModel

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 7439
TRUNCATED = "\n…(message shortened)"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def fit(text: str, limit: int = MAX_MESSAGE_BYTES) -> str:
    """Cut ``text`` to ``limit`` UTF-8 bytes, on a character boundary, saying so."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    room = limit - len(TRUNCATED.encode("utf-8"))
    return raw[:room].decode("utf-8", errors="ignore") + TRUNCATED


class Message(WireModel):
    id: str
    room_id: str = ""
    room_type: str = ""
    text: str = ""
    markdown: str | None = None
    html: str | None = None
    person_id: str = ""
    person_email: str = ""
    parent_id: str | None = None
    mentioned_people: list[str] = Field(default_factory=list)


class Person(WireModel):
    id: str
    emails: list[str] = Field(default_factory=list)
    display_name: str = ""
    org_id: str | None = None
    type: str = "person"

    @property
    def email(self) -> str:
        return self.emails[0] if self.emails else ""


class MessagingClient:
    """Posts, deletes and reads messages as the bot."""

    def __init__(self, http: WebexHttp) -> None:
        self.http = http

    async def send(self, reply: Reply) -> str | None:
        """Post one reply; returns the new message's id."""
        body: dict[str, Any] = {"markdown": fit(reply.markdown)}
        # The plain-text fallback is what clients without markdown (and notifications) show.
        body["text"] = fit(reply.markdown)
        if reply.room_id:
            body["roomId"] = reply.room_id
        elif reply.to_person_id:
            body["toPersonId"] = reply.to_person_id
        elif reply.to_person_email:
            body["toPersonEmail"] = reply.to_person_email
        else:
            raise ValueError("a reply needs a room or a person")
        if reply.parent_id:
            body["parentId"] = reply.parent_id
        if reply.card is not None:
            body["attachments"] = [{"contentType": CARD_CONTENT_TYPE, "content": reply.card}]
        answer = await self.http.post_json("/messages", body)
        message_id = answer.get("id")
        return message_id if isinstance(message_id, str) else None

    async def delete(self, message_id: str) -> bool:
        """Delete one of the bot's own messages; False when it is already gone."""
        try:
            await self.http.request("DELETE", f"/messages/{message_id}", retry_5xx=True)
        except WebexNotFound:
            return False
        return True

    async def get_message(self, message_id: str) -> Message:
        return Message.model_validate(await self.http.get_json(f"/messages/{message_id}"))

    async def me(self) -> Person:
        return Person.model_validate(await self.http.get_json("/people/me"))

    async def get_person(self, person_id: str) -> Person:
        return Person.model_validate(await self.http.get_json(f"/people/{person_id}"))

    async def is_member(self, room_id: str, person_id: str) -> bool:
        """Is the person in the space? False when the bot cannot see that space."""
        try:
            data = await self.http.get_json(
                "/memberships", {"roomId": room_id, "personId": person_id}
            )
        except (WebexNotFound, WebexForbidden):
            return False
        except WebexError:
            log.warning("membership.lookup_failed", extra={"room_id": room_id})
            return False
        items = data.get("items")
        return isinstance(items, list) and any(
            isinstance(i, dict) and i.get("personId") == person_id for i in items
        )
