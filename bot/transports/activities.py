"""Websocket activities → the REST objects they name, fetched on the loop.

A ``conversation.activity`` frame names a message (verbs ``post``, and ``update`` once a
shared file is scanned) or a card action (``cardAction``) by a bare uuid. The REST id is
``ciscospark://<region>/MESSAGE/<uuid>`` (``ATTACHMENT_ACTION`` for a card action) in
url-safe base64; webex-bot 1.3.1 asks the conversation service for it on every activity
(a blocking GET on a worker thread) "to geo-locate the correct DC". Here it is computed with
the region the conversation is known to be in (at first the bot's own region, from its
person id), and the object is fetched with our async client on the loop. Only when Webex
has nothing under the computed id is the conversation service asked (``look_up``), and the
region it answers with is remembered for that conversation.

The bot's own posts coming back, and people the router is ignoring for flooding
(``screen``), are acked by computed id without any request. Everything else is fetched,
recorded (``accept``, before the ack, so a crash after the ack can't lose it), acked, and
handed over (``deliver``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import LRUCache

from bot.rest_ids import REGION, make_rest_id, region_of

__all__ = ["Activities", "activity_of"]

log = logging.getLogger(__name__)

#: kind ("message" | "card") of each activity verb that names something to fetch.
KINDS = {"post": "message", "update": "message", "cardAction": "card"}
REST_TYPES = {"message": "MESSAGE", "card": "ATTACHMENT_ACTION"}
REGIONS_MAX = 10_000  # conversations whose region is not the bot's, remembered

Fetch = Callable[[str, str], Awaitable[dict[str, Any] | None]]  # (kind, REST id) → object|None
Accept = Callable[[str, str], Awaitable[bool]]  # (REST id, kind) → fresh
Deliver = Callable[[str, dict[str, Any]], None]  # (kind, object)
Ack = Callable[[str], Awaitable[None]]  # REST id
LookUp = Callable[[dict[str, Any]], Awaitable[str | None]]  # activity → REST id | None


def activity_of(frame: Any) -> dict[str, Any] | None:
    """The ``activity`` of a ``conversation.activity`` frame, else None."""
    data = frame.get("data") if isinstance(frame, dict) else None
    if not isinstance(data, dict) or data.get("eventType") != "conversation.activity":
        return None
    activity = data.get("activity")
    return activity if isinstance(activity, dict) else None


def _id_of(part: Any) -> str:
    value = part.get("id") if isinstance(part, dict) else None
    return value if isinstance(value, str) else ""


def _share_key(activity: dict[str, Any]) -> tuple[str, str]:
    """(conversation, person) of a ``share`` or ``update`` activity."""
    return _id_of(activity.get("target")), _id_of(activity.get("actor"))


def _scanned_documents(activity: dict[str, Any]) -> bool:
    """An ``update`` worth handling: shared documents, every file scanned safe (as webex-bot
    checks before fetching; any other update is ignored)."""
    obj = activity.get("object")
    if not isinstance(obj, dict) or obj.get("objectType") != "content":
        return False
    if obj.get("contentCategory") != "documents":
        return False
    files = obj.get("files")
    items = files.get("items") if isinstance(files, dict) else None
    if not isinstance(items, list):
        return False
    return all(isinstance(i, dict) and i.get("malwareQuarantineState") == "safe" for i in items)


class Activities:
    """Turns each frame into at most one fetch, one record, one ack and one delivery."""

    def __init__(
        self,
        *,
        bot_id: str,
        fetch: Fetch,
        accept: Accept,
        deliver: Deliver,
        ack: Ack,
        look_up: LookUp,
        screen: Callable[[str], bool] | None = None,
    ) -> None:
        self.region = region_of(bot_id) or REGION
        self._fetch = fetch
        self._accept = accept
        self._deliver = deliver
        self._ack = ack
        self._look_up = look_up
        self._screen = screen
        self._regions: LRUCache[str, str] = LRUCache(maxsize=REGIONS_MAX)
        # A file arrives as ``share`` then ``update`` (once scanned); webex-bot keeps the
        # share's id in one attribute for whichever update comes next, across threads.
        self._shares: LRUCache[tuple[str, str], str] = LRUCache(maxsize=REGIONS_MAX)
        self.lookups = 0

    async def handle(self, frame: Any) -> None:
        """One frame, start to end (run as its own task; errors are logged here)."""
        activity = activity_of(frame)
        if activity is None:
            return
        verb = activity.get("verb")
        if verb == "share":
            self._shares[_share_key(activity)] = _id_of(activity)
            return
        kind = KINDS.get(verb) if isinstance(verb, str) else None
        if kind is None or (verb == "update" and not _scanned_documents(activity)):
            return
        if verb == "update":  # the file's message is the share's: named as its post
            activity = {
                **activity,
                "id": self._shares.pop(_share_key(activity), ""),
                "verb": "post",
            }
        uuid = _id_of(activity)
        if not uuid:
            return
        try:
            rest_id = self.rest_id(activity, kind, uuid)
            actor = _id_of(activity.get("actor"))
            if actor and self._screen is not None and self._screen(actor):
                log.debug("websocket.screened", extra={"message_id": rest_id})
                await self._ack(rest_id)
                return
            obj = await self._fetch_named(activity, kind, rest_id)
            if obj is None:
                log.warning("websocket.not_found", extra={"kind": kind})
                return
            rest_id = str(obj.get("id") or rest_id)
            fresh = await self._accept(rest_id, kind)  # recorded before Webex hears we have it
            await self._ack(rest_id)
            if fresh:
                self._deliver(kind, obj)
            else:
                log.info("event.duplicate", extra={"event_id": rest_id})
        except Exception:
            log.exception("websocket.fetch_failed")

    def rest_id(self, activity: dict[str, Any], kind: str, uuid: str) -> str:
        """The REST id of what the activity names, in its conversation's region."""
        region = self._regions.get(_id_of(activity.get("target")), self.region)
        return make_rest_id(REST_TYPES[kind], uuid, region=region)

    async def _fetch_named(
        self, activity: dict[str, Any], kind: str, rest_id: str
    ) -> dict[str, Any] | None:
        """The object under the computed id; on a miss, under the id the conversation
        service gives (its region then kept for the conversation)."""
        obj = await self._fetch(kind, rest_id)
        if obj is not None:
            return obj
        self.lookups += 1
        found = await self._look_up(activity)
        if found is None or found == rest_id:
            return None
        region = region_of(found)
        conversation = _id_of(activity.get("target"))
        if region and conversation and region != self.region:
            self._regions[conversation] = region
        return await self._fetch(kind, found)
