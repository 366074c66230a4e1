"""The people cache forgets: records expire after their TTL and the cache has a maximum size."""

from __future__ import annotations

from typing import cast

from bot.errors import WebexError
from bot.intake.people import PEOPLE_MAX, PeopleCache
from bot.webex.messaging import MessagingClient, Person


class Clock:
    """A timer the test moves by hand: no real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class People:
    """Stands in for the messaging client's person lookup; counts the calls per id."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.failing = failing

    async def get_person(self, person_id: str) -> Person:
        self.calls.append(person_id)
        if person_id in self.failing:
            raise WebexError("Webex didn't answer.")
        return Person(id=person_id, emails=[f"{person_id}@example.com"], org_id="org-1")


def cache(people: People, clock: Clock, *, ttl: float = 600.0, maxsize: int = 3) -> PeopleCache:
    return PeopleCache(cast(MessagingClient, people), ttl=ttl, maxsize=maxsize, timer=clock)


async def test_a_record_is_served_from_the_cache_until_its_ttl() -> None:
    people, clock = People(), Clock()
    c = cache(people, clock)
    first = await c.get("p1")
    clock.now += 599
    assert await c.get("p1") is first
    assert people.calls == ["p1"]
    clock.now += 2  # 601 s after it was fetched
    assert "p1" not in c
    assert len(c) == 0
    again = await c.get("p1")
    assert again is not None
    assert again.email == "p1@example.com"
    assert people.calls == ["p1", "p1"]


async def test_the_cache_never_holds_more_than_its_maximum() -> None:
    people, clock = People(), Clock()
    c = cache(people, clock, maxsize=3)
    for n in range(10):
        await c.get(f"p{n}")
        clock.now += 1
    assert len(c) == 3
    assert [f"p{n}" in c for n in range(10)] == [False] * 7 + [True] * 3
    await c.get("p0")  # evicted: fetched again
    assert people.calls.count("p0") == 2


async def test_the_least_recently_used_goes_first() -> None:
    people, clock = People(), Clock()
    c = cache(people, clock, maxsize=2)
    await c.get("a")
    await c.get("b")
    await c.get("a")  # a hit: "a" is now the most recent
    await c.get("c")
    assert ("a" in c, "b" in c, "c" in c) == (True, False, True)


async def test_a_failed_lookup_is_not_cached() -> None:
    people, clock = People(failing=frozenset({"gone"})), Clock()
    c = cache(people, clock)
    assert await c.get("gone") is None
    assert await c.get("gone") is None
    assert people.calls == ["gone", "gone"]
    assert len(c) == 0


def test_the_default_is_bounded() -> None:
    c = PeopleCache(cast(MessagingClient, People()))
    assert c._cache.maxsize == PEOPLE_MAX == 10_000
    assert c._cache.ttl == 600.0
