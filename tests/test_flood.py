"""Flood control: one person's burst costs them, not anyone else.

Unit tests drive the guard with a fake clock; the router tests use the default limits (10 a
minute, 3 in flight); the last test floods through the real webex-bot websocket and times
another person's create against the same create alone.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot import replies
from bot.events import Actor, Event, Space, SpaceKind
from bot.flood import FloodGuard, Verdict
from bot.transports.shell import person_id_for
from tests.chat import make_chat
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.test_websocket_e2e import Live, live  # noqa: F401  -- fixture


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_rate_is_per_person_and_told_once_a_window() -> None:
    clock = Clock()
    guard = FloodGuard(per_minute=3, in_flight=10, clock=clock)
    verdicts = []
    for _ in range(6):
        verdicts.append(guard.enter("mallory"))
        guard.leave("mallory")
    assert verdicts == [Verdict.GO] * 3 + [Verdict.TELL_RATE, Verdict.DROP, Verdict.DROP]
    assert guard.enter("bob") is Verdict.GO  # someone else is not affected
    assert guard.retry_after("mallory") == pytest.approx(60.0)
    clock.now += 60.5
    assert guard.enter("mallory") is Verdict.GO


def test_in_flight_is_capped_and_released() -> None:
    guard = FloodGuard(per_minute=100, in_flight=2, clock=Clock())
    assert [guard.enter("m") for _ in range(4)] == [
        Verdict.GO,
        Verdict.GO,
        Verdict.TELL_BUSY,
        Verdict.DROP,
    ]
    guard.leave("m")
    assert guard.enter("m") is Verdict.GO


def test_memory_is_bounded_but_never_forgets_someone_mid_command() -> None:
    guard = FloodGuard(clock=Clock(), max_people=3)
    busy = guard.enter("busy")
    for person in ("a", "b", "c", "d"):
        guard.enter(person)
        guard.leave(person)
    assert busy is Verdict.GO
    assert len(guard._people) <= 4
    assert "busy" in guard._people  # its leave() still counts
    guard.leave("busy")


def test_an_unlisted_person_is_answered_once_a_minute() -> None:
    clock = Clock()
    guard = FloodGuard(clock=clock)
    assert [guard.may_answer_refusal("eve") for _ in range(3)] == [True, False, False]
    clock.now += 61
    assert guard.may_answer_refusal("eve")


def _message(n: int, person: str, org: str) -> Event:
    return Event(
        id=f"flood-{person}-{n}",
        actor=Actor(person_id_for(person), person, org),
        space=Space("room-direct", SpaceKind.DIRECT),
        text="help",
        message_id=f"flood-{person}-{n}",
        mentions_bot=True,
    )


async def test_a_flood_through_the_router_is_answered_once_and_bounded() -> None:
    """600 messages from one person in no time: 10 answered, one polite notice, 11 audit
    rows at most; another person is answered as usual."""
    chat = await make_chat(rate_per_minute=10, max_in_flight=3)
    try:
        org = chat.state.org_id
        answered = 0
        for n in range(600):
            ctx = await chat.app.router.handle(_message(n, "alice@example.com", org), chat.outbox)
            answered += ctx is not None
        notices = [r for r in chat.outbox.sent if r.markdown.startswith("You're sending")]
        assert len(notices) == 1
        assert answered == 11
        rows = await chat.app.services.store.list_audit()
        assert len([r for r in rows if r.result == "rate-limited"]) == 1
        bob = await chat.app.router.handle(_message(0, "bob@example.com", org), chat.outbox)
        assert bob is not None
        assert bob.sent[0].markdown.startswith("Here's what you can do:")
    finally:
        await chat.app.aclose()


async def test_too_many_at_once_from_one_person_are_set_aside() -> None:
    """With 3 of someone's commands still running, a 4th is set aside with a sentence."""
    chat = await make_chat(rate_per_minute=100, max_in_flight=3)
    try:
        gate = asyncio.Event()
        original = chat.app.services.calling.list_locations

        async def slow(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            await gate.wait()
            return await original(*args, **kwargs)  # type: ignore[arg-type]

        chat.app.services.calling.list_locations = slow  # type: ignore[method-assign]
        running = [
            asyncio.create_task(chat.say(f"create trunk name=busy-{i} location=Madrid"))
            for i in range(3)
        ]
        await asyncio.sleep(0.05)
        fourth = await chat.say("create trunk name=busy-3 location=Madrid")
        assert [r.markdown for r in fourth] == [replies.one_at_a_time(3)]
        gate.set()
        await asyncio.gather(*running)
        assert sorted(p["name"] for p in chat.trunk_posts()) == ["busy-0", "busy-1", "busy-2"]
    finally:
        await chat.app.aclose()


async def test_someone_unlisted_hears_no_once_a_minute_and_is_audited_each_time() -> None:
    chat = await make_chat()
    try:
        answers = [
            await chat.say("create trunk name=x location=Madrid", person="eve@evil.example")
            for _ in range(5)
        ]
        assert [len(a) for a in answers] == [1, 0, 0, 0, 0]
        rows = await chat.app.services.store.list_audit(person="eve@evil.example")
        assert len(rows) == 5
        assert {r.decision for r in rows} == {"refused"}
    finally:
        await chat.app.aclose()


async def _create_latency(rig: Live, person_email: str, name: str) -> float:
    person = rig.fake.add_person(person_email, person_email)
    room = rig.fake.add_room("direct", [person])
    started = time.monotonic()
    texts = await rig.reply_to(person, room, f"create trunk name={name} location=Madrid", n=2)
    assert texts[-1].startswith(f"✅ Trunk **{name}** created"), texts
    return time.monotonic() - started


async def test_a_flood_over_the_websocket_does_not_slow_anyone_else(
    live: Live,  # noqa: F811
) -> None:
    """250 forms from one person at once, through webex-bot's websocket: another person's
    create stays within twice its time alone, and the flooder gets a handful of answers."""
    live.state.faults.add("latency", seconds=0.3, times=None)
    solo = await _create_latency(live, "solo@example.com", "solo-1")
    flooder = live.fake.add_person("flood@example.com", "Flood")
    flood_room = live.fake.add_room("direct", [flooder])
    flood = asyncio.gather(
        *(live.fake.user_says(flooder, flood_room, "create trunk") for _ in range(250))
    )
    await asyncio.sleep(0.05)
    during = await _create_latency(live, "bob@example.com", "bob-1")
    await flood
    assert during <= 2 * solo, (during, solo)
    await asyncio.sleep(0.5)
    answers = live.fake.messages_from_bot(room=flood_room, include_deleted=True)
    assert 1 <= len(answers) <= 11, len(answers)
