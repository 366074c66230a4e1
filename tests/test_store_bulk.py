"""Bulk jobs in the store, on SQLite and a real PostgreSQL: a job and its rows written whole,
every state move once, one owner at a time with takeover after a silent owner (resume),
each row settled once, and a row's create key claimed once across two replicas."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.store import ClaimStatus, Store, open_store
from bot.store.bulk import JobState, NewRow, RowState
from tests.pg import fresh_schema, require_server
from tests.test_store import at

JOB = "job-1"


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> datetime:
        return at(self.seconds)


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trunkbot.db'}"
        return
    async with fresh_schema(require_server()) as schema_url:
        yield schema_url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def replicas(url: str, clock: Clock) -> AsyncIterator[tuple[Store, Store]]:
    first, second = await asyncio.gather(open_store(url), open_store(url))
    first.clock = second.clock = clock
    async with first, second:
        yield first, second


async def _job(store: Store, rows: int = 3, job_id: str = JOB) -> None:
    await store.bulk.create(
        job_id,
        requester="person-alice",
        room_id="room-1",
        org_id=None,
        request={"file": "sites.csv", "requester": {"person_id": "person-alice"}},
        rows=[
            NewRow(n, f"t-{n}", "loc-1", {"name": f"t-{n}", "type": "REGISTERING"})
            for n in range(2, rows + 2)
        ],
    )


async def test_a_job_and_its_rows_are_written_whole(replicas: tuple[Store, Store]) -> None:
    store, other = replicas
    await _job(store, rows=900)  # more than one INSERT's chunk
    job = await other.bulk.get(JOB)
    assert job is not None
    assert (job.state, job.request["file"], job.owner) == (JobState.AWAITING, "sites.csv", None)
    rows = await other.bulk.rows(JOB)
    assert [r.row_no for r in rows] == list(range(2, 902))
    assert {r.state for r in rows} == {RowState.PENDING}
    assert rows[0].request == {"name": "t-2", "type": "REGISTERING"}


async def test_each_state_move_happens_once(replicas: tuple[Store, Store]) -> None:
    store, other = replicas
    await _job(store)
    moves = await asyncio.gather(
        store.bulk.move(JOB, JobState.RUNNING, only_from=(JobState.AWAITING,)),
        other.bulk.move(JOB, JobState.RUNNING, only_from=(JobState.AWAITING,)),
    )
    assert sorted(moves) == [False, True]
    assert not await store.bulk.end_awaiting(JOB, "rejected")  # running: not ended
    assert not await store.bulk.start_approved(JOB, {"file": "x"})
    assert await store.bulk.move(JOB, JobState.STOPPING, only_from=(JobState.RUNNING,))
    assert [j.job_id for j in await store.bulk.active_for("person-alice")] == [JOB]
    assert await store.bulk.move(
        JOB, JobState.STOPPED, only_from=(JobState.RUNNING, JobState.STOPPING)
    )
    assert await store.bulk.active_for("person-alice") == []


async def test_an_awaiting_job_ends_once_with_why(replicas: tuple[Store, Store]) -> None:
    store, other = replicas
    await _job(store)
    assert await store.bulk.note_awaiting(JOB, {"file": "sites.csv", "approval_id": "a-1"})
    assert [j.job_id for j in await other.bulk.awaiting()] == [JOB]
    ended = await asyncio.gather(
        store.bulk.end_awaiting(JOB, "expired"), other.bulk.end_awaiting(JOB, "rejected")
    )
    assert sorted(ended) == [False, True]
    job = await store.bulk.get(JOB)
    assert job is not None
    assert job.state is JobState.CANCELLED
    assert job.ended in {"expired", "rejected"}
    assert job.request["approval_id"] == "a-1"
    assert await store.bulk.awaiting() == []
    assert not await store.bulk.start_approved(JOB, job.request)


async def test_one_owner_at_a_time_and_a_silent_one_is_taken_over(
    replicas: tuple[Store, Store], clock: Clock
) -> None:
    store, other = replicas
    await _job(store)
    assert await store.bulk.claim(JOB, "owner-a", stale_seconds=30) is None  # not running
    await store.bulk.move(JOB, JobState.RUNNING, only_from=(JobState.AWAITING,))
    claims = await asyncio.gather(
        store.bulk.claim(JOB, "owner-a", stale_seconds=30),
        other.bulk.claim(JOB, "owner-b", stale_seconds=30),
    )
    [winner] = [c for c in claims if c is not None]
    loser = "owner-b" if winner.owner == "owner-a" else "owner-a"
    assert await store.bulk.orphans(stale_seconds=30) == []
    clock.seconds = 20
    assert await store.bulk.beat(JOB, str(winner.owner), "message-1")
    assert not await store.bulk.beat(JOB, loser)
    clock.seconds = 45
    assert await other.bulk.claim(JOB, loser, stale_seconds=30) is None  # beat 25 s ago
    clock.seconds = 51
    [orphan] = await other.bulk.orphans(stale_seconds=30)
    assert orphan.progress_id == "message-1"
    taken = await other.bulk.claim(JOB, loser, stale_seconds=30)
    assert taken is not None
    assert taken.owner == loser
    assert not await store.bulk.beat(JOB, str(winner.owner))  # the old owner lost it
    assert await store.bulk.orphans(stale_seconds=30) == []


async def test_a_row_settles_once_and_resume_sees_only_the_rest(
    replicas: tuple[Store, Store],
) -> None:
    store, other = replicas
    await _job(store)
    settles = await asyncio.gather(
        store.bulk.finish_row(JOB, 2, RowState.CREATED, trunk_id="trunk-2"),
        other.bulk.finish_row(JOB, 2, RowState.FAILED, error="late"),
    )
    assert sorted(settles) == [False, True]
    await store.bulk.finish_row(JOB, 3, RowState.FAILED, error="refused", tracking_id="T-3")
    rows = {r.row_no: r for r in await other.bulk.rows(JOB)}
    assert rows[3].state is RowState.FAILED
    assert (rows[3].error, rows[3].tracking_id) == ("refused", "T-3")
    assert [n for n, r in rows.items() if r.state is RowState.PENDING] == [4]


async def test_a_rows_create_key_is_claimed_once_across_replicas(
    replicas: tuple[Store, Store], clock: Clock
) -> None:
    store, other = replicas
    await _job(store)
    key = f"bulk:{JOB}:2"

    async def claim(s: Store) -> ClaimStatus:
        result = await s.begin_create(
            key, name="t-2", org_id=None, location_id="loc-1", requester="person-alice"
        )
        return result.status

    statuses = await asyncio.gather(claim(store), claim(other))
    assert sorted(statuses) == sorted([ClaimStatus.OWNER, ClaimStatus.IN_PROGRESS])
    await store.complete_create(key, '{"trunk_id": "trunk-2"}')
    clock.seconds += 3600  # however late, a done key stays done
    assert await claim(other) is ClaimStatus.DONE


async def test_a_nul_in_a_request_is_stored_not_refused(replicas: tuple[Store, Store]) -> None:
    """PostgreSQL's jsonb refuses a NUL character (\\u0000): the store replaces it, as it does
    for every other JSON it keeps, so a file whose name or cell holds one is still a job."""
    store, other = replicas
    await store.bulk.create(
        JOB,
        requester="person-alice",
        room_id="room-1",
        org_id=None,
        request={"file": "si\x00tes.csv"},
        rows=[NewRow(2, "t-2", "loc-1", {"name": "t-2", "description": "a\x00b"})],
    )
    job = await other.bulk.get(JOB)
    assert job is not None
    assert job.request["file"] == "si\ufffdtes.csv"
    assert await store.bulk.note_awaiting(JOB, {"file": "x\x00"})
    assert (await other.bulk.rows(JOB))[0].request["description"] == "a\ufffdb"
