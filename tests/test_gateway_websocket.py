"""`gateway config` and `add trunk … to route group …` through the real transport: webex-bot
over TLS to the fake Webex (messaging and calling halves on one host)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.chat import seed_trunk
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_over_websocket
from tests.test_websocket_cards import Live
from webexfake.calling import SandboxState, seeded_id
from webexfake.messaging import FakeWebex

POLICY = """
[[grant]]
domains   = ["example.com"]
actions   = ["trunk.read", "routegroup.write"]
locations = ["Madrid"]
orgs      = ["*"]
"""


@pytest.fixture
async def live(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Live]:
    state = SandboxState.seeded()
    seed_trunk(state, "mad-ws-1", "Madrid")
    async with bot_over_websocket(fake_webex_factory, tmp_path, POLICY, state) as (fake, runner):
        alice = fake.add_person("alice@example.com", "Alice Example")
        yield Live(fake, state, runner, alice, fake.add_room("direct", [alice]))


async def say(live: Live, text: str, n: int = 1) -> list[str]:
    before = live.count(live.dm)
    await live.fake.user_says(live.alice, live.dm, text)
    msgs = await live.fake.wait_for_bot_messages(before + n, room=live.dm, timeout=15)
    return [m.markdown or m.text or "" for m in msgs[before:]]


async def test_gateway_config_over_the_websocket(live: Live) -> None:
    trunk = live.state.trunks[seeded_id("TRUNK", "mad-ws-1")]
    (answer,) = await say(live, "gateway config mad-ws-1")
    assert answer.startswith("Gateway configuration for trunk **mad-ws-1**")
    user = trunk.line_port.partition("@")[0]
    assert f" credentials number {user} username {trunk.sip_authentication_user_name} " in answer
    assert "<TRUNK-PASSWORD>" in answer
    assert trunk.password not in answer


async def test_add_to_route_group_over_the_websocket(live: Live) -> None:
    (answer,) = await say(live, "add trunk mad-ws-1 to route group EU-LGWs")
    assert answer.startswith("✅ Trunk **mad-ws-1** added to route group **EU-LGWs**.")
    assert "• 2: **mad-ws-1**, Madrid" in answer
    group = live.state.route_groups[seeded_id("ROUTE_GROUP", "EU-LGWs")]
    assert [t for t, _ in group.local_gateways] == [
        seeded_id("TRUNK", "London-LGW-1"),
        seeded_id("TRUNK", "mad-ws-1"),
    ]
