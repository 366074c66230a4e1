"""The senders' person records (their org, their name), cached for the intake."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from cachetools import TTLCache

from bot.errors import WebexError
from bot.webex.messaging import MessagingClient, Person

log = logging.getLogger(__name__)

PERSON_TTL = 600.0
PEOPLE_MAX = 10_000


class PeopleCache:
    """Person records by id, for the org of a sender: each kept ``ttl`` seconds, at most
    ``maxsize`` of them (the least recently used go first). Failures are not cached."""

    def __init__(
        self,
        messaging: MessagingClient,
        *,
        ttl: float = PERSON_TTL,
        maxsize: int = PEOPLE_MAX,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.messaging = messaging
        self._cache: TTLCache[str, Person] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)

    def __len__(self) -> int:
        """How many records are kept, once the expired ones are dropped."""
        self._cache.expire()
        return len(self._cache)

    def __contains__(self, person_id: object) -> bool:
        return person_id in self._cache

    async def get(self, person_id: str) -> Person | None:
        person = self._cache.get(person_id)
        if person is not None:
            return person
        try:
            person = await self.messaging.get_person(person_id)
        except WebexError:
            log.warning("person.lookup_failed")
            return None
        self._cache[person_id] = person
        return person
