"""Two `trunkbot run` processes on one real PostgreSQL against the websocket fake (TLS):
one is active (holds the websocket), the other standby; SIGKILL the one that answers and
the other takes over and answers the next message, and no message is answered twice."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_env
from tests.pg import fresh_schema, require_server
from webexfake.calling import SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex

POLICY = """
[[grant]]
domains   = ["example.com"]
actions   = ["trunk.create"]
locations = ["*"]
confirm   = false
orgs      = ["*"]
"""


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    async with fresh_schema(require_server()) as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Replica:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(  # noqa: S603  -- our own command line
            [sys.executable, "-m", "bot", "run", "--metrics-port", str(self.port)],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(f"http://127.0.0.1:{self.port}/readyz")
        return response.status_code, json.loads(response.text)

    async def wait_role(self, role: str, timeout: float = 30.0) -> dict[str, Any]:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()
            try:
                status, facts = await self.readyz()
                last = (status, facts)
                if status == 200 and facts["role"] == role:
                    return facts
            except httpx.HTTPError as exc:
                last = exc
            await asyncio.sleep(0.2)
        raise AssertionError(f"never {role}: {last}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate(timeout=10)


async def test_killing_the_active_replica_hands_the_websocket_to_the_standby(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    pg_schema: str,
    tmp_path: Path,
) -> None:
    fake = fake_webex_factory(extra_app=build_sandbox(SandboxState.seeded()))
    (tmp_path / "policy.toml").write_text(POLICY)
    env = bot_env(fake, tmp_path, TRUNKBOT_DATABASE_URL=pg_schema)
    first = Replica(env, tmp_path)
    replicas = [first]
    try:
        await first.wait_role("active")
        second = Replica(env, tmp_path)
        replicas.append(second)
        standby = await second.wait_role("standby")
        assert standby["websocket"] == "not connected"
        await fake.wait_connected(timeout=10)
        assert sum(c.is_open for c in fake.connections) == 1  # only the active holds a socket

        alice = fake.add_person("alice@example.com", "Alice Example")
        dm = fake.add_room("direct", [alice])
        await fake.user_says(alice, dm, "help")
        await fake.wait_for_bot_messages(1, room=dm, timeout=20)
        await asyncio.sleep(2)  # room for a second answer, were there one
        per_message = len(fake.messages_from_bot(room=dm, include_deleted=True))

        first.proc.send_signal(signal.SIGKILL)
        first.kill()
        await fake.wait_disconnected(timeout=10)
        killed_at = time.monotonic()
        await fake.user_says(alice, dm, "help")
        await fake.wait_for_bot_messages(2 * per_message, room=dm, timeout=30)
        took = time.monotonic() - killed_at
        assert (await second.readyz())[1]["role"] == "active"
        assert took < 10, f"the standby answered {took:.1f} s after the active one died"

        await fake.user_says(alice, dm, "help")
        await fake.wait_for_bot_messages(3 * per_message, room=dm, timeout=20)
        await asyncio.sleep(2)
        assert len(fake.messages_from_bot(room=dm, include_deleted=True)) == 3 * per_message
    finally:
        for replica in replicas:
            replica.kill()


async def test_sigterm_on_the_active_replica_releases_the_lock_and_exits_0(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    pg_schema: str,
    tmp_path: Path,
) -> None:
    fake = fake_webex_factory(extra_app=build_sandbox(SandboxState.seeded()))
    (tmp_path / "policy.toml").write_text(POLICY)
    env = bot_env(fake, tmp_path, TRUNKBOT_DATABASE_URL=pg_schema)
    first = Replica(env, tmp_path)
    replicas = [first]
    try:
        await first.wait_role("active")
        second = Replica(env, tmp_path)
        replicas.append(second)
        await second.wait_role("standby")
        first.proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(first.proc.wait, 40)
        assert code == 0, first.proc.communicate()
        await second.wait_role("active", timeout=20)
    finally:
        for replica in replicas:
            replica.kill()
