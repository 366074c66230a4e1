"""The bot identity's messaging calls (httpx, through the same error boundary).

Replies honour 429 / Retry-After like every call (bot.webex.http). Text and markdown are
capped at Webex's 7,439 bytes *here*, so no reply can be refused for its length.
"""

from __future__ import annotations

import logging
from email.message import Message as MimeHeader
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field

from bot.errors import WebexBadResponse, WebexError, WebexForbidden, WebexNotFound
from bot.events import Download, FileTooBig, Reply
from bot.webex.errors import json_object
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


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _filename(disposition: str) -> str:
    """The file name in ``Content-Disposition: attachment; filename="…"`` ("" if none)."""
    header = MimeHeader()
    header["content-disposition"] = disposition
    name = header.get_filename() or ""
    return name.replace("/", "_").replace("\\", "_")[:200]


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
        """Post one reply (or edit one of ours: ``reply.replaces``); returns its id."""
        if reply.replaces:
            return await self._edit(reply)
        if reply.file is not None:
            return await self._post_file(reply)
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

    async def _edit(self, reply: Reply) -> str | None:
        """``PUT /messages/{id}``: new text for one of our messages (progress)."""
        assert reply.replaces is not None  # noqa: S101  -- the caller checked
        if not reply.room_id:
            raise ValueError("an edit needs the message's room")
        body = {
            "roomId": reply.room_id,
            "markdown": fit(reply.markdown),
            "text": fit(reply.markdown),
        }
        path = f"/messages/{quote(reply.replaces, safe='')}"
        answer = json_object(await self.http.request("PUT", path, json=body, retry_5xx=True))
        message_id = answer.get("id")
        return message_id if isinstance(message_id, str) else reply.replaces

    async def _post_file(self, reply: Reply) -> str | None:
        """A message with one file: multipart/form-data with a ``files`` part."""
        assert reply.file is not None  # noqa: S101  -- the caller checked
        data = {"markdown": fit(reply.markdown), "text": fit(reply.markdown)}
        if reply.room_id:
            data["roomId"] = reply.room_id
        elif reply.to_person_id:
            data["toPersonId"] = reply.to_person_id
        elif reply.to_person_email:
            data["toPersonEmail"] = reply.to_person_email
        else:
            raise ValueError("a reply needs a room or a person")
        upload = reply.file
        files = {"files": (upload.name, upload.content, upload.content_type)}
        answer = json_object(await self.http.request("POST", "/messages", data=data, files=files))
        message_id = answer.get("id")
        return message_id if isinstance(message_id, str) else None

    async def fetch_file(self, url: str, *, max_bytes: int) -> Download:
        """A message's file, with the bot's token, only from Webex's own host: its size and
        type first (HEAD), then the bytes; FileTooBig without reading past ``max_bytes``."""
        if not self.http.same_origin(httpx.URL(url)):
            raise WebexBadResponse(
                "That file isn't on Webex, so I won't fetch it.", method="GET", path="/contents"
            )
        head = await self.http.request("HEAD", url)
        size = _int_or_none(head.headers.get("content-length"))
        if size is not None and size > max_bytes:
            raise FileTooBig(size)
        response = await self.http.request("GET", url)
        if len(response.content) > max_bytes:
            raise FileTooBig(len(response.content))
        return Download(
            name=_filename(response.headers.get("content-disposition", "")),
            content_type=response.headers.get("content-type", "").split(";")[0].strip().lower(),
            content=response.content,
        )

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
