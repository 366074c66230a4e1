"""How fast a bulk job calls Webex: it paces requests, not rows, and learns Webex's limit.

Webex limits the calling API per org over a sliding second, and answers 429 with
``Retry-After`` past it. A row is several requests (a password, the create, its details),
so the pace hands out requests (:meth:`Pace.ticket`, awaited before each one):

* **Before Webex throttles** the job doesn't know the limit: at most ``limit`` rows are in
  flight, starting at 2 and growing by one every three created rows up to
  ``Timing.workers``; each request goes at once and is noted. A 429 that comes before the
  job has sent :data:`MEASURE_MIN` requests in a second is others' load, not a measure:
  it halves the rows in flight.
* **A 429 measures the limit.** On the job's first 429 the pace counts the calling-API
  requests Webex took in the second before that request (the job's own, less those it
  refused, and every other command's of this process); from then on the job's requests are
  spaced ``1 / rate`` apart, ``rate`` being :data:`SHARE` of that count, and never more than
  ``rate`` of them in the last second (so a burst before the 429 drains first). One cut per
  burst (:data:`CUT_EVERY`).
* **Probing.** Without a 429 the rate grows, slowly (:data:`PROBE`, faster until the first
  measure is confirmed), so the job settles just under Webex's limit and finds a raised
  one; a 429 above the last measure measures again (the rate refused, or what Webex took if
  others took part of it).
* **Others first.** The org's budget is shared, and other people's single commands must
  keep working during a job: while another command of this process calls the calling API
  (until :data:`OTHERS_QUIET` seconds after its last request) the job keeps :data:`RESERVE`
  of the measured limit free for them and doesn't probe, and their requests count in its
  last second (a burst of theirs beyond the reserve holds the job's next requests). A 429
  within the measured budget (someone else's load: another command, another replica) cuts
  the job's rate by :data:`DECREASE`; it grows back at :data:`RECOVER`.
* **Never blind.** A throttled request waits its ``Retry-After`` in the HTTP layer and goes
  again (Webex did nothing with it; its slot then is kept for it); a create is never
  repeated after an unclear answer (commands.bulk.row).

The job's share of the org's budget: alone, :data:`SHARE` of the measured limit (at N = 20
about 95 % of N end to end, ``python -m bench.bulk``); while anyone else's commands call
the calling API, at most 1 − :data:`RESERVE` of it. The first request of a command after a
quiet spell may still meet a full second and wait one ``Retry-After`` (the job can't know
it is coming); the next ones find room.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field

SHARE = 0.97  # of the requests Webex took in the second before a 429: the job's rate
DECREASE = 0.8  # the rate kept after a 429 within the measured budget
CUT_EVERY = 1.0  # seconds: one burst of 429s is one cut
RECOVER = 0.10  # the rate grows 10 % a second (1 request/s at least) below the ceiling …
PROBE = 0.003  # … and 0.3 % a second above it
FIRST_PROBE = 0.02  # (2 % a second, FIRST_STEP at least, until a probe is refused: the
FIRST_STEP = 0.5  # first measure is rough, taken while the job was starting)
RETRY_AFTER = 1.0  # seconds: the least Retry-After Webex sends (whole seconds)
MIN_RATE = 0.5  # requests per second, whatever Webex says
MEASURE_MIN = 5  # requests taken in the second before a first 429 for it to measure the limit
WINDOW = 1.0  # seconds: Webex's sliding window
SLACK = 0.05  # seconds: the job's own window is this much longer (a retry goes a bit late)
RESERVE = 0.25  # of the ceiling left free while others' commands call Webex …
OTHERS_QUIET = 10.0  # … until this many seconds after the last of their requests
LIMITED = "/telephony/"  # the calling API: the paths Webex's limit counts


@dataclass
class Timing:
    """The job's clock and limits (tests swap ``sleep`` and ``clock``)."""

    workers: int = 16  # rows in flight at most
    progress_every: float = 5.0  # seconds between progress edits (the promise is 10)
    stale_after: float = 30.0  # an owner silent this long is taken to be dead
    row_attempts: int = 3  # tries of a row while Webex throttles or fails before creating
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


#: The pace of the job whose row is running in this task (unset: someone else's request).
CURRENT: ContextVar[Pace | None] = ContextVar("bulk_pace", default=None)


@dataclass
class Pace:
    """When the job's next row may start and its next request may go (module docstring)."""

    timing: Timing
    limit: int = 2  # rows in flight
    active: int = 0
    throttles: int = 0  # 429s heard (the job's and others')
    rate: float | None = None  # requests a second, once Webex has throttled
    ceiling: float = 0.0  # SHARE of the limit last measured
    measures: int = 0  # 429s met while probing above the ceiling
    _ok: int = 0
    _next: float = 0.0
    _grown_at: float = 0.0
    _cut_at: float = float("-inf")
    _others_at: float = float("-inf")  # the last request another command made
    _sent: deque[float] = field(default_factory=deque)  # the job's requests
    _refused: deque[float] = field(default_factory=deque)  # … of those, answered 429
    _others: deque[float] = field(default_factory=deque)  # other commands' requests taken
    _returning: deque[float] = field(default_factory=deque)  # when refused requests go again
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _turn: asyncio.Lock = field(default_factory=asyncio.Lock)

    # -- rows -----------------------------------------------------------------------------

    async def acquire(self, stop: asyncio.Event) -> bool:
        """A row may start (False: Stop was pressed while it waited)."""
        while not stop.is_set():
            if self.active < self.limit:
                self.active += 1
                return True
            self._changed.clear()
            waiting = asyncio.ensure_future(self._changed.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait((waiting, stopping), return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            stopping.cancel()
        return False

    def release(self) -> None:
        self.active -= 1
        self._changed.set()

    def succeeded(self) -> None:
        """A row was created: before any 429, one more row in flight every three."""
        self._ok += 1
        if self.rate is None and self._ok % 3 == 0 and self.limit < self.timing.workers:
            self.limit += 1
            self._changed.set()

    # -- requests -------------------------------------------------------------------------

    def mine(self) -> None:
        """Requests made from here on in this task are the job's (set in each row's task)."""
        CURRENT.set(self)

    async def ticket(self) -> None:
        """Wait for the job's next request slot (at once until Webex has throttled)."""
        async with self._turn:  # first come, first served
            held = False  # by the window, not the spacing: no catching up on the grid after
            while True:
                now = self.timing.clock()
                self._grow(now)
                if self.rate is None:
                    break
                while self._returning and self._returning[0] <= max(now, self._next):
                    # A refused request goes again about now (the HTTP layer, after its
                    # Retry-After): its slot is kept for it.
                    self._sent.append(self._returning.popleft())
                    self._next = max(self._next, now) + 1.0 / self.rate
                wait = self._next - now
                if wait <= 0:
                    # Webex counts the last second: no more than the rate in it (or the
                    # measure, others' requests included), so after a burst the slots free
                    # up as its requests grow a second old.
                    if self.taken(now, WINDOW + SLACK) < max(self.rate, self.ceiling):
                        break
                    wait = self._oldest(now) + WINDOW + SLACK - now + 1e-3
                    held = True
                await self.timing.sleep(wait)
            if self.rate is not None:
                interval = 1.0 / self.rate
                # On the grid while the job keeps up (a late wake-up isn't a lost slot).
                base = self._next if now - self._next < interval and not held else now
                self._next = base + interval
            self._sent.append(now)
            self._trim(now)

    def observe(self, _method: str, path: str, status: int, seconds: float) -> None:
        """Told of every Webex call this process makes (bot.webex.http.CALL_OBSERVERS)."""
        if LIMITED not in path:
            return
        now = self.timing.clock()
        sent = now - seconds
        if CURRENT.get() is self:
            if status == 429:
                self._refused.append(sent)
                self._returning.append(now + RETRY_AFTER)
                self._cut(sent)
            return
        if status in (0, 429):
            return  # refused or unanswered: it took nothing (a 429 reaches throttled())
        self._others.append(sent)
        self._others_at = now
        if self.rate is not None:
            self._grow(now)  # stepping back to leave them room
        self._trim(now)

    def throttled(self, _wait: float) -> None:
        """Any 429/423 the admin identity got (bot.webex.http's throttle_listeners)."""
        self.throttles += 1
        self._cut(self.timing.clock())

    # -- the rate -------------------------------------------------------------------------

    def taken(self, at: float, span: float = WINDOW) -> int:
        """Requests Webex took in the ``span`` up to ``at``: the job's less those refused,
        and other commands'."""

        def count(times: deque[float]) -> int:
            return sum(1 for t in times if at - span < t <= at)

        return max(0, count(self._sent) - count(self._refused)) + count(self._others)

    def _oldest(self, now: float) -> float:
        """The oldest request Webex still counts at ``now``."""
        span = WINDOW + SLACK
        return min(
            (t for times in (self._sent, self._others) for t in times if t > now - span),
            default=now - span,
        )

    def _cut(self, at: float) -> None:
        now = self.timing.clock()
        if now - self._cut_at < CUT_EVERY:
            return
        taken = self.taken(at)
        if self.rate is None and taken < MEASURE_MIN:
            # Throttled before the job got going: others' load, no measure of the limit.
            # Fewer rows in flight (each refused request waits its Retry-After).
            self._cut_at = now
            self.limit = max(1, self.limit // 2)
            return
        if self.rate is None:
            # The first 429: Webex's limit is what it took in the second before (the count
            # may miss one at the window's edge: found by probing fast, see _grow).
            rate = SHARE * taken
            self.ceiling = rate
        elif self.rate > self.ceiling:
            # Probing above the last measure: the limit is the rate refused, or what Webex
            # took if others (another replica) took part of it.
            self.measures += 1
            rate = max(SHARE * min(self.rate, taken + 1), DECREASE * self.rate)
            self.ceiling = rate
        else:
            # Throttled within the measured budget: someone else needs it now.
            rate = self.rate * DECREASE
        self._cut_at = now
        self.rate = max(MIN_RATE, rate)
        self.limit = self.timing.workers
        self._grown_at = now
        self._next = max(self._next, now + 1.0 / self.rate)
        self._changed.set()

    def _grow(self, now: float) -> None:
        if self.rate is None:
            return
        elapsed, self._grown_at = max(0.0, now - self._grown_at), now
        others = now - self._others_at < OTHERS_QUIET
        cap = self.ceiling * (1.0 - RESERVE) if others else self.ceiling
        if self.rate < cap:
            self.rate = min(cap, self.rate + elapsed * max(RECOVER * self.rate, 1.0))
        elif others:  # room for their next requests, no probing meanwhile
            self.rate = cap
        elif self.measures:
            self.rate += elapsed * PROBE * self.rate
        else:  # a first measure taken while the job was only starting may be far too low
            self.rate += elapsed * max(FIRST_PROBE * self.rate, FIRST_STEP)

    def _trim(self, now: float) -> None:
        for times in (self._sent, self._refused, self._others, self._returning):
            while times and times[0] < now - 2 * WINDOW:
                times.popleft()
