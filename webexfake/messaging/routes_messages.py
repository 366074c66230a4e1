"""``/v1/messages`` and its files: list, post (text, markdown, cards, files; mentions), get,
edit, delete, as messages.yml describes them."""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from webexfake.errors import ApiError

from .model import (
    ADAPTIVE_CARD,
    Content,
    Message,
    Person,
    now_iso,
    paragraph_html,
)
from .routes_base import RoutesBase, json_body, optional_str

#: Bytes allowed in ``text`` and in ``markdown`` of a message (messages.yml).
MAX_MESSAGE_BYTES = 7439
#: Edits a message may have (messages.yml "Edit a Message").
MAX_EDITS = 10
#: Webex's wording for an over-long message [reported: nautobot-app-chatops#2].
TOO_LONG = (
    "Unable to post message to room: Message length limited to 7439 characters before "
    "encryption and 10000 characters after encryption."
)

_MENTION = re.compile(r"<@(personEmail|personId):([^>|]+)(?:\|[^>]*)?>")


class MessageRoutes(RoutesBase):
    """The message handlers."""

    async def get_message(self, request: Request) -> Response:
        caller = self.caller(request)
        return JSONResponse(self.find_message(caller, request.path_params["message_id"]).to_json())

    async def delete_message(self, request: Request) -> Response:
        caller = self.caller(request)
        message = self.find_message(caller, request.path_params["message_id"])
        if message.author.uuid != caller.uuid:
            raise ApiError(403, "You can only delete messages you posted.")
        with self.fake.records.lock:
            message.deleted = True
        self.fake.waits.notify()
        return Response(status_code=204)

    async def list_messages(self, request: Request) -> Response:
        caller = self.caller(request)
        params = request.query_params
        room_id = params.get("roomId")
        if not room_id:
            raise ApiError(400, "roomId is required.")
        room = self.find_room(caller, room_id)
        mentioned = params.get("mentionedPeople")
        if mentioned is not None and mentioned not in ("me", caller.id):
            raise ApiError(400, "mentionedPeople may only be 'me' or your own person id.")
        if caller.is_bot and room.kind == "group" and mentioned is None:
            raise ApiError(
                403, "Bots must include mentionedPeople=me to list messages in a group space."
            )
        with self.fake.records.lock:
            items = [m for m in self.fake.records.messages.values() if m.room is room]
        items = [m for m in items if self.visible(caller, m)]
        if mentioned is not None:
            items = [m for m in items if m.mentions(caller)]
        parent = params.get("parentId")
        if parent:
            items = [m for m in items if m.parent_id == parent]
        before_message = params.get("beforeMessage")
        if before_message:
            anchor = self.fake.records.find_message(before_message)
            if anchor is None:
                raise ApiError(404, "Could not find a message with the provided ID.")
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
            other = self.fake.records.person_by_email(params["personEmail"])
        else:
            raise ApiError(400, "personId or personEmail is required.")
        room = self.fake.records.direct_room(caller, other) if other else None
        if room is None:
            return JSONResponse({"items": []})
        with self.fake.records.lock:
            items = [
                m for m in self.fake.records.messages.values() if m.room is room and not m.deleted
            ]
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
        body = await json_body(request)
        if message.author.uuid != caller.uuid:
            raise ApiError(403, "You can only edit messages you posted.")
        if optional_str(body, "roomId") != message.room.id:
            raise ApiError(400, "roomId is required and must be the message's room.")
        text, markdown = optional_str(body, "text"), optional_str(body, "markdown")
        if not (text or markdown):
            raise ApiError(400, "text or markdown is required.")
        for value in (text, markdown):
            if value is not None and len(value.encode("utf-8")) > MAX_MESSAGE_BYTES:
                raise ApiError(400, TOO_LONG)
        if message.files or message.attachments:
            raise ApiError(400, "Editing a message with files or attachments is unsupported.")
        if message.edits >= MAX_EDITS:
            raise ApiError(400, "The edit limit of this message has been reached.")
        with self.fake.records.lock:
            message.text = text if text is not None else markdown
            message.markdown = markdown
            message.html = paragraph_html(markdown) if markdown is not None else None
            message.edits += 1
            message.updated = now_iso()
        self.fake.waits.notify()
        return JSONResponse(message.to_json())

    async def get_content(self, request: Request) -> Response:
        """A message's file, to the members of its room (GET or HEAD)."""
        caller = self.caller(request)
        content = self.fake.content(request.path_params["content_id"])
        if content is None or not content.room.has_member(caller):
            raise ApiError(404, "Could not find the file.")
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
            raise ApiError(400, "Only one file per message is supported.")
        return body, uploads

    async def create_message(self, request: Request) -> Response:
        caller = self.caller(request)
        uploads: list[Content] = []
        if "multipart/form-data" in request.headers.get("content-type", ""):
            body, uploads = await self._multipart(request)
        else:
            body = await json_body(request)
        room_id = optional_str(body, "roomId")
        to_person_id = optional_str(body, "toPersonId")
        to_person_email = optional_str(body, "toPersonEmail")
        text = optional_str(body, "text")
        markdown = optional_str(body, "markdown")
        parent_ref = optional_str(body, "parentId")
        targets = [t for t in (room_id, to_person_id, to_person_email) if t]
        if len(targets) != 1:
            raise ApiError(400, "Exactly one of roomId, toPersonId or toPersonEmail is required.")
        for value in (text, markdown):
            if value is not None and len(value.encode("utf-8")) > MAX_MESSAGE_BYTES:
                raise ApiError(400, TOO_LONG)
        attachments = body.get("attachments") or []
        files = body.get("files") or []
        self.check_attachments(attachments)
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ApiError(400, "Invalid files: expected a list of URLs.")
        if not (text or markdown or attachments or files or uploads):
            raise ApiError(400, "A message needs text, markdown, a file or an attachment.")

        recipient: Person | None = None
        if room_id:
            room = self.find_room(caller, room_id)
        else:
            if to_person_id:
                recipient = self.find_person(to_person_id)
            else:
                assert to_person_email is not None  # noqa: S101 - an invariant of the fake
                recipient = self.fake.records.person_by_email(to_person_email)
                if recipient is None:
                    raise ApiError(404, "Person not found.")
            if recipient.uuid == caller.uuid:
                raise ApiError(400, "You cannot send a direct message to yourself.")
            direct = self.fake.records.direct_room(caller, recipient, create=True)
            assert direct is not None  # noqa: S101 - an invariant of the fake
            room = direct

        parent_id: str | None = None
        if parent_ref:
            parent = self.fake.records.find_message(parent_ref)
            if parent is None or parent.deleted or parent.room is not room:
                raise ApiError(400, "Invalid parentId: no such message in this room.")
            if parent.parent_id:
                raise ApiError(400, "Invalid parentId: cannot reply to a reply.")
            parent_id = parent.id

        for upload in uploads:
            upload.room = room
            self.fake.records.store_content(upload)
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
        self.fake.records.store_message(message)
        if self.fake.echo_bot_posts and caller.is_bot and room.kind == "direct":
            self.fake.sockets.deliver(self.fake.frames.post(message))
        return JSONResponse(message.to_json())

    @staticmethod
    def check_attachments(attachments: Any) -> None:
        if not isinstance(attachments, list):
            raise ApiError(400, "Invalid attachments: expected a list.")
        if len(attachments) > 1:
            raise ApiError(400, "Only one attachment per message is supported.")
        for attachment in attachments:
            if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE_CARD:
                raise ApiError(400, f"Invalid attachment: contentType must be {ADAPTIVE_CARD}.")
            content = attachment.get("content")
            if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
                raise ApiError(400, "Invalid attachment: content must be an AdaptiveCard.")

    def markdown_mentions(self, markdown: str | None) -> list[str]:
        ids: list[str] = []
        for kind, value in _MENTION.findall(markdown or ""):
            person = (
                self.fake.records.person_by_email(value)
                if kind == "personEmail"
                else self.fake.records.find_person(value)
            )
            if person is not None and person.id not in ids:
                ids.append(person.id)
        return ids
