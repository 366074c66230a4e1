"""A card submission as an Event: the actor is Webex's personId (looked up), never an input;
the space's kind from the message the card was on."""

from __future__ import annotations

import logging
from typing import Any

from bot.errors import WebexError
from bot.events import Actor, Event, Space, SpaceKind
from bot.inbound import BotIdentity, created_of, field_of
from bot.intake.people import PeopleCache
from bot.webex.messaging import MessagingClient

log = logging.getLogger(__name__)


async def card_event(
    action: Any, *, bot: BotIdentity, people: PeopleCache, messaging: MessagingClient
) -> Event | None:
    """The Event of a card action (REST JSON); None for the bot's own."""
    person_id = str(field_of(action, "personId", "") or "")
    if person_id == bot.person_id:
        return None
    person = await people.get(person_id)
    card_message_id = field_of(action, "messageId", None)
    kind = SpaceKind.GROUP
    if card_message_id:
        try:
            card = await messaging.get_message(card_message_id)
            kind = SpaceKind.DIRECT if card.room_type == "direct" else SpaceKind.GROUP
        except WebexError:
            log.warning("card.message_unavailable")
    inputs = field_of(action, "inputs", {})
    # When Webex can't tell us who this is, the policy can't name them: a refusal, not
    # silence. A bot's submission is recorded and ignored by the router.
    actor = (
        Actor(person.id, person.email, person.org_id, person.display_name, person.type == "bot")
        if person is not None
        else Actor(person_id, "")
    )
    return Event(
        id=str(field_of(action, "id", "")),
        actor=actor,
        space=Space(str(field_of(action, "roomId", "")), kind),
        card_inputs=dict(inputs) if isinstance(inputs, dict) else {"_": inputs},
        card_message_id=card_message_id,
        created=created_of(action),
    )
