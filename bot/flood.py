"""Per-person flood control: a rate limit, an in-flight cap, and quiet refusals.

One person's burst must not cost anyone else: past ``per_minute`` events in a minute, or with
``in_flight`` of theirs still running, an event is set aside before any Webex call. The
person is told once per minute (then the rest are dropped with a debug line), and a person
no grant names hears "you're not allowed" at most once a minute too. Memory is bounded: at
most ``max_people`` people are tracked, the least recently seen forgotten first.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from bot.rest_ids import parse_rest_id

WINDOW = 60.0
MAX_PEOPLE = 10_000


def person_key(person_id: str) -> str:
    """One key per person whether Webex named them by REST id (``ciscospark://…/PEOPLE/uuid``
    in base64) or, on the websocket, by the bare uuid."""
    parsed = parse_rest_id(person_id)
    return parsed[1] if parsed is not None and parsed[0] == "PEOPLE" else person_id


class Verdict(Enum):
    GO = "go"
    TELL_RATE = "tell-rate"  # over the rate: say so (once a window)
    TELL_BUSY = "tell-busy"  # too many in flight: say so (once a window)
    DROP = "drop"  # over a limit, already told


@dataclass
class _Person:
    times: deque[float] = field(default_factory=deque)
    arrivals: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    told_at: float = -1e18
    refused_at: float = -1e18


class FloodGuard:
    def __init__(
        self,
        per_minute: int = 10,
        in_flight: int = 3,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_people: int = MAX_PEOPLE,
    ) -> None:
        self.per_minute = per_minute
        self.in_flight = in_flight
        self.clock = clock
        self.max_people = max_people
        self._people: OrderedDict[str, _Person] = OrderedDict()
        self.dropped = 0

    def _person(self, person_id: str) -> _Person:
        person = self._people.get(person_id)
        if person is None:
            person = self._people[person_id] = _Person()
            while len(self._people) > self.max_people:
                oldest, state = next(iter(self._people.items()))
                if state.in_flight:  # never forget someone mid-command (their leave() counts)
                    self._people.move_to_end(oldest)
                    break
                del self._people[oldest]
        else:
            self._people.move_to_end(person_id)
        return person

    def enter(self, person_id: str) -> Verdict:
        """Count one event of ``person_id``; GO means handle it (then call :meth:`leave`)."""
        now = self.clock()
        person = self._person(person_id)
        while person.times and person.times[0] <= now - WINDOW:
            person.times.popleft()
        if len(person.times) >= self.per_minute or person.in_flight >= self.in_flight:
            verdict = (
                Verdict.TELL_RATE if len(person.times) >= self.per_minute else Verdict.TELL_BUSY
            )
            if now - person.told_at < WINDOW:
                self.dropped += 1
                return Verdict.DROP
            person.told_at = now
            return verdict
        person.times.append(now)
        person.in_flight += 1
        return Verdict.GO

    def screen(self, person_id: str) -> bool:
        """At the socket, before anything is fetched: True to drop this arrival unread.

        Arrivals are counted apart from :meth:`enter` (a burst arrives before the first is
        handled): ``per_minute`` + 1 a minute get through — the last of them to be told
        "slow down" by the router — and the rest are dropped where they cost least.
        """
        now = self.clock()
        person = self._person(person_id)
        while person.arrivals and person.arrivals[0] <= now - WINDOW:
            person.arrivals.popleft()
        if len(person.arrivals) > self.per_minute:
            self.dropped += 1
            return True
        person.arrivals.append(now)
        return False

    def leave(self, person_id: str) -> None:
        person = self._people.get(person_id)
        if person is not None and person.in_flight:
            person.in_flight -= 1

    def retry_after(self, person_id: str) -> float:
        """Seconds until ``person_id`` may send again (for the polite answer)."""
        person = self._people.get(person_id)
        if person is None or not person.times:
            return 0.0
        return max(0.0, person.times[0] + WINDOW - self.clock())

    def may_answer_refusal(self, person_id: str) -> bool:
        """Answer a person no grant names at most once a minute (each is still audited)."""
        now = self.clock()
        person = self._person(person_id)
        if now - person.refused_at < WINDOW:
            return False
        person.refused_at = now
        return True
