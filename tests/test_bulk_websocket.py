"""`create trunks` over the real transport: webex-bot over TLS to the fake Webex, the file
shared as Webex does (``share`` then ``update``), fetched with the bot's token, progress
edited with PUT, the result posted as a multipart file."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from commands.bulk import run
from tests.fake_webex.plugin import fake_webex_factory  # noqa: F401  -- fixture
from tests.live import bot_over_websocket
from tests.test_websocket_cards import Live
from webexfake.calling import SandboxState
from webexfake.messaging import FakeWebex

POLICY = """
[[grant]]
domains   = ["example.com"]
actions   = ["trunk.create"]
locations = ["Madrid", "London HQ"]
orgs      = ["*"]
confirm   = false
"""


@pytest.fixture
async def live(
    fake_webex_factory: Callable[..., FakeWebex],  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Live]:
    state = SandboxState.seeded()
    async with bot_over_websocket(fake_webex_factory, tmp_path, POLICY, state) as (fake, runner):
        alice = fake.add_person("alice@example.com", "Alice Example")
        yield Live(fake, state, runner, alice, fake.add_room("direct", [alice]))
        await run.wait_all()


async def test_a_file_over_the_websocket(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "TIMING", run.Timing(progress_every=0.05))
    data = b"name;location\r\nws-1;Madrid\r\nws-2;London HQ\r\nws-3;Paris Office\r\n"
    before = live.count(live.dm)
    await live.fake.user_shares_file(live.alice, live.dm, "create trunks", name="s.csv", data=data)
    card = await live.next_card(live.dm, before)
    assert "2 of 3 rows are ready" in (card.markdown or "")
    assert "row 4, location: you may not create trunks in **Paris Office**" in (card.markdown or "")
    await live.press(live.alice, live.dm, card, "Create", {})
    files = []
    for _ in range(300):
        files = live.fake.files_from_bot(to_person=live.alice)
        if files:
            break
        await asyncio.sleep(0.05)
    [result] = files
    assert result.name == "s-result.csv"
    rows = list(csv.DictReader(io.StringIO(result.data.decode("utf-8-sig"))))
    assert [(r["name"], r["status"]) for r in rows] == [("ws-1", "created"), ("ws-2", "created")]
    assert live.state.trunk_by_name("ws-1") is not None
    edited = [m for m in live.fake.messages_from_bot(room=live.dm) if m.edits]
    assert edited, "the progress message was never edited"


async def test_a_file_in_a_group_space_is_refused_unread(live: Live) -> None:
    group = live.fake.add_room("group", [live.alice], title="Ops")
    data = b"name,location\nws-g,Madrid\n"
    await live.fake.user_shares_file(live.alice, group, "create trunks", name="g.csv", data=data)
    [answer] = await live.fake.wait_for_bot_messages(1, room=group, timeout=15)
    assert "only in our 1:1 space" in (answer.markdown or "")
    assert not live.fake.requests_to("/v1/contents")
