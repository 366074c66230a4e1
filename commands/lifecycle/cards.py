"""The lifecycle's cards (Adaptive Card 1.3): a trunk picker and a change's summary.

Built from data, like the create cards: the title, facts and note are plain text and go
through bot.cards' text elements (TextBlocks and FactSets are markdown: a trunk named
``**x** [y](z)`` must show as written); every submit carries the card's nonce and verb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import cards
from bot.sentence import sentence

Card = dict[str, Any]
TRUNK_INPUT = "trunk"
UPDATE_INPUTS = ("name", "max-calls", "dual-identity")
#: The picker's "leave as it is" choice: a renderer refuses a choice without a value.
KEEP = "keep"
MAX_CALLS_REGEX = "^[1-9][0-9]{0,8}$"  # a whole number: the bot checks the device's limits


def _submit(title: str, nonce: str, verb: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {cards.DATA_KEY: {"nonce": nonce, "action": verb}},
        **props,
    }


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> Card:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.3",
        "body": body,
        "actions": actions,
    }


def picker(*, nonce: str, verb: str, trunks: Sequence[tuple[str, str]]) -> Card:
    """Which trunk (``trunks``: (label, id)); for an update, also what to change."""
    body: list[dict[str, Any]] = [
        cards.title_block("Change a trunk" if verb == "update" else "Delete a trunk"),
        {
            "type": "Input.ChoiceSet",
            "id": TRUNK_INPUT,
            "label": "Trunk",
            "isRequired": True,
            "errorMessage": "Pick a trunk",
            "choices": [{"title": label, "value": value} for label, value in trunks],
        },
    ]
    if verb == "update":
        body += [
            {"type": "Input.Text", "id": "name", "label": "New name (optional)", "maxLength": 64},
            {  # Input.Text: the renderer reads an empty Input.Number as NaN, fails it
                # against `min` and refuses to send the card (see bot.cards)
                "type": "Input.Text",
                "id": "max-calls",
                "label": "Max concurrent calls (certificate-based trunks)",
                "regex": MAX_CALLS_REGEX,
                "errorMessage": "Max concurrent calls is a whole number, or leave it empty",
                "maxLength": 9,
                "style": "tel",
            },
            {
                "type": "Input.ChoiceSet",
                "id": "dual-identity",
                "label": "Dual identity",
                "choices": [
                    {"title": "leave as it is", "value": KEEP},
                    {"title": "yes", "value": "yes"},
                    {"title": "no", "value": "no"},
                ],
                "value": KEEP,
            },
        ]
    actions = [
        _submit(cards.BUTTON_REVIEW, nonce, cards.REVIEW, style="positive"),
        _submit(cards.BUTTON_CANCEL, nonce, cards.CANCEL, associatedInputs="none"),
    ]
    return _card(body, actions)


def summary(
    *,
    nonce: str,
    title: str,
    button: str,
    facts: Sequence[tuple[str, str]],
    note: str,
    style: str = "positive",
) -> Card:
    """What will change, and the one button that does it (and Cancel). ``title``, ``facts``
    and ``note`` are plain text."""
    body = [
        cards.title_block(title),
        cards.facts_block(facts),
        *cards.sentence_blocks(sentence(note), isSubtle=True),
    ]
    actions = [
        _submit(
            button, nonce, cards.CONFIRM, style="destructive" if "Delete" in button else "positive"
        ),
        _submit(cards.BUTTON_CANCEL, nonce, cards.CANCEL, associatedInputs="none"),
    ]
    return _card(body, actions)
