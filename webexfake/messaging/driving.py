"""The test's side of the conversation: people post, share files and submit cards (the bot's
websocket gets the activities Webex would push), and what the bot posted is read or awaited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .mercury import Frames
from .model import (
    AttachmentAction,
    Content,
    Message,
    Person,
    Room,
    mention_html,
    paragraph_html,
    webex_time,
)
from .records import Records
from .sockets import Sockets
from .waits import Waits


class BotDriving:
    """:class:`~webexfake.messaging.server.FakeWebex`'s helpers for driving the bot."""

    records: Records
    frames: Frames
    sockets: Sockets
    waits: Waits
    bot: Person
    base_url: str

    # -- what people do ----------------------------------------------------------------------

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
        message, pushed = self._written(person, room, text, mention_bot, mention_text)
        parent: Message | None = None
        if parent_id is not None:
            parent = self.records.find_message(parent_id)
            if parent is None or parent.room is not room:
                raise ValueError(f"no message {parent_id!r} in {room.title!r}")
            if parent.parent_id:
                parent = self.records.find_message(parent.parent_id)
                assert parent is not None  # noqa: S101 - an invariant of the fake
        message.markdown = markdown
        message.parent_id = parent.id if parent else None
        if created is not None:
            message.created = webex_time(created)
        self.records.store_message(message)
        if pushed:
            await self.sockets.push(self.frames.post(message))
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
        message, pushed = self._written(person, room, text, mention_bot, None)
        content = Content(room=room, name=name, content_type=content_type, data=data)
        message.files = [f"{self.base_url}/v1/contents/{content.uuid}"]
        self.records.store_content(content)
        self.records.store_message(message)
        if pushed:
            share = self.frames.share(message, name)
            update = self.frames.file_scanned(message, name, malware_state)
            await self.sockets.push(share)
            await self.sockets.push(update)
        return message

    def _written(
        self,
        person: Person,
        room: Room,
        text: str,
        mention_bot: bool | None,
        mention_text: str | None,
    ) -> tuple[Message, bool]:
        """``text`` as Webex stores it from ``person`` in ``room`` (mentioning the bot as
        ``mention_text``, default its name, where asked or by default in a group space), and
        whether the bot's websocket is told of it."""
        if not room.has_member(person):
            raise ValueError(f"{person.email} is not a member of {room.title!r}")
        mention = room.kind == "group" if mention_bot is None else mention_bot
        if mention:
            label = mention_text if mention_text is not None else self.bot.display_name
            stored_text = f"{label} {text}" if text else label
            html, mentioned = mention_html(self.bot, label, text), [self.bot.id]
        else:
            stored_text, html, mentioned = text, paragraph_html(text), []
        message = Message(
            room=room, author=person, text=stored_text, html=html, mentioned_people=mentioned
        )
        return message, room.has_member(self.bot) and (room.kind == "direct" or mention)

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
        message = self.records.find_message(card_message_id)
        if message is None or message.room is not room or message.deleted:
            raise ValueError(f"no message {card_message_id!r} in {room.title!r}")
        action = AttachmentAction(message=message, person=person, inputs=dict(inputs))
        if created is not None:
            action.created = webex_time(created)
        self.records.store_action(action)
        if room.has_member(self.bot):
            await self.sockets.push(self.frames.card_action(action))
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
            target = self.records.direct_room(to_person, self.bot)
            if target is None:
                return []
        with self.records.lock:
            return [
                m
                for m in self.records.messages.values()
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

        await self.waits.until(enough, timeout, lambda: f"{n} bot message(s), got {found!r}")
        return found

    def messages_in(self, room: Room, *, include_deleted: bool = False) -> list[Message]:
        with self.records.lock:
            return [
                m
                for m in self.records.messages.values()
                if m.room is room and (include_deleted or not m.deleted)
            ]

    def message(self, message_id: str) -> Message:
        """A stored message by REST id or activity uuid (KeyError when unknown)."""
        message = self.records.find_message(message_id)
        if message is None:
            raise KeyError(message_id)
        return message

    def content(self, url_or_uuid: str) -> Content | None:
        """A posted file by its URL or uuid."""
        return self.records.content(url_or_uuid)

    def files_from_bot(self, *, to_person: Person | None = None) -> list[Content]:
        """The files the bot posted (in its 1:1 with ``to_person``), oldest first."""
        return [
            c
            for m in self.messages_from_bot(to_person=to_person)
            for url in m.files
            if (c := self.content(url)) is not None
        ]
