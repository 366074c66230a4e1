"""What a crash or the clock leaves open is settled, and the person is told."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from bot.events import Outbox
from commands.create.reconcile import expire_approvals, reconcile_creates
from tests.chat import Chat, make_chat
from tests.clock import StoreClock
from webexfake.calling import seeded_id

MADRID = seeded_id("LOCATION", "Madrid")


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat()
    yield chat
    await chat.app.aclose()


async def _pending(chat: Chat, key: str, name: str) -> None:
    claim = await chat.app.services.store.begin_create(
        key, name=name, org_id=None, location_id=MADRID, requester="PERSON-1"
    )
    assert claim.owner


@pytest.mark.parametrize("exists", [True, False], ids=["created-after-all", "never-created"])
async def test_pending_create_is_settled_by_name(chat: Chat, exists: bool) -> None:
    """An owner died mid-create: the key is settled by looking the trunk up, once, and the
    requester hears the truth 1:1."""
    store = chat.app.services.store
    await _pending(chat, "message:dead-1", "orphan-1")
    if exists:
        # The dead process's POST did land: a trunk of that name exists at Webex.
        await chat.say("create trunk name=orphan-1 location=Madrid")  # alice: confirm=false
        trunk = chat.state.trunk_by_name("orphan-1")
        assert trunk is not None
    chat.outbox.sent.clear()
    assert await reconcile_creates(chat.app.services, chat.outbox, older_than=0.0) == 1
    record = await store.get_create("message:dead-1")
    assert record is not None
    (notice,) = chat.outbox.sent
    assert notice.to_person_id == "PERSON-1"
    if exists:
        assert record.state.value == "done"
        assert json.loads(record.result_json or "{}")["trunk_id"] == trunk.id
        assert notice.markdown.startswith("✅ About your request for trunk **orphan-1**")
    else:
        assert record.state.value == "released"
        assert "nothing was created" in notice.markdown
    assert await reconcile_creates(chat.app.services, chat.outbox, older_than=0.0) == 0


async def test_expired_approval_tells_the_requester(chat: Chat) -> None:
    """An approval nobody decided closes, and the requester is told in their space."""
    clock = StoreClock(chat.app.services.store)
    confirm = next(
        r
        for r in await chat.say(
            "create trunk name=late-1 location=Madrid", person="dave@example.com"
        )
        if r.card
    )
    await chat.submit(confirm, "Create", person="dave@example.com")
    clock.advance(chat.app.services.approval_ttl + 1)
    chat.outbox.sent.clear()
    assert await expire_approvals(chat.app.services, chat.outbox) == 1
    (notice,) = chat.outbox.sent
    assert notice.room_id == "room-direct"
    assert notice.markdown.startswith("Your request for trunk **late-1** expired")
    assert await expire_approvals(chat.app.services, chat.outbox) == 0


@pytest.mark.parametrize(
    ("kind", "name", "says"),
    [
        ("create", "lon-1", "Your request for trunk **lon-1** expired"),
        ("bulk", "sites.csv", "Your request for the trunks from **sites.csv** expired"),
        ("delete", "lon-1", "Your request to delete trunk **lon-1** expired"),
        ("connect", "lon-1 to Madrid's PSTN", "Your request to connect **lon-1 to Madrid"),
    ],
)
def test_an_expired_approval_names_what_was_asked(kind: str, name: str, says: str) -> None:
    from bot import replies

    assert replies.approval_expired(name, kind).startswith(says)


async def test_a_resumed_request_waits_for_whoever_is_settling_its_key(chat: Chat) -> None:
    """A resumed request finds its create key pending and held by someone else (the
    reconciliation job, settling it by name at that moment): it waits for the verdict — here
    "released", so it creates the trunk itself — instead of answering "in progress" and
    leaving the person with only the job's "try again"."""
    from commands.create.text import _settled

    store = chat.app.services.store
    await _pending(chat, "message:held-1", "held-1")
    record = await store.get_create("message:held-1")
    assert record is not None

    async def reconciliation() -> None:
        await asyncio.sleep(0.3)
        assert await store.fail_create("message:held-1", "{}", retryable=True)

    job = asyncio.create_task(reconciliation())
    verdict = await _settled(chat.app.services, "message:held-1", record)
    await job
    assert verdict is not None
    assert verdict.state.value == "released"


async def test_a_key_whose_message_will_be_resumed_is_left_to_that_message(chat: Chat) -> None:
    """The message behind a pending create key is still unfinished in the intake: recovery
    will fetch it again and its resumed request settles the key and answers in its space. The
    job leaves it alone (no second, contradicting notice); once the message is finished or
    given up, the job settles what is left."""
    store = chat.app.services.store
    await _pending(chat, "message:evt-9", "resumed-1")
    assert await store.record_intake("evt-9", "message", json.dumps({"id": "evt-9"}))
    chat.outbox.sent.clear()
    assert await reconcile_creates(chat.app.services, chat.outbox, older_than=0.0) == 0
    record = await store.get_create("message:evt-9")
    assert record is not None
    assert record.state.value == "pending"
    assert chat.outbox.sent == []
    assert await store.abandon_intake("evt-9")  # recovery gave it up (or it was answered)
    assert await reconcile_creates(chat.app.services, chat.outbox, older_than=0.0) == 1
    (notice,) = chat.outbox.sent
    assert "nothing was created" in notice.markdown


async def test_a_failing_job_does_not_starve_the_ones_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One round runs every job even when one before it fails, in `trunkbot run`'s loop
    (Intake.maintain) and through bot.events.run_jobs, which the shell's loop uses too."""
    from bot.events import run_jobs
    from tests.runner_harness import harness

    ran: list[str] = []

    async def broken(outbox: object, stale_after: float) -> None:
        ran.append("broken")
        raise RuntimeError("a bug in one feature's job")

    async def healthy(outbox: object, stale_after: float) -> None:
        ran.append("healthy")

    await run_jobs([broken, healthy], cast(Outbox, None), 1.0)
    assert ran == ["broken", "healthy"]
    failed = [r for r in caplog.records if r.getMessage() == "maintenance.failed"]
    assert [getattr(r, "job", None) for r in failed] == [broken.__qualname__]

    ran.clear()
    async with harness() as h:
        cast(Any, h.runner.app).jobs = [broken, healthy]
        h.runner.maintenance_every = 0.05
        maintenance = asyncio.create_task(h.runner.maintain())
        try:
            for _ in range(100):
                if ran.count("healthy") >= 2:
                    break
                await asyncio.sleep(0.02)
        finally:
            h.runner.stop.set()
            await asyncio.wait_for(maintenance, 5)
    assert ran[:4] == ["broken", "healthy", "broken", "healthy"]
