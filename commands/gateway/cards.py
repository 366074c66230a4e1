"""The connect summary card (Adaptive Card 1.3): what the location's PSTN connection is,
what it will be, and Connect or Cancel. Plain values in a FactSet (Webex renders no
markdown there); every submit carries the card's nonce and verb."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import cards

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
            {
                "type": "TextBlock",
                "text": title,
                "weight": "bolder",
                "size": "medium",
                "wrap": True,
            },
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]},
            {"type": "TextBlock", "text": note, "wrap": True, "color": "warning"},
        ],
        "actions": [
            _submit("Connect", nonce, cards.CONFIRM, style="destructive"),
            _submit(cards.BUTTON_CANCEL, nonce, cards.CANCEL, associatedInputs="none"),
        ],
    }
