"""A PostgreSQL outage under `trunkbot run` (websocket mode): the database goes away through
a TCP proxy the test cuts. /readyz turns 503 ("store": "unreachable") while the replica keeps
its websocket; a command sent meanwhile is answered with one sentence — try again shortly —
never an incident, and nothing is created; with the database back the replica is ready again
and the same command, sent again, makes its one trunk."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from bot.store import STORE_DOWN
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_env
from tests.test_replicas_webhook import database_behind_a_proxy
from tests.test_replicas_websocket import POLICY, Replica
from webexfake.calling import SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex


async def wait_ready(replica: Replica, ready: bool, timeout: float = 30.0) -> dict[str, object]:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    status, facts = await replica.readyz()
    while (status == 200) != ready and time.monotonic() < deadline:
        assert replica.proc.poll() is None, replica.proc.communicate()
        await asyncio.sleep(0.2)
        status, facts = await replica.readyz()
    assert (status == 200) == ready, facts
    return facts


async def test_a_database_outage_is_try_again_shortly_and_creates_nothing(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(POLICY)
    alice = fake.add_person("alice@example.com", "Alice Example")
    dm = fake.add_room("direct", [alice])
    async with database_behind_a_proxy() as (proxy, via_proxy):
        replica = Replica(bot_env(fake, tmp_path, TRUNKBOT_DATABASE_URL=via_proxy), tmp_path)
        try:
            await replica.wait_role("active")
            await fake.wait_connected(timeout=10)

            proxy.cut()
            facts = await wait_ready(replica, ready=False)
            assert facts["store"] == "unreachable"
            assert facts["role"] == "active"  # it keeps the websocket through the outage
            create = "create trunk name=ws-out-1 location=Madrid"
            await fake.user_says(alice, dm, create)
            [told] = await fake.wait_for_bot_messages(1, room=dm, timeout=30)
            assert told.markdown == STORE_DOWN
            await asyncio.sleep(1)  # room for a second answer, were there one
            assert len(fake.messages_from_bot(room=dm, include_deleted=True)) == 1
            assert state.trunk_by_name("ws-out-1") is None

            proxy.up = True
            facts = await wait_ready(replica, ready=True, timeout=60)
            assert (facts["store"], facts["role"]) == ("ok", "active")
            await fake.user_says(alice, dm, create)
            for _ in range(300):
                sent = [m.markdown or "" for m in fake.messages_from_bot(room=dm)]
                if any(m.startswith("✅ Trunk **ws-out-1** created") for m in sent):
                    break
                await asyncio.sleep(0.1)
            sent = [m.markdown or "" for m in fake.messages_from_bot(room=dm)]
            assert sum(m.startswith("✅ Trunk **ws-out-1** created") for m in sent) == 1, sent
            assert [t.name for t in state.trunks.values()].count("ws-out-1") == 1
            assert not any("incident" in m or "Something went wrong" in m for m in sent), sent
        finally:
            if replica.proc.poll() is None:
                replica.proc.kill()
            _out, err = await asyncio.to_thread(replica.proc.communicate)
    assert "command.crashed" not in err, err[-3000:]  # no incident, in the log either
