"""A trunk's life from chat, through the real router, gate and commands against the fake
Webex: locations, trunk types, list, show, update, delete, dry run, and "which one?"."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot import cards, replies
from bot.events import Reply
from tests.chat import Chat, make_chat, seed_trunk
from webexfake.calling import seeded_id

MADRID = seeded_id("LOCATION", "Madrid")
TRUNKS = "/premisePstn/trunks"

POLICY = """
[[grant]]
people    = ["alice@example.com"]
actions   = ["*"]
locations = ["*"]
orgs      = ["*"]
confirm   = false

[[grant]]
people    = ["pat@example.com"]
actions   = ["trunk.read", "trunk.update", "trunk.delete"]
locations = ["Madrid", "Paris Office"]
orgs      = ["*"]

[[grant]]
people    = ["dave@example.com"]
actions   = ["trunk.read", "trunk.delete"]
locations = ["*"]
orgs      = ["*"]
approval  = "required"
approvers_space = "ROOM-APPROVERS"

[[grant]]
people    = ["erin@example.com"]
actions   = ["approve"]
locations = ["*"]
orgs      = ["*"]

[[grant]]
people    = ["reader@example.com"]
actions   = ["trunk.read"]
locations = ["*"]
orgs      = ["*"]
"""


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat(policy=POLICY)
    seed_trunk(chat.state, "mad-lgw-1", "Madrid")
    seed_trunk(chat.state, "mad-lgw-2", "Madrid")
    seed_trunk(chat.state, "par-lgw-1", "Paris Office")
    yield chat
    await chat.app.aclose()


def card(replies: list[Reply]) -> Reply:
    return next(r for r in replies if r.card is not None)


def writes(chat: Chat) -> list[str]:
    return [f"{r.method} {r.path}" for r in chat.state.requests if r.method in ("PUT", "DELETE")]


async def test_locations_and_trunk_types_in_the_persons_scope(chat: Chat) -> None:
    answer = await chat.answer("locations", person="pat@example.com")
    assert "**Madrid**" in answer
    assert "**Paris Office**" in answer
    assert "London" not in answer
    assert MADRID in answer
    types = await chat.answer("trunk types", person="pat@example.com")
    assert "Cisco Unified Border Element (250–1000 calls)" in types


async def test_list_shows_only_the_persons_trunks_with_status_and_use(chat: Chat) -> None:
    answer = await chat.answer("list trunks", person="pat@example.com")
    assert "Trunks (3):" in answer
    assert "**mad-lgw-1** — Madrid, registering, ⛔ not in service" in answer
    assert "London-LGW-1" not in answer
    mine = await chat.answer(
        "list trunks location=Paris type=registering", person="pat@example.com"
    )
    assert mine.startswith("Trunks in Paris Office (registering) (1):")
    everyone = await chat.answer("list trunks", person="alice@example.com")
    assert "**London-LGW-1** — London HQ, registering, ✅ in service, in use" in everyone


async def test_a_long_list_is_summarised_within_the_message_size(chat: Chat) -> None:
    for n in range(45):
        seed_trunk(chat.state, f"bulk-{n:02d}", "Madrid")
    answer = await chat.answer("list trunks location=Madrid", person="alice@example.com")
    assert answer.startswith("Trunks in Madrid (1–20 of 47):")
    assert answer.count("\n•") == 20
    assert "…and 27 more: `list trunks page=2` shows the next 20" in answer
    assert len(answer.encode()) < 7439
    second = await chat.answer("list trunks location=Madrid page=2", person="alice@example.com")
    assert second.startswith("Trunks in Madrid (21–40 of 47):")
    last = await chat.answer("list trunks location=Madrid page=3", person="alice@example.com")
    assert last.startswith("Trunks in Madrid (41–47 of 47):")
    assert "more" not in last
    names = [
        line.split("**")[1]
        for a in (answer, second, last)
        for line in a.splitlines()
        if line.startswith("•")
    ]
    assert len(names) == len(set(names)) == 47  # every trunk once, none skipped


async def test_show_names_what_uses_the_trunk(chat: Chat) -> None:
    answer = await chat.answer("show trunk London-LGW-1", person="alice@example.com")
    assert answer.startswith("Trunk **London-LGW-1** in **London HQ** — registering")
    assert "• Status: ✅ in service" in answer
    assert "Route groups: **EU-LGWs**" in answer
    assert "PSTN connection of: **London HQ**" in answer
    refused = await chat.answer("show trunk London-LGW-1", person="pat@example.com")
    assert refused == "You may look at trunks only in **Madrid** and **Paris Office**."


async def test_which_trunk_is_a_conversation(chat: Chat) -> None:
    question = await chat.answer("show trunk mad-lgw", person="pat@example.com")
    assert '"mad-lgw" matches 2 trunks' in question
    assert "1. mad-lgw-1" in question
    answer = await chat.answer("2", person="pat@example.com")
    assert answer.startswith("Trunk **mad-lgw-2** in **Madrid**")


async def test_update_confirms_then_sets_a_new_password_once(chat: Chat) -> None:
    replies = await chat.say(
        "update trunk mad-lgw-1 name=mad-lgw-9 dual-identity=yes", person="pat@example.com"
    )
    summary = card(replies)
    shown = json.dumps(summary.card)
    assert "stops registering" in shown
    assert writes(chat) == []
    done = await chat.submit(summary, "Change", person="pat@example.com")
    assert done[-1].markdown.startswith("✅ Trunk **mad-lgw-9** updated")
    assert "Password (shown only here)" in done[-1].markdown
    (put,) = chat.state.calls("PUT", TRUNKS + "/" + seeded_id("TRUNK", "mad-lgw-1"))
    assert put.json is not None
    assert put.json["name"] == "mad-lgw-9"
    assert put.json["dualIdentitySupportEnabled"] is True
    assert put.json["password"]
    again = await chat.submit(summary, "Change", person="pat@example.com")
    assert again[-1].markdown.startswith("✅ Trunk **mad-lgw-9** updated")
    assert len(writes(chat)) == 1  # a double click changes nothing twice


async def test_update_checks_before_the_card(chat: Chat) -> None:
    taken = await chat.answer("update trunk mad-lgw-1 name=mad-lgw-2", person="pat@example.com")
    assert "already exists" in taken
    nothing = await chat.answer("update trunk mad-lgw-1", person="pat@example.com")
    assert nothing.startswith("Say what to change")
    limit = await chat.answer("update trunk mad-lgw-1 max-calls=5", person="pat@example.com")
    assert "certificate-based" in limit
    group = await chat.answer(
        "update trunk mad-lgw-1 password=Typed#Secret99", person="pat@example.com", space="group"
    )
    assert "group space" in group
    assert writes(chat) == []


async def test_update_alone_offers_a_picker_of_the_persons_trunks(chat: Chat) -> None:
    replies = await chat.say("update trunk", person="pat@example.com")
    picker = card(replies)
    choices = json.dumps(picker.card)
    assert "mad-lgw-1" in choices
    assert "London-LGW-1" not in choices
    trunk = seeded_id("TRUNK", "par-lgw-1")
    assert picker.card is not None
    as_sent = {**cards.current_values(picker.card), "trunk": trunk, "name": "par-2"}
    assert as_sent["dual-identity"] == "keep"  # what a renderer posts for "leave as it is"
    summary = card(await chat.submit(picker, "Review", as_sent, person="pat@example.com"))
    assert "Dual identity" not in json.dumps(summary.card)
    done = await chat.submit(summary, "Change", person="pat@example.com")
    assert done[-1].markdown.startswith("✅ Trunk **par-2** updated")


async def test_a_picker_refuses_a_trunk_it_did_not_offer(chat: Chat) -> None:
    picker = card(await chat.say("delete trunk", person="pat@example.com"))
    london = seeded_id("TRUNK", "London-LGW-1")
    refused = await chat.submit(picker, "Review", {"trunk": london}, person="pat@example.com")
    assert refused[-1].markdown == replies.card_not_offered("trunk")
    assert writes(chat) == []


async def test_delete_refuses_a_trunk_in_use_and_names_what_uses_it(chat: Chat) -> None:
    answer = await chat.answer("delete trunk London-LGW-1", person="alice@example.com")
    assert answer.startswith("I won't delete **London-LGW-1**")
    assert "**EU-LGWs**" in answer
    assert writes(chat) == []


async def test_delete_confirms_then_deletes_once(chat: Chat) -> None:
    summary = card(await chat.say("delete trunk mad-lgw-2", person="pat@example.com"))
    done = await chat.submit(summary, "Delete", person="pat@example.com")
    assert done[-1].markdown == "🗑 Trunk **mad-lgw-2** deleted."
    again = await chat.submit(summary, "Delete", person="pat@example.com")
    assert again[-1].markdown == "🗑 Trunk **mad-lgw-2** deleted."
    assert writes(chat) == [
        "DELETE " + "/v1/telephony/config" + TRUNKS + "/" + seeded_id("TRUNK", "mad-lgw-2")
    ]
    assert chat.state.trunk_by_name("mad-lgw-2") is None


async def test_delete_needs_the_approval_the_grant_requires(chat: Chat) -> None:
    summary = card(await chat.say("delete trunk mad-lgw-1", person="dave@example.com"))
    waiting = await chat.submit(summary, "Delete", person="dave@example.com")
    approval = next(r for r in waiting if r.room_id == "ROOM-APPROVERS")
    assert "asks to delete trunk **mad-lgw-1**" in approval.markdown
    assert writes(chat) == []
    done = await chat.submit(approval, "Approve", person="erin@example.com", space="group")
    assert any(r.markdown == "🗑 Trunk **mad-lgw-1** deleted." for r in done)
    rows = await chat.app.services.store.list_audit()
    deleted = next(r for r in rows if r.result == "deleted")
    assert deleted.approver_id is not None


async def test_reading_is_not_changing(chat: Chat) -> None:
    answer = await chat.answer("delete trunk mad-lgw-1", person="reader@example.com")
    assert answer.startswith("You're not allowed to delete trunks.")
    answer = await chat.answer("update trunk mad-lgw-1 name=x", person="reader@example.com")
    assert answer.startswith("You're not allowed to change trunks.")
    assert writes(chat) == []


async def test_dry_run_checks_everything_and_writes_nothing(chat: Chat) -> None:
    answer = await chat.answer(
        "create trunk name=dry-1 location=Madrid dry-run", person="alice@example.com"
    )
    assert answer.startswith("Dry run: every check passed for trunk **dry-1**")
    taken = await chat.answer(
        "create trunk name=mad-lgw-1 location=Madrid dry-run", person="alice@example.com"
    )
    assert "already exists" in taken
    assert chat.state.calls("POST") == []


async def test_help_lists_only_commands_that_exist_and_are_allowed(chat: Chat) -> None:
    reader = await chat.answer("help", person="reader@example.com")
    assert "`list trunks" in reader
    assert "`show trunk" in reader
    assert "`locations`" in reader
    assert "update trunk" not in reader
    assert "create trunk" not in reader
    registered = {" ".join(c.words) for c in chat.app.router.all_commands if c.words}
    everything = await chat.answer("help", person="alice@example.com")
    for line in everything.splitlines()[1:]:
        tokens = line.removeprefix("• `").split("`")[0].split()
        words = []
        for token in tokens:
            if any(c in token for c in "=<[("):
                break
            words.append(token)
        assert " ".join(words) in registered, line
