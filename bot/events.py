"""What transports and commands exchange: who said what, where, and what we answer.

A transport (websocket, webhook, shell) turns whatever Webex delivered into an
:class:`Event`; the router hands it to a command with a :class:`Context`; the command
answers through ``ctx.reply`` / ``ctx.reply_private`` and the transport's :class:`Outbox`
delivers each :class:`Reply`. The actor is always who *Webex* says sent the message —
never a display name or anything typed in it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger(__name__)


class SpaceKind(StrEnum):
    DIRECT = "direct"
    GROUP = "group"


@dataclass(frozen=True)
class Actor:
    """The sender as Webex identifies them."""

    person_id: str
    email: str
    org_id: str | None = None
    display_name: str = ""
    is_bot: bool = False


@dataclass(frozen=True)
class Space:
    room_id: str
    kind: SpaceKind

    @property
    def is_direct(self) -> bool:
        return self.kind is SpaceKind.DIRECT


@dataclass(frozen=True)
class Event:
    """One message or card submission, already attributed by Webex."""

    id: str
    actor: Actor
    space: Space
    text: str = ""
    message_id: str | None = None
    parent_id: str | None = None
    card_inputs: dict[str, Any] | None = None
    card_message_id: str | None = None
    mentions_bot: bool = False
    # When Webex says it was sent (its `created`); None when the transport can't know.
    created: datetime | None = None
    # The message's attached files: URLs the transport can fetch (see FileSource).
    files: tuple[str, ...] = ()

    @property
    def is_card_action(self) -> bool:
        return self.card_inputs is not None

    @property
    def thread_id(self) -> str | None:
        """The message to reply under: the thread's root if any, else the message itself."""
        return self.parent_id or self.message_id


@dataclass(frozen=True)
class Reply:
    """Something to post. ``private`` replies go 1:1 to ``to_person_id``."""

    markdown: str
    room_id: str | None = None
    parent_id: str | None = None
    to_person_id: str | None = None
    to_person_email: str | None = None
    card: dict[str, Any] | None = None
    private: bool = False
    # A file to post with the message (one per message, as Webex allows).
    file: Upload | None = None
    # The id of one of the bot's messages to edit instead of posting a new one.
    replaces: str | None = None


@dataclass(frozen=True)
class Upload:
    """A file the bot posts (multipart, Webex's ``files`` part)."""

    name: str
    content: bytes
    content_type: str = "text/csv"


@dataclass(frozen=True)
class Download:
    """A file fetched from a message: what Webex says it is, and its bytes."""

    name: str
    content_type: str
    content: bytes


class FileTooBig(Exception):
    """The file is larger than the caller accepts (it was not read)."""

    def __init__(self, size: int | None) -> None:
        super().__init__("file too big")
        self.size = size


@runtime_checkable
class FileSource(Protocol):
    """A transport that can fetch a message's file (with the bot's own credentials)."""

    async def fetch_file(self, url: str, *, max_bytes: int) -> Download:
        """The file at ``url``; FileTooBig past ``max_bytes``; a BotError when it fails."""
        ...


class Outbox(Protocol):
    """Delivers replies for a transport; returns the posted message's id when known."""

    async def send(self, reply: Reply) -> str | None: ...

    async def delete(self, message_id: str) -> bool:
        """Remove one of the bot's own messages (a stale card); False when already gone."""
        ...


@dataclass
class AuditDraft:
    """What a command learns about an attempt; the router writes it to the audit trail."""

    action: str | None = None
    request: dict[str, Any] | None = None
    location_id: str | None = None
    location_name: str | None = None
    result: str | None = None
    trunk_id: str | None = None
    approver_id: str | None = None


@dataclass
class Context:
    """What a command gets besides the event: where to answer, and how."""

    event: Event
    outbox: Outbox
    sent: list[Reply] = field(default_factory=list)
    audit: AuditDraft = field(default_factory=AuditDraft)

    async def delete(self, message_id: str | None) -> None:
        """Remove a stale card of ours; a failure to delete never fails the command."""
        if not message_id:
            return
        try:
            await self.outbox.delete(message_id)
        except Exception:  # noqa: BLE001  -- cosmetic: the card is dead (its nonce is used)
            log.warning("card.delete_failed")

    async def reply(self, markdown: str, *, card: dict[str, Any] | None = None) -> str | None:
        """Answer in the space, in the thread of the request when it is a group space."""
        ev = self.event
        reply = Reply(
            markdown=markdown,
            room_id=ev.space.room_id,
            parent_id=ev.thread_id if not ev.space.is_direct else None,
            card=card,
        )
        self.sent.append(reply)
        return await self.outbox.send(reply)

    async def post(
        self, room_id: str, markdown: str, *, card: dict[str, Any] | None = None
    ) -> str | None:
        """Post to another space (e.g. the approvers'), not as a reply to this event."""
        reply = Reply(markdown=markdown, room_id=room_id, card=card)
        self.sent.append(reply)
        return await self.outbox.send(reply)

    async def reply_private(self, markdown: str) -> str | None:
        """Answer the actor in a 1:1 space (the only place a password may go)."""
        ev = self.event
        if ev.space.is_direct:
            reply = Reply(markdown=markdown, room_id=ev.space.room_id, private=True)
        else:
            reply = Reply(
                markdown=markdown,
                to_person_id=ev.actor.person_id,
                to_person_email=ev.actor.email or None,
                private=True,
            )
        self.sent.append(reply)
        return await self.outbox.send(reply)


#: Housekeeping a feature asks the intake to run every minute: (where to tell people,
#: how old unfinished work must be to count as abandoned) → anything.
Job = Callable[[Outbox, float], Awaitable[object]]


async def run_jobs(jobs: Sequence[Job], outbox: Outbox, stale_after: float) -> None:
    """One round of the features' jobs, in order: a job that fails is logged
    (``maintenance.failed``, with its name) and the ones after it still run, so one broken
    job never starves the others (approvals expiring, bulk take-over, gateway watches)."""
    for job in jobs:
        try:
            await job(outbox, stale_after)
        except Exception:
            name = getattr(job, "__qualname__", None) or type(job).__name__
            log.exception("maintenance.failed", extra={"job": name})


#: Unfinished work (a create key still pending) this old is taken to be a dead process's:
#: above the longest a create can take (Webex calls, 429 waits within the retry budget).
STALE_AFTER = 300.0
