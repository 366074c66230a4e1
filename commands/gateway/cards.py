"""The connect summary card (Adaptive Card 1.3): what the location's PSTN connection is,
what it will be, and Connect or Cancel. Title, facts and note are plain text, shown as
written through bot.cards' text elements (a TextBlock or a fact is markdown, and location
names come from Webex); every submit carries the card's nonce and verb."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import cards
from bot.sentence import sentence

Card = dict[str, Any]


def _submit(title: str, nonce: str, verb: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {cards.DATA_KEY: {"nonce": nonce, "action": verb}},
        **props,
    }


def connect_summary(*, nonce: str, title: str, facts: Sequence[tuple[str, str]], note: str) -> Card:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.3",
        "body": [
            cards.title_block(title),
            cards.facts_block(facts),
            *cards.sentence_blocks(sentence(note), color="warning"),
        ],
        "actions": [
            _submit("Connect", nonce, cards.CONFIRM, style="destructive"),
            _submit(cards.BUTTON_CANCEL, nonce, cards.CANCEL, associatedInputs="none"),
        ],
    }
