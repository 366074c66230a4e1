"""Leases on pending work (bot/store/leases.py), on both databases: a replica's unfinished
intake rows and create keys are its own while it renews them, and another replica's once
the lease lapses; each taken over by exactly one replica."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.store import ClaimStatus, CreateState, Store, open_store
from bot.store.leases import working_on
from tests.test_store import at, url  # noqa: F401  -- the two-dialect fixture

LEASE = 30.0


@pytest.fixture
async def pair(url: str) -> AsyncIterator[tuple[Store, Store]]:  # noqa: F811
    """Two replicas, named, on one database."""
    a, b = await asyncio.gather(open_store(url), open_store(url))
    a.replica, b.replica = "replica-a", "replica-b"
    a.lease_seconds = b.lease_seconds = LEASE
    async with a, b:
        yield a, b


async def test_a_leased_intake_row_is_taken_over_only_when_the_lease_lapses(
    pair: tuple[Store, Store],
) -> None:
    a, b = pair
    assert await a.record_intake("msg-1", "message", "{}", leased=True, now=at(0))
    # The lease holds even past the no-lease rule's window (older_than 0).
    assert await b.pending_intake(0, leased=True, now=at(29)) == []
    assert await a.renew_leases(["msg-1"], [], now=at(29)) == 1  # a is alive: to at(59)
    assert await b.pending_intake(0, leased=True, now=at(58)) == []
    # a dies (renews no more): once the lease lapses exactly one of the others takes it.
    first, second = await asyncio.gather(
        b.pending_intake(0, leased=True, now=at(60)),
        a.pending_intake(0, leased=True, now=at(60)),
    )
    assert [i.event_id for i in first + second] == ["msg-1"]
    taker = b if first else a
    other = a if first else b
    # Now the taker holds it under its own lease; the other can neither renew nor take it.
    assert await other.renew_leases(["msg-1"], [], now=at(61)) == 0
    assert await other.pending_intake(0, leased=True, now=at(89)) == []
    assert await taker.renew_leases(["msg-1"], [], now=at(85)) == 1
    assert await taker.complete_intake("msg-1", now=at(90))
    assert await other.pending_intake(0, leased=True, now=at(500)) == []
    assert await taker.renew_leases(["msg-1"], [], now=at(501)) == 0  # finished: nothing left


async def test_a_create_begun_in_an_intake_task_is_leased_and_reconciled_after_it_lapses(
    pair: tuple[Store, Store],
) -> None:
    a, b = pair
    keys: set[str] = set()

    async def in_intake_task() -> ClaimStatus:
        working_on(keys)
        claim = await a.begin_create(
            "msg-1", name="lon-1", org_id=None, location_id="loc", requester="p", now=at(0)
        )
        return claim.status

    assert await asyncio.create_task(in_intake_task()) is ClaimStatus.OWNER
    assert keys == {"msg-1"}  # the task's keys, for the lease loop to renew
    # Far past the no-lease window, but a renews: not for reconciliation.
    assert await a.renew_leases([], keys, now=at(25)) == 1
    assert await b.pending_creates(0, now=at(50)) == []
    # a dies: the lease lapses, and one replica takes the key to reconcile it.
    taken = await asyncio.gather(b.pending_creates(0, now=at(56)), a.pending_creates(0, now=at(56)))
    assert [r.key for r in taken[0] + taken[1]] == ["msg-1"]
    record = await b.get_create("msg-1")
    assert record is not None
    assert record.state is CreateState.PENDING


async def test_a_create_outside_an_intake_task_keeps_the_staleness_rule(
    pair: tuple[Store, Store],
) -> None:
    """A bulk row's key (no intake task) has no lease: reconciled only when stale."""
    a, b = pair
    claim = await a.begin_create(
        "bulk:1", name="b-1", org_id=None, location_id="loc", requester="p", now=at(0)
    )
    assert claim.status is ClaimStatus.OWNER
    assert await b.pending_creates(300, now=at(299)) == []
    [stale] = await b.pending_creates(300, now=at(300))
    assert stale.key == "bulk:1"
    # Taken by b: another replica reconciling in the same moment gets nothing.
    assert await a.pending_creates(300, now=at(300)) == []
