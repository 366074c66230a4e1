"""The bulk job's pace: concurrency grows until Webex throttles; then rows start at the
rate they were starting at, less 15 %, one cut per burst of 429s, growing back with
successes (commands.bulk.pace)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from commands.bulk.pace import DECREASE, INCREASE, Pace, Timing


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_concurrency_grows_until_webex_throttles() -> None:
    clock = Clock()
    pace = Pace(Timing(workers=4, clock=clock, sleep=clock.sleep))
    assert pace.limit == 2
    for _ in range(9):
        pace.succeeded()
    assert pace.limit == 4  # one more every three successes, up to the workers
    assert pace.rate is None


async def test_a_throttle_sets_a_rate_below_the_one_measured_and_spaces_rows() -> None:
    clock = Clock()
    pace = Pace(Timing(workers=8, clock=clock, sleep=clock.sleep))
    stop = asyncio.Event()
    for _ in range(2):  # 10 rows started over 2 s: 5 rows/s
        for _ in range(5):
            pace.limit = 8
            assert await pace.acquire(stop)
            pace.release()
            clock.now += 0.2
    pace.throttled(1.0)
    assert pace.rate == pytest.approx(10 / 2.0 * DECREASE, rel=0.1)
    first = pace.rate
    pace.throttled(1.0)  # the same burst: no second cut
    assert pace.rate == first
    assert pace.throttles == 2
    starts = []
    for _ in range(4):
        assert await pace.acquire(stop)
        starts.append(clock.now)
        pace.release()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g == pytest.approx(1 / first) for g in gaps)
    pace.succeeded()
    assert pace.rate == pytest.approx(first + INCREASE)
    clock.now += 1.5
    pace.throttled(1.0)  # a later burst cuts again
    assert pace.rate == pytest.approx((first + INCREASE) * DECREASE)


async def test_stop_ends_the_wait() -> None:
    clock = Clock()
    pace = Pace(Timing(workers=1, clock=clock, sleep=clock.sleep), limit=1)
    stop = asyncio.Event()
    assert await pace.acquire(stop)
    stop.set()
    assert not await pace.acquire(stop)
