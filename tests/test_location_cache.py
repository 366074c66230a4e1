"""A create looks its location up from a recent answer (one calling request fewer per
command), yet a location made a moment ago works at once, and listings are always fresh."""

from __future__ import annotations

import asyncio

from tests.chat import make_chat

LOCATIONS = "/telephony/config/locations"


def location_reads(chat) -> int:  # type: ignore[no-untyped-def]
    return len([r for r in chat.state.calls("GET") if r.path.endswith(LOCATIONS)])


async def test_creates_share_one_read_of_the_locations() -> None:
    chat = await make_chat()
    try:
        for n in range(4):
            replies = await chat.say(f"create trunk name=cache-{n} location=Madrid")
            assert any("created in **Madrid**" in r.markdown for r in replies)
        assert location_reads(chat) == 1
        assert len(chat.trunk_posts()) == 4
    finally:
        await chat.app.aclose()


async def test_a_new_location_is_found_at_once_and_a_listing_is_fresh() -> None:
    chat = await make_chat()
    try:
        await chat.say("create trunk name=warm-1 location=Madrid")
        chat.state.add_location("Lisbon")
        replies = await chat.say("create trunk name=lis-1 location=Lisbon")
        assert any("created in **Lisbon**" in r.markdown for r in replies)
        assert location_reads(chat) == 2  # the miss read them again, once
    finally:
        await chat.app.aclose()


async def test_a_burst_on_a_cold_cache_reads_the_locations_once() -> None:
    """Creates arriving together wait for the first read of the locations rather than each
    making its own (the first read of a start, or the one after the cache expires)."""
    chat = await make_chat()
    try:
        answers = await asyncio.gather(
            *(chat.say(f"create trunk name=burst-{n} location=Madrid") for n in range(6))
        )
        for replies in answers:
            assert any("created in **Madrid**" in r.markdown for r in replies), [
                r.markdown for r in replies
            ]
        assert location_reads(chat) == 1
        assert len(chat.state.calls("GET", "/people/me")) == 1  # the token's org, asked once
        assert len(chat.trunk_posts()) == 6
    finally:
        await chat.app.aclose()
