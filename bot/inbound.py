"""Webex's messages and card actions as Events: who sent it (as Webex says), where, when.

Shared by every transport (websocket, webhook, recovery after a restart): the actor is the
message's personId and personEmail, their org from Webex's person record; the bot's mention
is stripped from a group message; ``created`` is Webex's own timestamp.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any

from bot.events import Actor, Event, Space, SpaceKind


@dataclass(frozen=True)
class BotIdentity:
    person_id: str
    display_name: str
    emails: tuple[str, ...]


_MENTION = re.compile(
    r'<spark-mention[^>]*data-object-id="(?P<id>[^"]+)"[^>]*>(?P<label>.*?)</spark-mention>',
    re.IGNORECASE | re.DOTALL,
)


def strip_bot_mention(text: str, html: str | None, bot: BotIdentity) -> str:
    """Remove the leading mention of the bot (webex-bot 1.3.1 never strips it)."""
    labels = [bot.display_name]
    if html:
        labels += [
            unescape(m.group("label"))
            for m in _MENTION.finditer(html)
            if m.group("id") == bot.person_id
        ]
    stripped = text.lstrip()
    for label in sorted({lbl for lbl in labels if lbl}, key=len, reverse=True):
        if stripped.lower().startswith(label.lower()):
            return stripped[len(label) :].lstrip(" ,:\u00a0")
    return stripped


PersonLookup = Callable[[str], Awaitable[Any]]


def field_of(obj: Any, name: str, default: Any = None) -> Any:
    """A field of webexpythonsdk's object, or of a plain mapping (a message fetched again)."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def parse_created(value: Any) -> datetime | None:
    """Webex's ``created`` (``2026-12-06T08:45:56.123Z``, or a datetime) as aware UTC; None
    when it is missing or garbled. A time without a zone is taken as UTC, as Webex means it."""
    when: datetime
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and 0 < len(value) <= 40:
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):  # a year 1 or 9999 time pushed past the calendar
        return None


def created_of(obj: Any) -> datetime | None:
    """When Webex says a message or card action was created; None when it doesn't say."""
    try:
        value = field_of(obj, "created")
    except (ValueError, TypeError, OverflowError):  # webexpythonsdk parses it on access
        return None
    return parse_created(value)


def files_of(message: Any) -> tuple[str, ...]:
    """The message's ``files`` (URLs), as Webex lists them; nothing else is kept."""
    files = field_of(message, "files") or []
    if not isinstance(files, list | tuple):
        return ()
    return tuple(f for f in files if isinstance(f, str) and f)


def is_bot_email(email: str) -> bool:
    return email.lower().endswith("@webex.bot")


async def message_event(message: Any, bot: BotIdentity, org_of: PersonLookup) -> Event | None:
    """A Webex message as an Event, or None when it is our own or another bot's.

    A group message without the mention still becomes an Event (``mentions_bot`` False):
    the router ignores it and records that it did.

    The actor is who Webex says sent it: the message's personId and personEmail; the org
    comes from Webex's person record (None when that lookup fails, which matches only
    grants open to every org).
    """
    person_id = field_of(message, "personId", "") or ""
    email = field_of(message, "personEmail", "") or ""
    if person_id == bot.person_id:
        return None  # our own posts come back on the websocket: never answer ourselves
    kind = SpaceKind.DIRECT if field_of(message, "roomType") == "direct" else SpaceKind.GROUP
    mentioned = bot.person_id in (field_of(message, "mentionedPeople") or [])
    text = field_of(message, "text", "") or ""
    if kind is SpaceKind.GROUP and mentioned:
        text = strip_bot_mention(text, field_of(message, "html"), bot)
    person = await org_of(person_id)
    actor = Actor(
        person_id=person_id,
        email=email,
        org_id=getattr(person, "org_id", None),
        display_name=getattr(person, "display_name", "") or "",
        # Another bot: the router records it and stays silent (no loops between bots).
        is_bot=is_bot_email(email)
        or (person is not None and getattr(person, "type", "person") == "bot"),
    )
    return Event(
        id=field_of(message, "id"),
        actor=actor,
        space=Space(room_id=field_of(message, "roomId"), kind=kind),
        text=text,
        message_id=field_of(message, "id"),
        parent_id=field_of(message, "parentId"),
        mentions_bot=mentioned,
        created=created_of(message),
        files=files_of(message),
    )
