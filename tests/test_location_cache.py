"""A create looks its location up from a recent answer (one calling request fewer per
command), yet a location made a moment ago works at once, and listings are always fresh.
Reads are shared, an expired answer serves while one read replaces it, and the bot starts
the first read at start-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from bot.startup import prepare
from bot.webex.calling import CallingClient
from bot.webex.http import WebexHttp
from bot.webex.locations import LOCATIONS_STALE, LOCATIONS_TTL, LocationNotFound
from tests.chat import make_chat
from tests.fake_webex.plugin import fake_webex, fake_webex_factory  # noqa: F401  -- fixtures
from tests.live import bot_settings
from webexfake.calling import SandboxState
from webexfake.calling import build_app as build_sandbox
from webexfake.messaging import FakeWebex

POLICY = (
    '[[grant]]\ndomains=["example.com"]\nactions=["trunk.create"]\nlocations=["*"]\n'
    'orgs=["*"]\nconfirm=false\n'
)

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


# --- the cache itself: shared reads, a stale answer while it is replaced, the warm-up ----


class _Locations:
    """Webex's locations endpoint: each read takes ``delay`` seconds; ``fail`` makes it 500."""

    def __init__(self) -> None:
        self.reads = 0
        self.names = ["Madrid"]
        self.delay = 0.0
        self.fail = False

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith(LOCATIONS)
        self.reads += 1
        await asyncio.sleep(self.delay)
        if self.fail:
            return httpx.Response(500, json={"message": "down"})
        items = [{"id": f"LOC-{n}", "name": n} for n in self.names]
        return httpx.Response(200, json={"locations": items})


@contextlib.asynccontextmanager
async def _calling(webex: _Locations, clock: list[float]) -> AsyncIterator[CallingClient]:
    async def token() -> str:
        return "ADMIN-TOKEN-cache"

    async def no_wait(seconds: float) -> None:
        return None

    async with httpx.AsyncClient(
        base_url="https://webexapis.test/v1", transport=httpx.MockTransport(webex)
    ) as client:
        http = WebexHttp(client, token_provider=token, sleep=no_wait)
        yield CallingClient(http, timer=lambda: clock[0])


async def test_waiters_on_a_cold_cache_share_one_read_and_wake_together() -> None:
    webex, clock = _Locations(), [0.0]
    webex.delay = 0.2
    async with _calling(webex, clock) as calling:
        found = await asyncio.gather(*(calling.find_location("Madrid") for _ in range(50)))
    assert {loc.id for loc in found} == {"LOC-Madrid"}
    assert webex.reads == 1


async def test_an_expired_answer_serves_while_one_read_replaces_it() -> None:
    webex, clock = _Locations(), [0.0]
    async with _calling(webex, clock) as calling:
        await calling.find_location("Madrid")
        webex.delay, webex.names = 0.3, ["Madrid", "Lisbon"]
        clock[0] += LOCATIONS_TTL + 1
        at_once = asyncio.create_task(calling.find_location("Madrid"))
        done, _ = await asyncio.wait({at_once}, timeout=0.1)
        assert done, "the stale answer should serve without waiting for the read"
        assert webex.reads == 2  # the read that replaces it is under way
        await asyncio.sleep(0.4)
        assert [loc.name for loc in await calling.list_locations(cached=True)] == [
            "Madrid",
            "Lisbon",
        ]
        assert webex.reads == 2  # fresh again: no third read
        clock[0] += LOCATIONS_STALE + 1  # too old to serve: the caller waits for the read
        webex.names = ["Madrid", "Porto"]
        assert (await calling.find_location("Porto")).id == "LOC-Porto"
        assert webex.reads == 3


async def test_a_failed_background_read_keeps_the_last_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    webex, clock = _Locations(), [0.0]
    async with _calling(webex, clock) as calling:
        await calling.find_location("Madrid")
        webex.fail = True
        clock[0] += LOCATIONS_TTL + 1
        assert (await calling.find_location("Madrid")).id == "LOC-Madrid"
        for _ in range(20):
            await asyncio.sleep(0)
        assert "locations.read_failed" in caplog.messages
        webex.fail = False
        assert (await calling.find_location("Madrid")).id == "LOC-Madrid"
        await asyncio.sleep(0.05)
        assert webex.reads >= 3  # tried again on the next look-up


async def test_the_warm_up_read_is_the_one_the_first_creates_share() -> None:
    webex, clock = _Locations(), [0.0]
    webex.delay = 0.2
    async with _calling(webex, clock) as calling:
        calling.warm_locations()
        await asyncio.sleep(0.05)  # the read is under way when the first creates arrive
        found = await asyncio.gather(*(calling.find_location("Madrid") for _ in range(10)))
        assert {loc.id for loc in found} == {"LOC-Madrid"}
        calling.warm_locations()  # already there: no second read
        await asyncio.sleep(0)
    assert webex.reads == 1


async def test_the_bot_reads_the_locations_once_at_start_up(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811  -- the fixture
    tmp_path: Path,
) -> None:
    """`trunkbot run` and `serve` learn the admin token's org and start reading its
    locations in prepare(): the first create finds both cached."""
    state = SandboxState.seeded()
    fake = fake_webex_factory(extra_app=build_sandbox(state))
    (tmp_path / "policy.toml").write_text(POLICY)
    app, _, _ = await prepare(bot_settings(fake, tmp_path))
    try:
        for _ in range(100):
            if state.calls("GET", LOCATIONS):
                break
            await asyncio.sleep(0.02)
        assert len(state.calls("GET", LOCATIONS)) == 1
        org = await app.services.target_org(None)  # as the router resolves it for a create
        assert (await app.services.calling.find_location("Madrid", org)).name == "Madrid"
        assert len(state.calls("GET", LOCATIONS)) == 1  # the create's look-up found it cached
        assert len(state.calls("GET", "/people/me")) == 1  # the token's org, asked at start
    finally:
        await app.aclose()


async def test_closing_the_app_mid_read_cancels_it_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    webex, clock = _Locations(), [0.0]
    webex.delay = 5.0
    async with _calling(webex, clock) as calling:
        calling.warm_locations()
        await asyncio.sleep(0.05)
        await calling.stop_reads()
    assert webex.reads == 1
    assert "locations.read_failed" not in caplog.messages


async def test_a_burst_of_misses_reads_the_locations_again_once() -> None:
    """Twenty creates naming a location the cached answer lacks share one read again (not
    twenty at once against Webex's rate limit), and a location made meanwhile is found."""
    webex, clock = _Locations(), [0.0]
    async with _calling(webex, clock) as calling:
        await calling.find_location("Madrid")
        webex.delay, webex.names = 0.1, ["Madrid", "Lisbon"]
        found = await asyncio.gather(*(calling.find_location("Lisbon") for _ in range(20)))
        assert {loc.id for loc in found} == {"LOC-Lisbon"}
        assert webex.reads == 2
        with pytest.raises(LocationNotFound):  # a name that isn't there: read once more, told
            await calling.find_location("Atlantis")
        assert webex.reads == 3
