"""`trunkbot run` end to end: the real webex-bot over a real TLS websocket to a fake Webex.

The fake serves the service catalog, WDM devices, the websocket, messages, people and
memberships; the calling API behind it is the sandbox. Only URLs and the CA differ from
production — the settings a proxy or another region would change.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.runner import BotRunner
from bot.settings import Settings
from bot.startup import prepare
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_env
from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex, Person, Room

POLICY = """
[[grant]]
domains   = ["example.com"]
actions   = ["trunk.create"]
locations = ["*"]
confirm   = false
orgs      = ["*"]
"""


@dataclass
class Live:
    fake: FakeWebex
    state: SandboxState
    runner: BotRunner
    task: asyncio.Task[int]
    alice: Person
    dm: Room

    async def reply_to(self, person: Person, room: Room, text: str, n: int = 1) -> list[str]:
        """Say ``text`` and wait for ``n`` new bot messages in that room (or 1:1)."""
        before = len(self.fake.messages_from_bot(room=room, include_deleted=True))
        await self.fake.user_says(person, room, text)
        msgs = await self.fake.wait_for_bot_messages(before + n, room=room, timeout=15)
        return [m.markdown or m.text or "" for m in msgs[before : before + n]]


def settings_for(fake: FakeWebex, tmp_path: Path) -> Settings:
    (tmp_path / "policy.toml").write_text(POLICY)
    return Settings(
        bot_token=fake.bot_token,  # type: ignore[arg-type]
        admin_token=DEMO_ADMIN_TOKEN,  # type: ignore[arg-type]
        api_url=fake.api_url,
        u2c_url=fake.u2c_url,
        policy=tmp_path / "policy.toml",
        database_url=f"sqlite:///{tmp_path / 'trunkbot.db'}",
    )


@pytest.fixture
async def live(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Live]:
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    app, messaging, bot = await prepare(settings_for(fake, tmp_path))
    runner = BotRunner(app.settings, app=app, messaging=messaging, bot=bot)
    task = asyncio.create_task(runner.run())
    await fake.wait_connected(timeout=10)
    alice = fake.add_person("alice@example.com", "Alice Example")
    live = Live(fake, state, runner, task, alice, fake.add_room("direct", [alice]))
    try:
        yield live
    finally:
        runner.stop.set()
        await asyncio.wait_for(task, timeout=30)
        await app.aclose()


async def test_direct_create(live: Live) -> None:
    """A 1:1 command is answered in the space: the result with the gateway settings and its
    card, then a message of its own (no card, which Webex would show instead) with the
    password and the gateway configuration."""
    creating, done, delivery = await live.reply_to(
        live.alice, live.dm, 'create trunk name=lon-1 location="London HQ"', n=3
    )
    assert creating == "Creating registering trunk **lon-1** in **London HQ**…"
    assert done.startswith("✅ Trunk **lon-1** created in **London HQ**")
    assert "Password (shown only here):" not in done
    assert delivery.startswith("Password (shown only here):")
    assert "Gateway configuration for trunk **lon-1**" in delivery
    messages = live.fake.messages_from_bot(room=live.dm)
    assert [bool(m.attachments) for m in messages[-2:]] == [True, False]
    assert live.state.trunk_by_name("lon-1") is not None


async def test_group_create_with_mention(live: Live) -> None:
    """In a group space the mention is stripped, the answer is threaded, the password goes 1:1."""
    bob = live.fake.add_person("bob@example.com", "Bob Example")
    room = live.fake.add_room("group", [live.alice, bob])
    msg = await live.fake.user_says(bob, room, "create trunk name=grp-1 location=Madrid")
    replies = await live.fake.wait_for_bot_messages(2, room=room, timeout=15)
    assert all(r.parent_id == msg.id for r in replies)
    assert replies[-1].markdown.startswith("✅ Trunk **grp-1** created in **Madrid**")
    assert "Password" not in replies[-1].markdown
    (private,) = await live.fake.wait_for_bot_messages(1, to_person=bob, timeout=15)
    assert "Password (shown only here):" in (private.markdown or "")


async def test_group_message_without_mention_is_not_a_command(live: Live) -> None:
    """A group message that doesn't mention the bot never reaches it (Webex) and gets nothing."""
    room = live.fake.add_room("group", [live.alice])
    await live.fake.user_says(
        live.alice, room, "create trunk name=nm-1 location=Madrid", mention_bot=False
    )
    await live.reply_to(live.alice, live.dm, "help")
    assert live.fake.messages_from_bot(room=room) == []


async def test_message_from_a_bot_is_ignored(live: Live) -> None:
    """Another bot's command gets no answer, so two bots can't loop."""
    other = live.fake.add_person("helper@webex.bot", "Helper Bot", is_bot=True)
    room = live.fake.add_room("direct", [other])
    await live.fake.user_says(other, room, "create trunk name=b-1 location=Madrid")
    await live.reply_to(live.alice, live.dm, "help")  # a later message is answered...
    assert live.fake.messages_from_bot(room=room) == []  # ...the bot's never was
    assert live.state.trunk_by_name("b-1") is None


async def test_a_message_older_than_an_hour_is_ignored(live: Live) -> None:
    """webex-bot fetches it over REST (a webexpythonsdk Message) and Webex's `created` says
    two hours ago: it is put on the record as ignored, never run, never answered."""
    old = datetime.now(UTC) - timedelta(hours=2)
    message = await live.fake.user_says(
        live.alice, live.dm, "create trunk name=old-1 location=Madrid", created=old
    )
    store = live.runner.app.services.store
    for _ in range(300):
        rows = [r for r in await store.list_audit() if r.event_id == message.id]
        if rows:
            break
        await asyncio.sleep(0.02)
    [row] = rows
    assert (row.result, row.decision) == ("ignored", "refused")
    assert row.reason == f"older than 1 hour (sent {old.strftime('%Y-%m-%dT%H:%M:%SZ')})"
    await live.reply_to(live.alice, live.dm, "help")  # a fresh message is answered as usual
    assert len(live.fake.messages_from_bot(room=live.dm, include_deleted=True)) == 1
    assert live.state.trunk_by_name("old-1") is None


async def test_unauthorized_person_gets_a_refusal(live: Live) -> None:
    """Someone outside the policy is told so — not ignored."""
    eve = live.fake.add_person("eve@evil.example", "Eve")
    (answer,) = await live.reply_to(
        eve, live.fake.add_room("direct", [eve]), "create trunk name=e-1 location=Madrid"
    )
    assert answer.startswith("You're not allowed to create trunks.")
    assert live.state.trunk_by_name("e-1") is None


async def test_reconnects_after_a_drop_without_new_devices(live: Live) -> None:
    """The websocket drops; the next command is answered after the reconnect, same device."""
    registrations = live.fake.device_registrations
    await live.fake.drop_connections(abrupt=True)
    await live.fake.wait_connected(timeout=15, total=2)
    (answer,) = await live.reply_to(live.alice, live.dm, "help")
    assert answer.startswith("Here's what you can do:")
    assert live.fake.device_registrations == registrations


async def test_a_slow_trunk_api_for_one_does_not_delay_another(live: Live) -> None:
    """Two people at once: the second's help is answered while the first's create waits."""
    live.state.faults.add("latency", method="POST", path_suffix="/premisePstn/trunks", seconds=3)
    bob = live.fake.add_person("bob@example.com", "Bob Example")
    bob_dm = live.fake.add_room("direct", [bob])
    slow = asyncio.create_task(
        live.reply_to(live.alice, live.dm, "create trunk name=slow-1 location=Madrid", n=2)
    )
    await live.fake.wait_for_bot_messages(1, room=live.dm, timeout=10)  # "Creating…"
    (answer,) = await live.reply_to(bob, bob_dm, "help")
    assert answer.startswith("Here's what you can do:")
    assert not slow.done()  # answered while alice's POST is still held at Webex
    _, done = await slow
    assert done.startswith("✅ Trunk **slow-1** created")


async def test_a_burst_of_100_commands_loses_none(live: Live) -> None:
    """100 people send a create at the same moment: 100 trunks, 100 answers, 100 acks."""
    live.state.faults.add("latency", seconds=0.3, times=None)
    people = [live.fake.add_person(f"user{i:03d}@example.com", f"User {i}") for i in range(100)]
    rooms = [live.fake.add_room("direct", [p]) for p in people]
    acks_before = len(live.fake.acks)
    await asyncio.gather(
        *(
            live.fake.user_says(p, r, f"create trunk name=burst-{i:03d} location=Madrid")
            for i, (p, r) in enumerate(zip(people, rooms, strict=True))
        )
    )
    for room in rooms:  # "Creating…", the result, the password and configuration
        await live.fake.wait_for_bot_messages(3, room=room, timeout=120)
    names = {t.name for t in live.state.trunks.values()}
    assert {f"burst-{i:03d}" for i in range(100)} <= names
    for room in rooms:
        sent = [m.markdown or "" for m in live.fake.messages_from_bot(room=room)]
        assert any(m.startswith("✅ Trunk **burst-") for m in sent), sent
    assert len(live.fake.acks) - acks_before >= 100


async def test_sigterm_answers_the_command_in_flight_then_exits_0(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """`trunkbot run` gets SIGTERM mid-command: the command is answered, then exit code 0."""
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(POLICY)
    env = bot_env(fake, tmp_path)
    proc = subprocess.Popen(  # noqa: ASYNC220  -- started once; waited for in a thread
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await fake.wait_connected(timeout=20)
        alice = fake.add_person("alice@example.com", "Alice Example")
        dm = fake.add_room("direct", [alice])
        state.faults.add("latency", method="POST", path_suffix="/premisePstn/trunks", seconds=2)
        await fake.user_says(alice, dm, "create trunk name=term-1 location=Madrid")
        await fake.wait_for_bot_messages(1, room=dm, timeout=15)  # "Creating…": in flight
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 40)
        out, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, err
    sent = [m.markdown or "" for m in fake.messages_from_bot(room=dm)]
    assert any(m.startswith("✅ Trunk **term-1** created") for m in sent), sent
    assert sent[-1].startswith("Password (shown only here)"), sent  # answered to the end
    assert fake.bot_token not in out + err
    assert DEMO_ADMIN_TOKEN not in out + err


async def test_bad_bot_token_exits_2_with_one_line(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> None:
    """`trunkbot run` refuses to start on a bad bot token: one line, exit 2."""
    fake = fake_webex_factory()
    (tmp_path / "policy.toml").write_text(POLICY)
    env = bot_env(fake, tmp_path, TRUNKBOT_BOT_TOKEN="wrong-token-123456")
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stderr.strip() == "trunkbot: Webex refused the bot token (TRUNKBOT_BOT_TOKEN)."


async def test_rate_limited_reply_is_retried_not_lost(live: Live) -> None:
    """Webex answers 429 to the bot's reply: it waits Retry-After and posts it once."""
    live.fake.rate_limit_messages(count=1, retry_after=1)
    (answer,) = await live.reply_to(live.alice, live.dm, "help")
    assert answer.startswith("Here's what you can do:")
    # The request log is written after the answer, so only the 429 is certain to be in it
    # yet; the one reply above (posted after it) is the retry.
    posts = live.fake.requests_to("/v1/messages", method="POST")
    assert [p.status for p in posts].count(429) == 1
    assert len(live.fake.messages_from_bot(room=live.dm)) == 1


async def test_stale_device_is_replaced_not_piled_up(live: Live) -> None:
    """Webex forgets the device (404 on the socket): one new registration, the old one deleted."""
    (device,) = [d for d in live.fake.devices if not d.expired]
    registrations = live.fake.device_registrations
    live.fake.expire_device(device)
    await live.fake.drop_connections(abrupt=True)
    await live.fake.wait_connected(timeout=20, total=2)
    (answer,) = await live.reply_to(live.alice, live.dm, "help")
    assert answer.startswith("Here's what you can do:")
    assert live.fake.device_registrations == registrations + 1


async def test_a_crashing_command_is_answered_and_the_bot_lives_on(live: Live) -> None:
    """A bug in one command: that person gets an incident id, the next person is served."""

    async def boom(*_: object, **__: object) -> None:
        raise RuntimeError("internal detail")

    live.runner.app.services.calling.find_location = boom  # type: ignore[method-assign]
    (answer,) = await live.reply_to(live.alice, live.dm, "create trunk name=c-1 location=Madrid")
    assert answer.startswith("❌ Something went wrong on my side (incident `")
    assert "internal detail" not in answer
    (answer,) = await live.reply_to(live.alice, live.dm, "help")
    assert answer.startswith("Here's what you can do:")


async def test_a_command_cut_short_by_a_crash_is_finished_after_restart(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process dies mid-create (webex-bot already acked): the next start fetches the
    message again, settles the half-done create by name, and answers — one trunk, no loss."""
    import commands.create.text

    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    settings = settings_for(fake, tmp_path)
    state.faults.add("latency", method="POST", path_suffix="/premisePstn/trunks", seconds=1.5)

    app, messaging, bot = await prepare(settings)
    first = BotRunner(settings, app=app, messaging=messaging, bot=bot)
    task = asyncio.create_task(first.run())
    await fake.wait_connected(timeout=10)
    alice = fake.add_person("alice@example.com", "Alice Example")
    dm = fake.add_room("direct", [alice])
    await fake.user_says(alice, dm, "create trunk name=crash-1 location=Madrid")
    await fake.wait_for_bot_messages(1, room=dm, timeout=15)  # "Creating…": POST in flight
    for in_flight in list(first.in_flight):  # the process dies: nothing finishes
        in_flight.cancel()
    first.stop.set()
    await asyncio.wait_for(task, timeout=30)
    await app.aclose()
    await asyncio.sleep(2)  # whatever Webex was doing with the POST, it has finished now

    monkeypatch.setattr(commands.create.text, "STALE_CREATE_SECONDS", 0.0)
    app, messaging, bot = await prepare(settings)
    second = BotRunner(
        settings, app=app, messaging=messaging, bot=bot, recover_after=0.0, stale_create=0.0
    )
    task = asyncio.create_task(second.run())
    try:
        replies = await fake.wait_for_bot_messages(2, room=dm, timeout=20)
        final = replies[-1].markdown or ""
        assert final.startswith(("✅ Already done: trunk **crash-1**", "Creating registering")), (
            final
        )
        if final.startswith("Creating"):  # Webex had not committed: created now, once
            # the second "Creating…", the result, then the password and configuration
            replies = await fake.wait_for_bot_messages(4, room=dm, timeout=20)
            assert any(
                (r.markdown or "").startswith("✅ Trunk **crash-1** created") for r in replies
            )
        assert [t.name for t in state.trunks.values()].count("crash-1") == 1
        for _ in range(50):  # the intake row is completed right after the answer
            if await app.services.store.pending_intake(0.0) == []:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the recovered message was never marked done")
    finally:
        second.stop.set()
        await asyncio.wait_for(task, timeout=30)
        await app.aclose()
