"""The fake calling API's per-second limit: past N requests in a second, 429 with a whole
``Retry-After`` and nothing handled; the window slides; other paths are not limited."""

from __future__ import annotations

import httpx

from webexfake.calling import DEMO_ADMIN_TOKEN, SandboxState, SandboxTransport
from webexfake.faults_rate import RateLimit

LOCATIONS = "https://webexapis.com/v1/telephony/config/locations"


async def test_past_the_limit_it_answers_429_with_retry_after() -> None:
    state = SandboxState.seeded()
    now = [100.0]
    limit = RateLimit(per_second=3, clock=lambda: now[0])
    state.faults.rate_limit = limit
    headers = {"Authorization": f"Bearer {DEMO_ADMIN_TOKEN}"}
    async with httpx.AsyncClient(transport=SandboxTransport(state), headers=headers) as client:
        statuses = [(await client.get(LOCATIONS)).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = await client.get(LOCATIONS)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        assert "trackingId" in refused.json()
        now[0] += 0.5
        assert (await client.get(LOCATIONS)).status_code == 429
        now[0] += 0.51  # the first three left the window
        assert (await client.get(LOCATIONS)).status_code == 200
        assert (await client.get("https://webexapis.com/v1/people/me")).status_code != 429
    assert (limit.admitted, limit.refused) == (4, 2)
