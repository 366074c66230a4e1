"""Dispatch benchmark: `make bench` (or `python -m bench [--n 200] [--latency 0.3]`).

200 people send `create trunk` at the same moment; the sandbox answers every Webex call
after 300 ms. The same commands go through

* **ours**: one asyncio loop, each command a task (bot.runner's dispatch);
* **webex_bot-style**: webex-bot 1.3.1 hands each message to the loop's default thread pool
  (``min(32, cpu + 4)`` workers) and the handler holds its worker until it returns. We model
  exactly that: a ThreadPoolExecutor of that size whose workers each block on one command.

Both run in this process, against the same in-process sandbox, in the same run, so the
ratio is the figure to read. Then the bot-side overhead per command (no Webex latency) is
printed as p50 / p99. Then the bulk create scenario (bench/bulk.py; ``--bulk-rows``, 0 skips
it). Last, the end-to-end bench (bench/e2e.py; ``--k`` people, the same
``--latency``; ``--no-e2e`` skips it): `trunkbot run` and a plain webex_bot bot as
processes on the websocket against the TLS fake.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from pydantic import SecretStr

from bench import bulk, e2e
from bot.app import App, build_app
from bot.auth import Policy
from bot.events import Actor, Event, Reply, Space, SpaceKind
from bot.settings import Settings
from bot.store import open_store
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState, SandboxTransport

POLICY = (
    '[[grant]]\ndomains=["example.com"]\nactions=["trunk.create"]\nlocations=["*"]\norgs=["*"]\n'
    "confirm=false\n"
)


class Sink:
    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, reply: Reply) -> str | None:
        self.sent.append(reply)
        return None

    async def delete(self, message_id: str) -> bool:
        return True


async def make(latency: float) -> tuple[App, SandboxState]:
    state = SandboxState.seeded()
    if latency:
        state.faults.add("latency", seconds=latency, times=None)
    settings = Settings(admin_token=SecretStr(DEMO_ADMIN_TOKEN), api_url="https://webexapis.com/v1")
    app = build_app(
        settings,
        store=await open_store("sqlite:///:memory:"),
        policy=Policy.parse(POLICY),
        admin_transport=SandboxTransport(state),
    )
    app.owns_store = True
    ORG[0] = state.org_id
    return app, state


ORG = [""]  # the sandbox org: the people sending commands belong to it


def events(n: int, tag: str) -> list[Event]:
    return [
        Event(
            id=f"{tag}-{i}",
            actor=Actor(f"P{i}", f"user{i}@example.com", ORG[0]),
            space=Space(f"R{i}", SpaceKind.DIRECT),
            text=f"create trunk name={tag}-{i:04d} location=Madrid",
            message_id=f"{tag}-{i}",
        )
        for i in range(n)
    ]


async def ours(n: int, latency: float) -> tuple[float, int]:
    app, state = await make(latency)
    sink = Sink()
    start = time.perf_counter()
    await asyncio.gather(*(app.router.handle(ev, sink) for ev in events(n, "ours")))
    wall = time.perf_counter() - start
    await app.aclose()
    return wall, sum(1 for t in state.trunks.values() if t.name.startswith("ours-"))


async def thread_pool(n: int, latency: float) -> tuple[float, int, int]:
    app, state = await make(latency)
    sink = Sink()
    loop = asyncio.get_running_loop()
    workers = min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's default, as webex-bot

    def handler(ev: Event) -> None:  # a sync handler holds its worker until done
        asyncio.run_coroutine_threadsafe(app.router.handle(ev, sink), loop).result()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, handler, ev) for ev in events(n, "pool")))
    wall = time.perf_counter() - start
    await app.aclose()
    created = sum(1 for t in state.trunks.values() if t.name.startswith("pool-"))
    return wall, created, workers


async def overhead(samples: int) -> list[float]:
    app, _ = await make(0.0)
    sink = Sink()
    out = []
    for ev in events(samples, "ovh"):
        start = time.perf_counter()
        await app.router.handle(ev, sink)
        out.append((time.perf_counter() - start) * 1000)
    await app.aclose()
    return out


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1]


async def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--latency", type=float, default=0.3)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--k", type=int, default=100, help="end to end: simultaneous creates")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end bench")
    ap.add_argument(
        "--bulk-rows", type=int, default=1000, help="the bulk create scenario's rows (0 skips it)"
    )
    args = ap.parse_args()
    print(f"{args.n} simultaneous creates, {args.latency * 1000:.0f} ms per Webex call")
    ours_wall, ours_ok = await ours(args.n, args.latency)
    pool_wall, pool_ok, workers = await thread_pool(args.n, args.latency)
    print(f"  ours (asyncio tasks)          {ours_wall:7.2f} s   {ours_ok}/{args.n} created")
    print(f"  webex_bot-style ({workers} threads) {pool_wall:7.2f} s   {pool_ok}/{args.n} created")
    print(f"  ratio (thread pool / ours)    {pool_wall / ours_wall:7.1f}x")
    ms = await overhead(args.samples)
    print(
        f"bot-side overhead per command, in-process sandbox, no latency ({args.samples} runs): "
        f"p50 {pct(ms, 50):.2f} ms, p99 {pct(ms, 99):.2f} ms"
    )
    if args.bulk_rows:  # the bulk create scenario (its other flags: python -m bench.bulk --help)
        await bulk.main(["--rows", str(args.bulk_rows)])
    if not args.no_e2e:
        await e2e.run(args.k, args.latency)


if __name__ == "__main__":
    asyncio.run(main())
