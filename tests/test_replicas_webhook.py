"""Two `trunkbot serve` replicas on one real PostgreSQL, as behind a load balancer: every
delivery reaches both, one replica is killed (SIGKILL) in the middle of a create, and still
each message makes one trunk and gets one answer, with the audit trail complete. The dead
replica's pending work is taken over by the other once its lease lapses."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from bot.store import open_store
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_env
from tests.pg import fresh_schema, require_server
from tests.test_webhook import NO_CONFIRM, SECRET, _free_port, envelope, message_data, signature
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex, Message, Person, Room

LEASE = "2"  # seconds: a dead replica's work is taken over about this long after it died


class Replica:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.url = f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def replicas(
    fake: FakeWebex, tmp_path: Path, database_url: str, count: int = 2
) -> AsyncIterator[list[Replica]]:
    started: list[Replica] = []
    env = bot_env(
        fake,
        tmp_path,
        TRUNKBOT_WEBHOOK_SECRET=SECRET,
        TRUNKBOT_DATABASE_URL=database_url,
        TRUNKBOT_LEASE_SECONDS=LEASE,
    )
    try:
        for _ in range(count):
            port = _free_port()
            proc = subprocess.Popen(  # noqa: ASYNC220, S603  -- our own CLI
                [sys.executable, "-m", "bot", "serve", "--port", str(port)],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            started.append(Replica(proc, port))
        async with httpx.AsyncClient(timeout=10) as http:
            for replica in started:
                for _ in range(300):
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get(replica.url + "/readyz")).status_code == 200:
                            break
                    assert replica.proc.poll() is None, replica.proc.communicate()
                    await asyncio.sleep(0.1)
        yield started
    finally:
        for replica in started:
            if replica.proc.poll() is None:
                replica.proc.kill()
            await asyncio.to_thread(replica.proc.communicate)


async def deliver(http: httpx.AsyncClient, fake: FakeWebex, msg: Message, *to: Replica) -> None:
    """The message's webhook delivery, signed, to each replica given (a dead one is skipped,
    as a load balancer would)."""
    body = envelope(fake, "messages", message_data(msg))
    headers = {"X-Spark-Signature": signature(body)}

    async def one(replica: Replica) -> None:
        with contextlib.suppress(httpx.TransportError):
            response = await http.post(replica.url + "/webhook", content=body, headers=headers)
            assert response.status_code == 200

    await asyncio.gather(*(one(r) for r in to))


def finals(fake: FakeWebex, room: Room, name: str) -> list[str]:
    """The answers that finish a create of ``name`` in ``room``."""
    done = (f"✅ Trunk **{name}** created", f"✅ Already done: trunk **{name}**")
    sent = [m.markdown or "" for m in fake.messages_from_bot(room=room)]
    return [m for m in sent if m.startswith(done)]


async def test_two_replicas_one_killed_mid_create_make_one_trunk_and_one_answer_each(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(NO_CONFIRM)
    # Each create's POST takes a while: the kill lands while one is in flight.
    state.faults.add("latency", method="POST", path_suffix="/premisePstn/trunks", seconds=2)
    people: list[tuple[Person, Room]] = []
    for n in range(4):
        person = fake.add_person(f"user{n}@example.com", f"User {n}")
        people.append((person, fake.add_room("direct", [person])))
    async with (
        fresh_schema(require_server()) as database_url,
        replicas(fake, tmp_path, database_url) as (a, b),
        httpx.AsyncClient(timeout=10) as http,
    ):
        sent: list[tuple[Message, Room, str]] = []

        async def say(n: int) -> Message:
            person, room = people[n]
            msg = await fake.user_says(person, room, f"create trunk name=rep-{n} location=Madrid")
            sent.append((msg, room, f"rep-{n}"))
            return msg

        # 0: A gets it first (and owns it), then the same delivery reaches B: ignored there.
        first = await say(0)
        await deliver(http, fake, first, a)
        await deliver(http, fake, first, b)
        # 1: both at once; the database decides which replica has it.
        await deliver(http, fake, await say(1), a, b)
        await fake.wait_for_bot_messages(1, room=people[0][1], timeout=15)  # "Creating…"
        a.proc.send_signal(signal.SIGKILL)  # mid-POST: its commands never finish there
        await asyncio.to_thread(a.proc.wait, 10)
        # 2, 3: still sent to both; only B is there to answer.
        for n in (2, 3):
            await deliver(http, fake, await say(n), a, b)

        for _ in range(600):  # B takes A's work over once A's leases lapse
            if all(len(finals(fake, room, name)) >= 1 for _, room, name in sent):
                break
            assert b.proc.poll() is None
            await asyncio.sleep(0.1)
        await asyncio.sleep(3)  # long enough for any second answer to show
        for _, room, name in sent:
            assert len(finals(fake, room, name)) == 1, [
                m.markdown for m in fake.messages_from_bot(room=room)
            ]
        names = [t.name for t in state.trunks.values()]
        for _, _, name in sent:
            assert names.count(name) == 1, names

        async with await open_store(database_url) as store:
            rows = await store.list_audit(newest_first=False)
            assert await store.pending_intake(0, leased=True) == []  # nothing left behind
        audited = {r.event_id for r in rows}
        for msg, _, _ in sent:
            assert msg.id in audited
        # The trail names every trunk the bot created.
        trunk_ids = {t.id for t in state.trunks.values() if t.name.startswith("rep-")}
        assert trunk_ids <= {r.trunk_id for r in rows}

        async with httpx.AsyncClient(timeout=10) as probe:
            assert (await probe.get(b.url + "/readyz")).status_code == 200
        b.proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(b.proc.wait, 40) == 0
        out, err = b.proc.communicate()
        # A's message 0 was taken over: fetched again by B, its create settled by name.
        assert "intake.recovered" in err
        for secret in (SECRET, fake.bot_token, DEMO_ADMIN_TOKEN):
            assert secret not in out + err


async def test_an_unreachable_database_at_start_is_one_sentence_and_exit_2(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    fake = fake_webex_factory()
    (tmp_path / "policy.toml").write_text(NO_CONFIRM)
    port = _free_port()  # nothing listens there
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "serve", "--port", str(_free_port())],
        env=bot_env(
            fake,
            tmp_path,
            TRUNKBOT_WEBHOOK_SECRET=SECRET,
            TRUNKBOT_DATABASE_URL=f"postgresql://bot:pw-never-shown@127.0.0.1:{port}/trunkbot",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith(f"trunkbot: Cannot connect to PostgreSQL at 127.0.0.1:{port}/trunkbot")
    assert "pw-never-shown" not in run.stderr + run.stdout


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (every connection dropped, new ones
    closed at once) and restore: the database, as the replica sees it, goes away and back."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self.pipes: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.pipes |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self.pipes:
            writer.close()
        self.pipes.clear()

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


@contextlib.asynccontextmanager
async def database_behind_a_proxy() -> AsyncIterator[tuple[Proxy, str]]:
    """A fresh PostgreSQL schema reached through a :class:`Proxy` the test can cut: the
    proxy, and the database URL through it."""
    async with fresh_schema(require_server()) as direct_url:
        parts = urlsplit(direct_url)
        proxy = Proxy(parts.port or 5432)
        port = await proxy.start()
        netloc = parts.netloc.rsplit(":", 1)[0] + f":{port}"
        try:
            yield proxy, urlunsplit(parts._replace(netloc=netloc))
        finally:
            await proxy.close()


async def test_a_database_outage_turns_readiness_off_and_loses_nothing(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """The database goes away: /readyz 503, a delivery gets 503 (not acknowledged) and the
    person one "try again shortly", once; back: ready again, and the redelivery is answered."""
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(NO_CONFIRM)
    person = fake.add_person("alice@example.com", "Alice Example")
    room = fake.add_room("direct", [person])
    async with (
        database_behind_a_proxy() as (proxy, via_proxy),
        replicas(fake, tmp_path, via_proxy, count=1) as (bot,),
        httpx.AsyncClient(timeout=30) as http,
    ):
        proxy.cut()
        for _ in range(100):
            if (await http.get(bot.url + "/readyz")).status_code == 503:
                break
            await asyncio.sleep(0.1)
        ready = await http.get(bot.url + "/readyz")
        assert (ready.status_code, ready.text) == (
            503,
            "not ready: the database doesn't answer",
        )
        msg = await fake.user_says(person, room, "create trunk name=out-1 location=Madrid")
        body = envelope(fake, "messages", message_data(msg))
        headers = {"X-Spark-Signature": signature(body)}
        for _ in range(2):  # a redelivery during the outage: refused again, told once
            response = await http.post(bot.url + "/webhook", content=body, headers=headers)
            assert response.status_code == 503
        [told] = await fake.wait_for_bot_messages(1, room=room, timeout=15)
        assert told.markdown == "The bot can't reach its database right now; try again shortly."

        proxy.up = True
        for _ in range(200):
            if (await http.get(bot.url + "/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert (await http.get(bot.url + "/readyz")).status_code == 200
        response = await http.post(bot.url + "/webhook", content=body, headers=headers)
        assert response.status_code == 200
        for _ in range(200):
            if finals(fake, room, "out-1"):
                break
            await asyncio.sleep(0.1)
        assert len(finals(fake, room, "out-1")) == 1
        assert [t.name for t in state.trunks.values()].count("out-1") == 1
        sent = [m.markdown or "" for m in fake.messages_from_bot(room=room)]
        assert sent.count(told.markdown) == 1


async def test_sigterm_turns_readiness_off_first_then_drains_then_exits(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """SIGTERM mid-create: /readyz is 503 and a new delivery 503 while the create finishes
    (the server still answers the probes), then exit 0 with the create answered."""
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(NO_CONFIRM)
    state.faults.add("latency", method="POST", path_suffix="/premisePstn/trunks", seconds=3)
    person = fake.add_person("alice@example.com", "Alice Example")
    room = fake.add_room("direct", [person])
    async with (
        fresh_schema(require_server()) as database_url,
        replicas(fake, tmp_path, database_url, count=1) as (bot,),
        httpx.AsyncClient(timeout=10) as http,
    ):
        msg = await fake.user_says(person, room, "create trunk name=term-1 location=Madrid")
        await deliver(http, fake, msg, bot)
        await fake.wait_for_bot_messages(1, room=room, timeout=15)  # "Creating…": in flight
        bot.proc.send_signal(signal.SIGTERM)
        ready = await http.get(bot.url + "/readyz")
        for _ in range(50):
            if ready.status_code == 503:
                break
            await asyncio.sleep(0.05)
            ready = await http.get(bot.url + "/readyz")
        assert (ready.status_code, ready.text) == (503, "not ready: the bot is stopping")
        late = await fake.user_says(person, room, "help")
        body = envelope(fake, "messages", message_data(late))
        refused = await http.post(
            bot.url + "/webhook", content=body, headers={"X-Spark-Signature": signature(body)}
        )
        assert refused.status_code == 503  # not acknowledged: another replica takes it
        assert finals(fake, room, "term-1") == []  # still draining
        assert await asyncio.to_thread(bot.proc.wait, 40) == 0
    assert len(finals(fake, room, "term-1")) == 1
    assert [t.name for t in state.trunks.values()].count("term-1") == 1
