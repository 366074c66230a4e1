"""The clients' transport: a burst is spread over several keep-alive pools (the pool with
the fewest requests in flight takes the next one), each pool frees its slot when the
response is read, and TLS trusts SSL_CERT_FILE as httpx's default does."""

from __future__ import annotations

import asyncio

import httpx

from bot.webex.pools import SpreadTransport
from tests.fake_webex.plugin import fake_webex, fake_webex_factory  # noqa: F401  -- fixtures
from webexfake.messaging import FakeWebex


async def test_a_burst_is_spread_and_every_slot_is_freed(
    fake_webex: FakeWebex,  # noqa: F811  -- the fixture
) -> None:
    fake_webex.set_latency("/v1/people/me", 3.0)  # held while we look
    transport = SpreadTransport(pools=4, per_pool=5)
    headers = {"Authorization": f"Bearer {fake_webex.bot_token}"}
    async with httpx.AsyncClient(
        base_url=fake_webex.api_url, transport=transport, headers=headers
    ) as client:
        burst = [asyncio.create_task(client.get("people/me")) for _ in range(12)]
        await asyncio.sleep(0.1)  # every request has been handed to a pool
        assert transport.in_flight == [3, 3, 3, 3]
        answers = await asyncio.gather(*burst)
        assert [a.status_code for a in answers] == [200] * 12
        assert {a.json()["id"] for a in answers} == {fake_webex.bot.id}
        assert transport.in_flight == [0, 0, 0, 0]
        failed = await client.get("people/nobody")  # an error answer frees its slot too
        assert failed.status_code == 404
        assert transport.in_flight == [0, 0, 0, 0]
