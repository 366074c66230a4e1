"""`trunkbot run --metrics-port`: /healthz, /readyz naming the replica's role, /metrics as
prometheus-client's own parser reads it, and SIGTERM's order (not ready first, then the
commands in flight finish, then the lock is given back)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.runner import BotRunner
from bot.startup import prepare
from bot.transports.leader import Leadership, Solo
from bot.transports.metrics import endpoint_of
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_settings
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


class NeverLeader:
    """Another replica holds the lock: this one stays standby."""

    unreachable = False

    def __init__(self) -> None:
        self.asked = 0

    async def try_acquire(self) -> bool:
        self.asked += 1
        return False

    async def still_held(self) -> bool:
        return False

    async def release(self) -> None:
        return None


class RecordingLeader(Solo):
    """Always active; notes what was still running when the lock was given back."""

    def __init__(self, runner: list[BotRunner]) -> None:
        self.runner = runner
        self.in_flight_at_release: int | None = None

    async def release(self) -> None:
        self.in_flight_at_release = len(self.runner[0].in_flight)


@asynccontextmanager
async def running(
    factory: Callable[..., FakeWebex],
    tmp_path: Path,
    state: SandboxState,
    leadership: Callable[[list[BotRunner]], Leadership] | None = None,
) -> AsyncIterator[tuple[FakeWebex, BotRunner, asyncio.Task[int], str]]:
    fake = factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(POLICY)
    settings = bot_settings(fake, tmp_path)
    app, messaging, bot = await prepare(settings)
    runner = BotRunner(settings, app=app, messaging=messaging, bot=bot)
    runner.metrics_at = ("127.0.0.1", 0)
    if leadership is not None:
        runner.leadership = leadership([runner])
    task = asyncio.create_task(runner.run())
    try:
        while runner.metrics_server is None:
            assert not task.done(), task
            await asyncio.sleep(0.02)
        yield fake, runner, task, runner.metrics_server.url
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, timeout=30)
        await app.aclose()


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.get(url)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_an_active_replica_is_ready_and_its_metrics_count_commands_and_webex_calls(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    async with running(fake_webex_factory, tmp_path, SandboxState.seeded()) as (fake, *_, url):
        await fake.wait_connected(timeout=10)
        assert (await get(url + "/healthz")).text == "ok"
        ready = await get(url + "/readyz")
        assert ready.status_code == 200
        facts = ready.json()
        assert facts["role"] == "active"
        assert facts["ready"] is True
        assert facts["websocket"] == "connected"
        assert facts["store"] == "ok"

        alice = fake.add_person("alice@example.com", "Alice Example")
        dm = fake.add_room("direct", [alice])
        await fake.user_says(alice, dm, "create trunk name=m-1 location=Madrid")
        await fake.wait_for_bot_messages(3, room=dm, timeout=20)
        await asyncio.sleep(0.5)  # the audit row follows the answer

        scrape = await get(url + "/metrics")
        assert scrape.status_code == 200
        found = samples(scrape.text)
        assert value(found, "trunkbot_replica_role", role="active") == 1
        assert value(found, "trunkbot_replica_role", role="standby") == 0
        assert value(found, "trunkbot_commands_total", command="trunk.create", outcome="created")
        assert value(found, "trunkbot_command_duration_seconds_count", command="trunk.create")
        posts = value(
            found,
            "trunkbot_webex_requests_total",
            endpoint="/messages",
            method="POST",
            status="200",
        )
        assert posts >= 3
        assert (
            value(
                found,
                "trunkbot_webex_request_duration_seconds_count",
                endpoint="/messages",
                method="POST",
            )
            >= 3
        )
        for name in (
            "trunkbot_commands_in_flight",
            "trunkbot_intake_pending",
            "trunkbot_rate_limited_people",
            "trunkbot_webex_retry_after_seconds_count",
            "trunkbot_events_handled_total",
        ):
            assert (name, ()) in found, name
        assert value(found, "trunkbot_events_handled_total") >= 1


async def test_a_standby_has_no_websocket_and_is_ready_as_a_standby(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    leader = NeverLeader()
    async with running(fake_webex_factory, tmp_path, SandboxState.seeded(), lambda _r: leader) as (
        fake,
        runner,
        task,
        url,
    ):
        runner.poll_seconds = 0.05
        while leader.asked < 2:
            assert not task.done(), task
            await asyncio.sleep(0.02)
        ready = await get(url + "/readyz")
        assert ready.status_code == 200
        assert ready.json()["role"] == "standby"
        assert ready.json()["websocket"] == "not connected"
        assert not any(c.is_open for c in fake.connections)
        found = samples((await get(url + "/metrics")).text)
        assert value(found, "trunkbot_replica_role", role="standby") == 1
        assert value(found, "trunkbot_replica_role", role="active") == 0


async def test_sigterm_flips_readiness_then_drains_then_releases_the_lock(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    state = SandboxState.seeded()
    holder: list[RecordingLeader] = []

    def leader(runner: list[BotRunner]) -> Leadership:
        holder.append(RecordingLeader(runner))
        return holder[0]

    async with running(fake_webex_factory, tmp_path, state, leader) as (fake, runner, task, url):
        await fake.wait_connected(timeout=10)
        alice = fake.add_person("alice@example.com", "Alice Example")
        dm = fake.add_room("direct", [alice])
        state.faults.add("latency", method="POST", path_suffix="/premisePstn/trunks", seconds=2)
        await fake.user_says(alice, dm, "create trunk name=t-1 location=Madrid")
        await fake.wait_for_bot_messages(1, room=dm, timeout=15)  # "Creating…": in flight
        assert runner.in_flight
        runner.stop.set()  # what the SIGTERM handler does
        not_ready = await get(url + "/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["stopping"] is True
        assert runner.in_flight  # readiness flipped while the command still runs
        assert await asyncio.wait_for(task, timeout=30) == 0
        sent = [m.markdown or "" for m in fake.messages_from_bot(room=dm)]
        assert any(m.startswith("✅ Trunk **t-1") for m in sent), sent
        assert holder[0].in_flight_at_release == 0  # the lock went back after the drain


def test_webex_endpoints_are_labelled_without_ids() -> None:
    rest_id = "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvOTJkYjNiZTAtNDNiZC0xMWU2"
    assert endpoint_of(f"/v1/messages/{rest_id}") == "/messages/{id}"
    assert endpoint_of("/v1/telephony/config/premisePstn/trunks") == (
        "/telephony/config/premisePstn/trunks"
    )
    assert endpoint_of(f"/v1/telephony/config/premisePstn/trunks/{rest_id}") == (
        "/telephony/config/premisePstn/trunks/{id}"
    )


class LosingLeader(Solo):
    """Takes the lock, then loses its connection: the replica must step down."""

    def __init__(self) -> None:
        self.acquired = 0
        self.held = True

    async def try_acquire(self) -> bool:
        self.acquired += 1
        return self.acquired == 1  # another replica has it after we lost it

    async def still_held(self) -> bool:
        return self.held


async def test_an_active_replica_that_loses_its_lock_closes_its_websocket_and_stands_by(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    leader = LosingLeader()
    async with running(fake_webex_factory, tmp_path, SandboxState.seeded(), lambda _r: leader) as (
        fake,
        runner,
        task,
        url,
    ):
        runner.poll_seconds = 0.1
        await fake.wait_connected(timeout=10)
        assert runner.role == "active"
        leader.held = False
        await fake.wait_disconnected(timeout=10)
        while leader.acquired < 2:
            assert not task.done(), task
            await asyncio.sleep(0.05)
        ready = await get(url + "/readyz")
        assert ready.json()["role"] == "standby"
        assert ready.json()["websocket"] == "not connected"
        assert not task.done()


class DatabaseDownLeader(LosingLeader):
    """The lock's connection is gone and the database doesn't answer at all."""

    async def try_acquire(self) -> bool:
        self.acquired += 1
        self.unreachable = self.acquired > 1
        return self.acquired == 1


async def test_an_active_replica_keeps_its_websocket_while_the_database_is_down(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    leader = DatabaseDownLeader()
    async with running(fake_webex_factory, tmp_path, SandboxState.seeded(), lambda _r: leader) as (
        fake,
        runner,
        task,
        _url,
    ):
        runner.poll_seconds = 0.1
        await fake.wait_connected(timeout=10)
        leader.held = False
        while leader.acquired < 4:  # asked again, several times, and no answer
            assert not task.done(), task
            await asyncio.sleep(0.05)
        assert runner.role == "active"
        assert sum(c.is_open for c in fake.connections) == 1
