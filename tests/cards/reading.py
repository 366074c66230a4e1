"""Reading the bot's cards in tests: what a card's inputs are and offer, its size, and a
notice card sample (the product sends notices as text). None of it is used by the bot."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from bot.cards import Card
from bot.cards.build import _card, facts_block, sentence_blocks, title_block
from bot.cards.read import _elements
from bot.sentence import Sentence


def input_ids(card: Mapping[str, Any]) -> list[str]:
    """The ids of the card's inputs, in order: the only keys a submission may carry besides
    ``trunkbot``."""
    return [
        e["id"]
        for e in _elements(card.get("body") or [])
        if str(e.get("type", "")).startswith("Input.")
    ]


def choice_values(card: Mapping[str, Any]) -> dict[str, list[str]]:
    """For each ChoiceSet and Toggle input: the values it offers (anything else is forged)."""
    out: dict[str, list[str]] = {}
    for e in _elements(card.get("body") or []):
        if e.get("type") == "Input.ChoiceSet":
            out[e["id"]] = [c["value"] for c in e.get("choices") or []]
        elif e.get("type") == "Input.Toggle":
            out[e["id"]] = [e.get("valueOn", "true"), e.get("valueOff", "false")]
    return out


def card_json(card: Mapping[str, Any]) -> str:
    """The card as compact JSON (its size is what Webex counts)."""
    return json.dumps(card, ensure_ascii=False, separators=(",", ":"))


def notice_card(
    *,
    title: str,
    text: Sentence | None = None,
    facts: Sequence[tuple[str, str]] = (),
    tone: Literal["good", "attention", "warning"] | None = None,
) -> Card:
    """A card that only informs (expired, already used, approved, rejected, cancelled):
    ``title`` in plain text, ``text`` a bot.replies Sentence, optional facts; no actions."""
    heading = title_block(title)
    if tone:
        heading["color"] = tone
    body = [heading]
    if text:
        body += sentence_blocks(text)
    if facts:
        body.append(facts_block(facts))
    return _card(body)
