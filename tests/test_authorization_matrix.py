"""Seven ways in, each refused — and each refusal is on record in the audit trail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.events import Actor, Event, Space, SpaceKind
from bot.transports.shell import person_id_for
from tests.chat import Chat, make_chat
from webexfake.calling import seeded_id

MADRID = seeded_id("LOCATION", "Madrid")
CAROL = "carol@example.com"


@pytest.fixture
async def chat() -> AsyncIterator[Chat]:
    chat = await make_chat()
    yield chat
    await chat.app.aclose()


async def unlisted_person(chat: Chat) -> None:
    await chat.say("create trunk name=m-1 location=Madrid", person="mallory@evil.example")


async def person_from_another_org(chat: Chat) -> None:
    await chat.say("create trunk name=m-2 location=Madrid", person="outsider@example.com")


async def bot_actor(chat: Chat) -> None:
    await chat.say("create trunk name=m-3 location=Madrid", is_bot=True)


async def _confirm_card(chat: Chat):  # type: ignore[no-untyped-def]
    replies = await chat.say("create trunk name=m-4 location=Madrid", person=CAROL, space="group")
    return next(r for r in replies if r.card is not None)


async def forged_card_inputs(chat: Chat) -> None:
    form = next(r for r in await chat.say("create trunk", person=CAROL) if r.card)
    await chat.submit(
        form, "Review", {"name": "m-5", "location": MADRID, "isAdmin": "yes"}, person=CAROL
    )


async def someone_elses_card(chat: Chat) -> None:
    card = await _confirm_card(chat)
    await chat.submit(card, "Create", person="bob@example.com", space="group")


async def replayed_card(chat: Chat) -> None:
    """A card submission replayed into another space (a copied payload)."""
    card = await _confirm_card(chat)
    await chat.submit(card, "Create", person=CAROL, room_id="room-elsewhere", space="group")


async def group_message_without_mention(chat: Chat) -> None:
    event = Event(
        id="no-mention-1",
        actor=Actor(person_id_for("alice@example.com"), "alice@example.com", chat.state.org_id),
        space=Space("room-group", SpaceKind.GROUP),
        text="create trunk name=m-7 location=Madrid",
        message_id="no-mention-1",
        mentions_bot=False,
    )
    assert await chat.app.router.handle(event, chat.outbox) is None


PATHS: list[tuple[str, Callable[[Chat], Awaitable[None]], str]] = [
    ("unlisted-person", unlisted_person, "no grant names this person"),
    ("person-from-another-org", person_from_another_org, "not allowed"),
    ("bot-actor", bot_actor, "a bot sent it"),
    ("forged-card-inputs", forged_card_inputs, "didn't ask for"),
    ("someone-elses-card", someone_elses_card, "This card is for"),
    ("replayed-card", replayed_card, "isn't one I can act on"),
    ("group-message-without-mention", group_message_without_mention, "doesn't mention the bot"),
]


@pytest.mark.parametrize(("path", "attempt", "reason"), PATHS, ids=[p[0] for p in PATHS])
async def test_refused_and_audited(
    chat: Chat, path: str, attempt: Callable[[Chat], Awaitable[None]], reason: str
) -> None:
    """The attempt creates nothing and leaves a refused row that says why."""
    await attempt(chat)
    assert chat.state.calls("POST", "/premisePstn/trunks") == []
    refused = [r for r in await chat.app.services.store.list_audit() if r.decision == "refused"]
    assert refused, f"no refused audit row for {path}"
    why = " ".join(str(r.reason) for r in refused)
    assert reason.lower() in why.lower(), why
