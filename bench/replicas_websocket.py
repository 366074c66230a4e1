"""Websocket replicas, the two designs side by side: `python -m bench.replicas_websocket`.

Two `trunkbot run` replicas (in this process, each with its own app and store pool) on one
real PostgreSQL (tests/pg.py's server) against the fake Webex over TLS:

* **active/standby** (what ships): only the advisory lock's holder has a websocket;
* **active/active**: both connected (both always "active"), the store's atomic intake
  record decides who answers each message.

For each: N people each send `help`; printed are the REST calls to Webex per message (the
fetch load) and, after the replica that answered is stopped without a goodbye (its task
cancelled, its lock connection and socket cut), the time until the next message is
answered (the failover). Same run, same fake, so the ratios are the figures to read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from bot.runner import BotRunner
from bot.settings import Settings
from bot.startup import prepare
from bot.transports.leader import AdvisoryLock, Leadership, Solo
from tests.pg import fresh_schema, pg_url
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex

POLICY = """
[[grant]]
domains = ["example.com"]
actions = ["trunk.create"]
locations = ["*"]
orgs = ["*"]
"""


async def _replica(
    settings: Settings, leadership: Leadership
) -> tuple[BotRunner, asyncio.Task[int]]:
    app, messaging, bot = await prepare(settings)
    runner = BotRunner(settings, app=app, messaging=messaging, bot=bot)
    runner.leadership = leadership
    return runner, asyncio.create_task(runner.run())


async def measure(design: str, n: int, tmp: Path) -> tuple[float, float]:
    fake = FakeWebex(extra_app=build_sandbox(SandboxState.seeded())).start()
    os.environ.update(fake.tls.env())
    try:
        async with fresh_schema(pg_url()) as url:
            (tmp / "policy.toml").write_text(POLICY)
            settings = Settings(
                bot_token=fake.bot_token,  # type: ignore[arg-type]
                admin_token=DEMO_ADMIN_TOKEN,  # type: ignore[arg-type]
                api_url=fake.api_url,
                u2c_url=fake.u2c_url,
                policy=tmp / "policy.toml",
                database_url=url,
            )
            make = (lambda: AdvisoryLock(url)) if design == "active/standby" else Solo
            replicas = [await _replica(settings, make()) for _ in range(2)]
            await fake.wait_connected(timeout=20, total=1 if design == "active/standby" else 2)
            await asyncio.sleep(1)
            people = [fake.add_person(f"p{i}@example.com", f"P {i}") for i in range(n)]
            rooms = [fake.add_room("direct", [p]) for p in people]
            before = len(fake.requests)
            for person, room in zip(people, rooms, strict=True):
                await fake.user_says(person, room, "help")
            for room in rooms:
                await fake.wait_for_bot_messages(1, room=room, timeout=60)
            await asyncio.sleep(1)
            calls = (len(fake.requests) - before) / n
            # Stop the one that answers (for active/active: either) without a goodbye.
            victim = next(r for r in replicas if r[0].role == "active")
            victim[1].cancel()
            if isinstance(victim[0].leadership, AdvisoryLock):
                await victim[0].leadership.release()  # what the kernel does for a dead process
            started = time.monotonic()
            await fake.user_says(people[0], rooms[0], "help")
            await fake.wait_for_bot_messages(2, room=rooms[0], timeout=60)
            failover = time.monotonic() - started
            for runner, task in replicas:
                runner.stop.set()
                await asyncio.gather(task, return_exceptions=True)
                await runner.app.aclose()
            return calls, failover
    finally:
        fake.stop()


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = {d: await measure(d, n, Path(tmp)) for d in ("active/standby", "active/active")}
    for design, (calls, failover) in results.items():
        print(f"{design:15} {calls:5.1f} Webex calls per message   failover {failover:5.2f} s")
    ratio = results["active/active"][0] / results["active/standby"][0]
    print(f"active/active makes {ratio:.2f}x the Webex calls of active/standby")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20, help="messages (one per person)")
    asyncio.run(main(parser.parse_args().n))
