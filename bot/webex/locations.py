"""Finding a calling location from what a person typed, and the short-lived cache of each
org's locations that a burst of creates shares.

A person types an ID, a name in any case and spacing, or part of a name; :func:`match_location`
decides which, or says in one sentence why it can't (none, or several). :func:`name_key` is the
comparison every name look-up in :mod:`bot.webex` uses (trunks, route groups).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot import replies
from bot.errors import Ambiguity, UsageError
from bot.webex.models import Location

#: How long an org's list of locations serves a look-up (seconds).
LOCATIONS_TTL = 60.0


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
    """Each org's last answer and when it came (by ``timer``), and one lock per org so that a
    burst on a cold (or expired) cache waits for one read instead of each making its own."""

    def __init__(self, timer: Callable[[], float]) -> None:
        self._timer = timer
        self._answers: dict[str, tuple[float, list[Location]]] = {}  # org → (when, answer)
        self._locks: dict[str, asyncio.Lock] = {}

    def fresh(self, org: str) -> list[Location] | None:
        """The org's answer if it is younger than ``LOCATIONS_TTL``."""
        hit = self._answers.get(org)
        if hit is not None and self._timer() - hit[0] < LOCATIONS_TTL:
            return hit[1]
        return None

    def keep(self, org: str, locations: list[Location]) -> None:
        self._answers[org] = (self._timer(), locations)

    def lock(self, org: str) -> asyncio.Lock:
        return self._locks.setdefault(org, asyncio.Lock())
