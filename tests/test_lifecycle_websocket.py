"""List, update and delete through the real transport: webex-bot over TLS to the fake Webex."""

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
actions   = ["trunk.read", "trunk.update", "trunk.delete"]
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
    seed_trunk(state, "mad-ws-2", "Madrid")
    async with bot_over_websocket(fake_webex_factory, tmp_path, POLICY, state) as (fake, runner):
        alice = fake.add_person("alice@example.com", "Alice Example")
        yield Live(fake, state, runner, alice, fake.add_room("direct", [alice]))


async def say(live: Live, text: str, n: int = 1) -> list[str]:
    before = live.count(live.dm)
    await live.fake.user_says(live.alice, live.dm, text)
    msgs = await live.fake.wait_for_bot_messages(before + n, room=live.dm, timeout=15)
    return [m.markdown or m.text or "" for m in msgs[before:]]


async def test_list_over_the_websocket(live: Live) -> None:
    (answer,) = await say(live, "list trunks")
    assert answer.startswith("Trunks (2):")
    assert "**mad-ws-1** — Madrid" in answer
    assert "London-LGW-1" not in answer


async def test_update_then_delete_over_the_websocket(live: Live) -> None:
    before = live.count(live.dm)
    await live.fake.user_says(live.alice, live.dm, "update trunk mad-ws-1 name=mad-ws-9")
    summary = await live.next_card(live.dm, before)
    after = live.count(live.dm)
    await live.press(live.alice, live.dm, summary, "Change", {})
    (done,) = await live.texts_after(live.dm, after, 1)
    assert done.startswith("✅ Trunk **mad-ws-9** updated")
    assert "Password (shown only here)" in done
    assert live.state.trunk_by_name("mad-ws-9") is not None

    before = live.count(live.dm)
    await live.fake.user_says(live.alice, live.dm, "delete trunk mad-ws-9")
    summary = await live.next_card(live.dm, before)
    after = live.count(live.dm)
    await live.press(live.alice, live.dm, summary, "Delete", {})
    (gone,) = await live.texts_after(live.dm, after, 1)
    assert gone == "🗑 Trunk **mad-ws-9** deleted."
    assert live.state.trunk_by_name("mad-ws-9") is None
    deletes = live.state.calls("DELETE", "/premisePstn/trunks/" + seeded_id("TRUNK", "mad-ws-1"))
    assert len(deletes) == 1
