"""The bulk job's pace (commands.bulk.pace), on a fake clock: rows in flight grow until Webex
throttles; a 429 measures the limit and requests are then spaced just under it; probing
finds the limit again; other commands' requests come first; a refused request's slot is kept.
The last tests drive the pace against the fake's sliding-second limit for a minute of fake
time: it settles near N with few 429s, and leaves room for others' commands."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from commands.bulk.pace import (
    CURRENT,
    DECREASE,
    FIRST_PROBE,
    OTHERS_QUIET,
    RESERVE,
    SHARE,
    Pace,
    Timing,
)
from webexfake.faults_rate import RateLimit

CALLING = "/v1/telephony/config/premisePstn/trunks"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def paced(workers: int = 8) -> tuple[Pace, Clock]:
    clock = Clock()
    pace = Pace(Timing(workers=workers, clock=clock, sleep=clock.sleep))
    pace.mine()  # this test's task is the job
    return pace, clock


async def starts(pace: Pace, clock: Clock, count: int, every: float = 0.0) -> list[float]:
    """``count`` requests of the job, offered ``every`` seconds apart: when each went."""
    went = []
    for _ in range(count):
        await pace.ticket()
        went.append(clock.now)
        clock.now += every
    return went


async def test_rows_in_flight_grow_until_webex_throttles() -> None:
    pace, clock = paced(workers=4)
    assert pace.limit == 2
    for _ in range(9):
        pace.succeeded()
    assert pace.limit == 4  # one more every three rows created, up to the workers
    assert pace.rate is None
    assert await starts(pace, clock, 5) == [0.0] * 5  # no wait before Webex throttles


async def test_the_first_429_measures_the_limit_and_spaces_requests() -> None:
    pace, clock = paced()
    await starts(pace, clock, 32, every=0.0625)  # 16 requests a second, for 2 s
    pace.observe("POST", CALLING, 429, 0.0625)  # the last one was refused
    pace.throttled(1.0)  # (the HTTP layer tells the listeners too: the same burst)
    taken = 16 - 1
    assert pace.rate == pytest.approx(SHARE * taken)
    assert pace.ceiling == pace.rate
    assert pace.limit == 8  # rows in flight: all the workers, the rate holds them
    first = pace.rate
    pace.observe("GET", CALLING, 429, 0.0)  # more of the same burst: no second cut
    assert pace.rate == first
    assert pace.throttles == 1
    refused_at = clock.now
    clock.now += 1.0  # the two refused requests go again now (Retry-After): slots kept
    went = await starts(pace, clock, 6)
    # (the rate probes upward meanwhile: by less than 10 % in this second)
    assert 2 / (first * 1.1) < went[0] - refused_at - 1.0 <= 2 / first
    gaps = [b - a for a, b in itertools.pairwise(went)]
    assert all(1 / (first * 1.1) < g <= 1 / first for g in gaps)


async def test_a_429_before_the_job_got_going_is_no_measure() -> None:
    """Refused at its start (others used the budget): fewer rows in flight, no rate set —
    a measure of two requests would hold the whole job to two a second."""
    pace, clock = paced()
    pace.limit = 6
    await starts(pace, clock, 2)
    pace.observe("POST", CALLING, 429, 0.0)
    assert pace.rate is None
    assert pace.limit == 3
    clock.now += 2.0
    await starts(pace, clock, 25, every=0.04)  # later, going at 25 a second
    pace.observe("POST", CALLING, 429, 0.0)
    assert pace.rate is not None
    assert pace.rate > 20


async def test_probing_finds_the_limit_again_then_goes_slower() -> None:
    pace, clock = paced()
    await starts(pace, clock, 25, every=0.04)
    pace.observe("POST", CALLING, 429, 0.0)
    measured = pace.ceiling
    clock.now += 5.0
    await starts(pace, clock, 1)
    first_probe = pace.rate - measured
    assert first_probe >= 5.0 * FIRST_PROBE * measured  # 2 % a second at least
    clock.now += 1.0
    await starts(pace, clock, 40)  # a second of requests at the probing rate
    pace_before_429 = pace.rate
    pace.observe("POST", CALLING, 429, 0.0)  # refused above the measure: measured again
    assert pace.measures == 1
    assert measured < pace.ceiling <= SHARE * pace_before_429
    slow = pace.ceiling
    clock.now += 5.0
    await starts(pace, clock, 1)
    assert 0 < pace.rate - slow < first_probe / 4  # probing slowly now


async def test_a_429_within_the_budget_cuts_and_the_rate_recovers_to_the_measure() -> None:
    pace, clock = paced()
    await starts(pace, clock, 50, every=0.04)
    pace.observe("POST", CALLING, 429, 0.0)
    ceiling = pace.ceiling
    clock.now += 2.0
    pace.throttled(1.0)  # someone else's 429 (another command, another replica)
    assert pace.rate == pytest.approx(ceiling * DECREASE)
    clock.now += 30.0
    await starts(pace, clock, 1)
    assert pace.rate == pytest.approx(ceiling, rel=0.01)  # back to the measure, not past it


async def test_while_others_call_the_job_leaves_them_room() -> None:
    pace, clock = paced()
    await starts(pace, clock, 32, every=0.0625)
    pace.observe("POST", CALLING, 429, 0.0625)
    ceiling = pace.ceiling
    clock.now += 10.0
    await starts(pace, clock, 1)
    assert pace.rate is not None
    assert pace.rate > ceiling  # probing, alone
    CURRENT.set(None)  # another person's command, in another task
    pace.observe("GET", "/v1/messages", 200, 0.01)  # not the calling API: not counted
    assert pace.rate > ceiling
    pace.observe("GET", CALLING, 200, 0.01)
    assert pace.rate == pytest.approx(ceiling * (1 - RESERVE))  # at once
    pace.mine()
    clock.now += OTHERS_QUIET / 2
    await starts(pace, clock, 1)
    assert pace.rate == pytest.approx(ceiling * (1 - RESERVE))  # no probing meanwhile
    clock.now += OTHERS_QUIET
    await starts(pace, clock, 1)
    assert pace.rate >= ceiling  # they are quiet: back to the measure
    # A burst of theirs filling the last second holds the job's next request until the
    # oldest of them is a second old.
    CURRENT.set(None)
    burst_at = clock.now
    for _ in range(int(ceiling) + 1):
        pace.observe("GET", CALLING, 200, 0.0)
    pace.mine()
    [went] = await starts(pace, clock, 1)
    assert went >= burst_at + 1.0


async def test_stop_ends_the_wait_for_a_row() -> None:
    pace, _clock = paced(workers=1)
    pace.limit = 1
    stop = asyncio.Event()
    assert await pace.acquire(stop)
    waiting = asyncio.create_task(pace.acquire(stop))
    await asyncio.sleep(0)
    stop.set()
    assert not await waiting


class Webex(Clock):
    """The fake's sliding-second limit on a fake clock, and the HTTP layer: a refused request
    goes again after its ``Retry-After``, while the job waits for its next slot."""

    def __init__(self, per_second: int) -> None:
        super().__init__()
        self.limit = RateLimit(per_second=per_second, clock=self)
        self.pace: Pace | None = None
        self.retries: list[float] = []
        self.others = {"others": 0, "others_refused": 0}

    def send(self, mine: bool) -> None:
        assert self.pace is not None
        refused = self.limit.retry_after("/v1/telephony/x") is not None
        CURRENT.set(self.pace if mine else None)
        self.pace.observe("POST", CALLING, 429 if refused else 200, 0.0)
        if refused:
            self.pace.throttled(1.0)
            self.retries.append(self.now + 1.0)
        if not mine:
            self.others["others"] += 1
            self.others["others_refused"] += refused
        CURRENT.set(self.pace)

    def until(self, when: float) -> None:
        while (due := min(self.retries, default=when + 1)) <= when:
            self.retries.remove(due)
            self.now = max(self.now, due)
            self.send(mine=True)
        self.now = max(self.now, when)

    async def sleep(self, seconds: float) -> None:
        self.until(self.now + seconds)


async def drive(seconds: float, per_second: int, others_every: float | None = None) -> dict:
    """The job offering requests faster than Webex takes them (50 a second), for
    ``seconds`` of fake time; ``others_every``: another command's request that often."""
    webex = Webex(per_second)
    pace = webex.pace = Pace(Timing(clock=webex, sleep=webex.sleep))
    pace.mine()
    next_other = 0.0 if others_every else float("inf")
    while webex.now < seconds:
        while others_every and next_other <= webex.now:
            webex.send(mine=False)
            next_other += others_every
        await pace.ticket()
        webex.send(mine=True)
        webex.until(webex.now + 0.02)
    return {"admitted": webex.limit.admitted, "refused": webex.limit.refused, **webex.others}


async def test_against_a_sliding_second_limit_it_settles_near_n_without_a_storm() -> None:
    seen = await drive(60.0, per_second=20)
    assert seen["admitted"] >= 0.93 * 20 * 60
    assert seen["refused"] <= 20  # a burst when it first meets the limit, then a probe now and then


async def test_others_commands_keep_working_during_a_job() -> None:
    seen = await drive(60.0, per_second=20, others_every=0.5)  # 2 requests a second
    assert seen["others"] >= 119
    assert seen["others_refused"] <= 1  # their requests go through
    # The job keeps a quarter of the limit free for them, and uses the rest.
    assert seen["admitted"] >= 0.8 * 20 * 60
