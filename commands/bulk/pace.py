"""How fast a bulk job starts rows: bounded concurrency that learns Webex's rate.

* **Before Webex throttles**, at most ``limit`` rows are in flight, starting at 2 and growing
  by one every three successes up to ``Timing.workers``.
* **Once it throttles** (any 429/423 the admin identity gets, any command's: the org's budget
  is shared, so a job slows down for everyone's sake), rows also start at a rate: the rate
  they were starting at, cut by :data:`DECREASE`, at most once per :data:`CUT_EVERY`. Each
  success adds :data:`INCREASE` rows a second (about 2 % a second), so the job settles just
  under Webex's limit: additive increase, multiplicative decrease. The throttled call
  itself waits its ``Retry-After`` in the HTTP layer; new rows are not held for it (the cut
  is the courtesy; holding them cost an eighth of the throughput in ``bench.bulk``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

DECREASE = 0.85  # the rate kept after a throttle
INCREASE = 0.02  # rows/s added per success once throttled (≈ 2 % of the rate each second)
CUT_EVERY = 1.0  # seconds: one 429 burst is one cut
MEASURE = 2.0  # seconds of row starts the first cut is measured on
MIN_RATE = 0.2  # rows per second, whatever Webex says


@dataclass
class Timing:
    """The job's clock and limits (tests swap ``sleep`` and ``clock``)."""

    workers: int = 8
    progress_every: float = 5.0  # seconds between progress edits (the promise is 10)
    stale_after: float = 30.0  # an owner silent this long is taken to be dead
    row_attempts: int = 3  # tries of a row while Webex throttles or fails before creating
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass
class Pace:
    """When the next row may start (see the module docstring)."""

    timing: Timing
    limit: int = 2
    active: int = 0
    throttles: int = 0
    rate: float | None = None  # rows started per second, once Webex has throttled
    _ok: int = 0
    _next: float = 0.0
    _cut_at: float = float("-inf")
    _starts: deque[float] = field(default_factory=deque)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def throttled(self, _wait: float) -> None:
        self.throttles += 1
        now = self.timing.clock()
        if now - self._cut_at < CUT_EVERY:
            return
        self._cut_at = now
        if self.rate is None:
            while self._starts and self._starts[0] < now - MEASURE:
                self._starts.popleft()
            span = max(0.25, now - self._starts[0]) if self._starts else MEASURE
            self.rate = len(self._starts) / span
            self.limit = self.timing.workers
        self.rate = max(MIN_RATE, self.rate * DECREASE)

    def succeeded(self) -> None:
        self._ok += 1
        if self.rate is not None:
            self.rate += INCREASE
        elif self._ok % 3 == 0 and self.limit < self.timing.workers:
            self.limit += 1

    async def acquire(self, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            now = self.timing.clock()
            wait = (self._next - now) if self.rate else 0.0
            if wait > 0:
                await self.timing.sleep(min(wait, 1.0))
                continue
            if self.active < self.limit:
                self.active += 1
                if self.rate:
                    self._next = max(self._next, now) + 1.0 / self.rate
                else:
                    self._starts.append(now)
                return True
            self._changed.clear()
            await self._changed.wait()
        return False

    def release(self) -> None:
        self.active -= 1
        self._changed.set()
