"""Webex's trunk password rules, checked before any summary card: a typed password on a text
command, the form and `update trunk` gets the same one sentence naming what's wrong."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.chat import Chat, make_chat, seed_trunk
from webexfake.calling import seeded_id

POLICY = """
[[grant]]
people    = ["pat@example.com"]
actions   = ["trunk.create", "trunk.update"]
locations = ["*"]
orgs      = ["*"]
"""
PAT = "pat@example.com"


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat(policy=POLICY)
    seed_trunk(chat.state, "mad-lgw-1", "Madrid")
    yield chat
    await chat.app.aclose()


def writes(chat: Chat) -> list[str]:
    return [f"{r.method} {r.path}" for r in chat.state.requests if r.method in ("POST", "PUT")]


TOO_SHORT = "`password` is too short for Webex, which needs 8 to 64 characters: choose another"


@pytest.mark.parametrize(
    "command",
    [
        "create trunk name=pw-1 location=Madrid password=hunter2",
        "update trunk mad-lgw-1 password=hunter2",
    ],
)
async def test_a_short_password_is_refused_before_the_summary(chat: Chat, command: str) -> None:
    replies = await chat.say(command, person=PAT)
    assert [r.card for r in replies] == [None]
    assert replies[0].markdown.startswith(TOO_SHORT)
    assert "hunter2" not in replies[0].markdown
    assert writes(chat) == []


async def test_the_form_gets_the_same_rule(chat: Chat) -> None:
    form = next(r for r in await chat.say("create trunk", person=PAT) if r.card is not None)
    madrid = seeded_id("LOCATION", "Madrid")
    again = await chat.submit(
        form, "Review", {"name": "pw-2", "location": madrid, "password": "hunter2"}, person=PAT
    )
    shown = str(next(r.card for r in again if r.card is not None))
    assert "is too short for Webex, which needs 8 to 64 characters" in shown
    assert "hunter2" not in shown
    assert writes(chat) == []


async def test_an_update_password_with_a_bang_is_refused(chat: Chat) -> None:
    answer = await chat.answer("update trunk mad-lgw-1 password=Hunter2!x", person=PAT)
    assert "can't contain `?` or `!`" in answer
    assert writes(chat) == []
