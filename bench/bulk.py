"""Bulk create benchmark: `python -m bench.bulk [--rows 1000] [--per-second 20]
[--latency 0.1] [--only bulk]` (and part of `make bench`).

The in-process sandbox limits the calling API to N requests a second (429 + ``Retry-After``
past it, ``webexfake.faults_rate``) and answers each call after ``--latency`` seconds. The same
rows go through, each against a fresh sandbox, in the same run:

* **bulk**: a ``create trunks`` job as the bot runs it (commands.bulk.run: requests paced
  just under the limit its 429s show, commands.bulk.pace; a row's own create key; the
  result file);
* **naive**: a plain loop creating one row after another with the same Webex client (password,
  create, details), waiting out every ``Retry-After`` as a simple script would.

Printed for each: wall time, the calling-API requests Webex accepted per second as a fraction
of N (the goal for bulk: at least 90 %), the 429s it got, duplicates (trunks made twice: goal
0) and lost rows (rows without their trunk: goal 0).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import SecretStr

from bot.app import App, build_app
from bot.auth import Policy
from bot.errors import WebexRetryable
from bot.events import Reply
from bot.settings import Settings
from bot.store import open_store
from bot.store.bulk import JobState, NewRow
from bot.validation import TrunkRequest, to_create_body
from commands.bulk import run
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState, SandboxTransport, seeded_id
from webexfake.faults_rate import RateLimit

POLICY = (
    '[[grant]]\ndomains=["example.com"]\nactions=["trunk.create"]\nlocations=["*"]\norgs=["*"]\n'
    "confirm=false\n"
)
PERSON, EMAIL = "bench-person", "bench@example.com"


@dataclass
class Result:
    name: str
    rows: int
    wall: float
    accepted: int  # calling-API requests the limit let through
    throttled: int  # 429s
    duplicates: int
    lost: int

    def rate(self, per_second: int) -> float:
        return self.accepted / self.wall / per_second if self.wall else 0.0

    def line(self, per_second: int) -> str:
        return (
            f"  {self.name:<6} {self.wall:8.1f} s   {self.rate(per_second):6.1%} of N   "
            f"{self.throttled:5d} × 429   {self.duplicates} duplicates   {self.lost} lost"
        )


class Sink:
    """Where the job's messages go (they are not judged here)."""

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, reply: Reply) -> str | None:
        self.sent.append(reply)
        return f"msg-{len(self.sent)}"

    async def delete(self, message_id: str) -> bool:
        return True


async def _app(per_second: int, latency: float) -> tuple[App, SandboxState, RateLimit]:
    state = SandboxState.seeded()
    if latency:
        state.faults.add("latency", seconds=latency, times=None)
    limit = RateLimit(per_second=per_second)
    state.faults.rate_limit = limit
    settings = Settings(admin_token=SecretStr(DEMO_ADMIN_TOKEN), api_url="https://webexapis.com/v1")
    app = build_app(
        settings,
        store=await open_store("sqlite:///:memory:"),
        policy=Policy.parse(POLICY),
        admin_transport=SandboxTransport(state),
    )
    app.owns_store = True
    return app, state, limit


def _names(rows: int, tag: str) -> list[str]:
    return [f"{tag}-{i:05d}" for i in range(rows)]


def _tally(
    name: str, state: SandboxState, names: Sequence[str], wall: float, limit: RateLimit
) -> Result:
    made = Counter(t.name for t in state.trunks.values())
    duplicates = sum(made[n] - 1 for n in names if made[n] > 1)
    lost = sum(1 for n in names if made[n] == 0)
    return Result(name, len(names), wall, limit.admitted, limit.refused, duplicates, lost)


async def bulk(rows: int, per_second: int, latency: float) -> Result:
    """The rows as one bulk job, run by commands.bulk.run."""
    app, state, limit = await _app(per_second, latency)
    try:
        names = _names(rows, "bulk")
        madrid = seeded_id("LOCATION", "Madrid")
        store = app.services.store
        await store.bulk.create(
            "bench",
            requester=PERSON,
            room_id="bench-room",
            org_id=None,
            request={
                "file": "bench.csv",
                "requester": {"person_id": PERSON, "email": EMAIL, "org_id": state.org_id},
            },
            rows=[
                NewRow(i + 2, n, madrid, {"name": n, "type": "REGISTERING"})
                for i, n in enumerate(names)
            ],
        )
        await store.bulk.move("bench", JobState.RUNNING, only_from=(JobState.AWAITING,))
        before = limit.admitted, limit.refused
        start = time.perf_counter()
        await run.run_job(app.services, Sink(), "bench")
        wall = time.perf_counter() - start
        result = _tally("bulk", state, names, wall, limit)
        result.accepted -= before[0]
        result.throttled -= before[1]
        return result
    finally:
        await app.aclose()


async def naive(rows: int, per_second: int, latency: float) -> Result:
    """One row after another: password, create, details; a 429 is waited out and tried
    again (the HTTP layer waits each ``Retry-After``; past its tries, the loop does)."""
    app, state, limit = await _app(per_second, latency)
    try:
        names = _names(rows, "naive")
        calling = app.services.calling
        madrid = seeded_id("LOCATION", "Madrid")
        start = time.perf_counter()
        for name in names:
            req = TrunkRequest.model_validate({"name": name, "location": madrid})
            while True:
                try:
                    password = await calling.generate_password(madrid)
                    body = to_create_body(req, location_id=madrid, password=password, device=None)
                    outcome = await calling.create_trunk(body)
                    await calling.get_trunk(outcome.trunk_id)
                    break
                except WebexRetryable:
                    await asyncio.sleep(1.0)
        wall = time.perf_counter() - start
        return _tally("naive", state, names, wall, limit)
    finally:
        await app.aclose()


async def compare(rows: int, per_second: int, latency: float) -> tuple[Result, Result]:
    return await bulk(rows, per_second, latency), await naive(rows, per_second, latency)


async def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.bulk")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--per-second", type=int, default=20, help="the calling API's limit (N)")
    ap.add_argument("--latency", type=float, default=0.1, help="seconds per Webex call")
    ap.add_argument(
        "--only", choices=("bulk",), help="only the bulk job, without the naive loop (tuning)"
    )
    args = ap.parse_args(argv)
    print(
        f"bulk create: {args.rows} rows, calling API limited to {args.per_second} requests/s "
        f"(429 + Retry-After), {args.latency * 1000:.0f} ms per call"
    )
    if args.only == "bulk":
        print((await bulk(args.rows, args.per_second, args.latency)).line(args.per_second))
        return
    ours, loop = await compare(args.rows, args.per_second, args.latency)
    print(ours.line(args.per_second))
    print(loop.line(args.per_second))
    print(f"  wall time, naive / bulk {loop.wall / ours.wall:5.1f}x   (goal for bulk: ≥ 90 % of N)")


if __name__ == "__main__":
    asyncio.run(main())
