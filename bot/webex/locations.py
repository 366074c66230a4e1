"""Finding a calling location from what a person typed, and the short-lived cache of each
org's locations that a burst of creates shares.

A person types an ID, a name in any case and spacing, or part of a name; :func:`match_location`
decides which, or says in one sentence why it can't (none, or several). :func:`name_key` is the
comparison every name look-up in :mod:`bot.webex` uses (trunks, route groups).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from bot import replies
from bot.errors import Ambiguity, UsageError
from bot.webex.models import Location

log = logging.getLogger(__name__)

#: How long an org's list of locations serves a look-up as it is (seconds).
LOCATIONS_TTL = 60.0
#: After that, up to this age, it still serves one while a read replaces it (seconds).
LOCATIONS_STALE = 600.0


class LocationNotFound(UsageError):
    """No calling-enabled location matches what the person typed."""


class AmbiguousLocation(Ambiguity):
    """Several calling-enabled locations match; ``candidates`` lists them."""

    def __init__(self, user_message: str, candidates: list[Location]) -> None:
        super().__init__(user_message, "location", [(c.name, c.id) for c in candidates])
        self.candidates = candidates


def name_key(text: str) -> str:
    """A name as compared: white space folded, any case."""
    return " ".join(text.split()).casefold()


def match_location(
    query: str,
    locations: list[Location],
    visible: Callable[[Location], bool] | None,
) -> Location:
    """The location whose ID is ``query``, else whose name is it, else the only one whose
    name contains it. With ``visible``, partial matches and the names a hint lists are only
    those it admits; an exact match is returned either way, for the gate to refuse."""
    wanted = name_key(query)
    for location in locations:
        if location.id == query.strip():
            return location
    exact = [loc for loc in locations if name_key(loc.name) == wanted]
    if visible is not None:
        locations = [loc for loc in locations if visible(loc)]
        if len(exact) > 1:
            exact = [loc for loc in exact if visible(loc)] or exact[:1]
    for matches in (
        exact,
        [loc for loc in locations if wanted and wanted in name_key(loc.name)],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = [loc.name for loc in matches]
            raise AmbiguousLocation(replies.location_ambiguous(query, names), matches)
    names = sorted((loc.name for loc in locations), key=str.casefold)
    raise LocationNotFound(replies.location_not_found(query, names))


class LocationCache:
    """Each org's last answer and when it came (by ``timer``), and the read of it under way.

    Reads are shared: a burst on a cold cache waits for one read (all its waiters wake
    together), and an answer past ``LOCATIONS_TTL`` but within ``LOCATIONS_STALE`` still
    serves while one read replaces it in the background — a location that isn't in it is
    read again at once by the caller (:meth:`CallingClient.find_location`)."""

    def __init__(self, timer: Callable[[], float]) -> None:
        self._timer = timer
        self._answers: dict[str, tuple[float, list[Location]]] = {}  # org → (when, answer)
        self._reads: dict[str, asyncio.Task[list[Location]]] = {}

    def fresh(self, org: str) -> list[Location] | None:
        """The org's answer if it is younger than ``LOCATIONS_TTL``."""
        return self._younger_than(org, LOCATIONS_TTL)

    def usable(self, org: str) -> list[Location] | None:
        """The org's answer if it is younger than ``LOCATIONS_STALE``."""
        return self._younger_than(org, LOCATIONS_STALE)

    def _younger_than(self, org: str, seconds: float) -> list[Location] | None:
        hit = self._answers.get(org)
        if hit is not None and self._timer() - hit[0] < seconds:
            return hit[1]
        return None

    def keep(self, org: str, locations: list[Location]) -> None:
        self._answers[org] = (self._timer(), locations)

    def shared_read(
        self, org: str, read: Callable[[], Coroutine[Any, Any, list[Location]]]
    ) -> asyncio.Task[list[Location]]:
        """The org's read under way, or a new one of ``read()``; a read nobody awaits (a
        background refresh) that fails is logged and leaves the last answer in place."""
        task = self._reads.get(org)
        if task is None:
            task = self._reads[org] = asyncio.get_running_loop().create_task(read())
            task.add_done_callback(lambda done: self._read_over(org, done))
        return task

    async def cancel_reads(self) -> None:
        reads = list(self._reads.values())
        for task in reads:
            task.cancel()
        await asyncio.gather(*reads, return_exceptions=True)

    def _read_over(self, org: str, task: asyncio.Task[list[Location]]) -> None:
        if self._reads.get(org) is task:
            del self._reads[org]
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.warning("locations.read_failed", extra={"error": type(exc).__name__})
