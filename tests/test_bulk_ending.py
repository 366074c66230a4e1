"""A file that never runs: a rejected or expired approval, or a Create card left unpressed,
ends its job in the store (rejected / expired), the requester hears it once, and nothing is
created — not even when the card is pressed afterwards."""

from __future__ import annotations

from bot.store.bulk import JobState
from commands.bulk import run
from tests.chat import ALICE, Chat, make_chat
from tests.clock import StoreClock
from tests.test_bulk import APPROVAL_POLICY, DAVE, ERIN, FileOutbox, send

BODY = "name,location\nend-1,Madrid\nend-2,London HQ\n"


async def _run_jobs(chat: Chat) -> None:
    for job in chat.app.jobs:
        await job(chat.outbox, 300.0)
    await run.wait_all()


async def _only_job(chat: Chat) -> tuple[str, str | None, JobState]:
    store = chat.app.services.store
    rows = await store._db.fetch("SELECT job_id FROM bulk_jobs", [])
    [row] = rows
    job = await store.bulk.get(str(row["job_id"]))
    assert job is not None
    return job.job_id, job.ended, job.state


def _to(chat: Chat, room: str, words: str) -> list[str]:
    return [r.markdown for r in chat.outbox.sent if r.room_id == room and words in r.markdown]


async def _asked(chat: Chat) -> object:
    replies = await send(chat, BODY, person=DAVE)
    asked = await chat.submit(replies[-1], "Create", person=DAVE)
    [card] = [r for r in asked if r.room_id == "ROOM-APPROVERS"]
    return card


async def test_a_rejected_approval_ends_the_job_and_creates_nothing() -> None:
    chat = await make_chat(policy=APPROVAL_POLICY)
    chat.outbox = FileOutbox()
    try:
        card = await _asked(chat)
        await chat.submit(card, "Reject", person=ERIN, room_id="ROOM-APPROVERS")  # type: ignore[arg-type]
        await _run_jobs(chat)
        _job_id, ended, state = await _only_job(chat)
        assert (state, ended) == (JobState.CANCELLED, "rejected")
        told = _to(chat, "room-direct", "rejected your request for the trunks from **sites.csv**")
        assert len(told) == 1
        await _run_jobs(chat)  # a second sweep changes and says nothing
        assert len(_to(chat, "room-direct", "rejected")) == 1
        again = await chat.submit(card, "Approve", person=ERIN, room_id="ROOM-APPROVERS")  # type: ignore[arg-type]
        assert "Approved" not in again[-1].markdown
        await run.wait_all()
        assert chat.trunk_posts() == []
        audit = await chat.app.services.store.list_audit()
        assert any(a.result == "bulk: rejected, nothing created" for a in audit)
    finally:
        await chat.app.aclose()


async def test_an_expired_approval_ends_the_job_and_creates_nothing() -> None:
    chat = await make_chat(policy=APPROVAL_POLICY)
    chat.outbox = FileOutbox()
    clock = StoreClock(chat.app.services.store)
    try:
        card = await _asked(chat)
        clock.advance(chat.app.services.approval_ttl + 1)
        await _run_jobs(chat)
        _job_id, ended, state = await _only_job(chat)
        assert (state, ended) == (JobState.CANCELLED, "expired")
        told = _to(chat, "room-direct", "expired before an approver decided")
        assert len(told) == 1
        assert "the trunks from **sites.csv**" in told[0]
        late = await chat.submit(card, "Approve", person=ERIN, room_id="ROOM-APPROVERS")  # type: ignore[arg-type]
        assert "Approved" not in late[-1].markdown
        await run.wait_all()
        assert chat.trunk_posts() == []
    finally:
        await chat.app.aclose()


async def test_an_unpressed_create_card_ends_the_job_once_it_expires() -> None:
    chat = await make_chat()
    chat.outbox = FileOutbox()
    clock = StoreClock(chat.app.services.store)
    try:
        replies = await send(chat, BODY)
        await _run_jobs(chat)
        assert (await _only_job(chat))[2] is JobState.AWAITING  # the card still lives
        clock.advance(chat.app.services.card_ttl + 120)
        await _run_jobs(chat)
        _job_id, ended, state = await _only_job(chat)
        assert (state, ended) == (JobState.CANCELLED, "expired")
        told = _to(chat, "room-direct", "The Create card for **sites.csv** expired")
        assert len(told) == 1
        await _run_jobs(chat)
        assert len(_to(chat, "room-direct", "The Create card")) == 1
        await chat.submit(replies[-1], "Create", person=ALICE)
        await run.wait_all()
        assert chat.trunk_posts() == []
    finally:
        await chat.app.aclose()
