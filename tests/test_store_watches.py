"""Trunk watches in the store (both databases): one per trunk, leased to one replica at a
time, rescheduled and ended once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store, open_store
from tests.pg import fresh_schema, require_server
from tests.test_store import at

TRUNK = "trunk-1"


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'trunkbot.db'}"
        return
    async with fresh_schema(require_server()) as schema_url:
        yield schema_url


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with await open_store(url) as opened:
        yield opened


@pytest.fixture
async def replicas(url: str) -> AsyncIterator[tuple[Store, Store]]:
    first, second = await asyncio.gather(open_store(url), open_store(url))
    async with first, second:
        yield first, second


async def _add(store: Store, trunk: str = TRUNK, **kw: object) -> bool:
    args: dict[str, object] = {
        "name": "lon-1",
        "org_id": None,
        "requester": "person-alice",
        "email": "alice@example.com",
        "first_in": 60,
        "watch_for": 1800,
        "now": at(0),
    }
    args.update(kw)
    return await store.add_watch(trunk, **args)  # type: ignore[arg-type]


async def test_a_watch_is_due_when_its_time_comes_and_leased_once(store: Store) -> None:
    assert await _add(store)
    assert not await _add(store, requester="person-bob")  # the first watch stays
    assert await store.due_watches(limit=10, lease_seconds=120, now=at(30)) == []
    [due] = await store.due_watches(limit=10, lease_seconds=120, now=at(60))
    assert (due.trunk_id, due.requester, due.attempts) == (TRUNK, "person-alice", 0)
    assert due.deadline == at(1800)
    # Leased: nobody else gets it until the lease ends.
    assert await store.due_watches(limit=10, lease_seconds=120, now=at(61)) == []
    assert [w.trunk_id for w in await store.due_watches(limit=10, lease_seconds=120, now=at(181))]


async def test_reschedule_counts_a_look_and_ends_the_lease(store: Store) -> None:
    await _add(store)
    await store.due_watches(limit=10, lease_seconds=120, now=at(60))
    assert await store.reschedule_watch(TRUNK, next_in=90, now=at(61))
    assert await store.due_watches(limit=10, lease_seconds=120, now=at(150)) == []
    [due] = await store.due_watches(limit=10, lease_seconds=120, now=at(151))
    assert due.attempts == 1


async def test_only_one_caller_ends_a_watch(store: Store) -> None:
    await _add(store)
    assert await store.end_watch(TRUNK)
    assert not await store.end_watch(TRUNK)
    assert await store.get_watch(TRUNK) is None
    assert await _add(store)  # watched again later: a fresh watch


async def test_limit_bounds_what_one_round_takes(store: Store) -> None:
    for n in range(5):
        await _add(store, f"trunk-{n}")
    first = await store.due_watches(limit=3, lease_seconds=120, now=at(60))
    rest = await store.due_watches(limit=3, lease_seconds=120, now=at(60))
    assert len(first) == 3
    assert len(rest) == 2
    assert {w.trunk_id for w in first}.isdisjoint({w.trunk_id for w in rest})


async def test_two_replicas_never_take_the_same_watch(replicas: tuple[Store, Store]) -> None:
    one, two = replicas
    for n in range(20):
        await _add(one, f"trunk-{n}")
    got = await asyncio.gather(
        *(s.due_watches(limit=20, lease_seconds=120, now=at(60)) for s in (one, two, one, two))
    )
    taken = [w.trunk_id for batch in got for w in batch]
    assert sorted(taken) == sorted(f"trunk-{n}" for n in range(20))
