"""Reading a card in the shell: its buttons, its title, how to answer it, and why typed
inputs or a button don't fit it."""

from __future__ import annotations

import difflib
import json
from typing import Any

from bot import cards


def submit_buttons(card: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The card's submit buttons: (title, data)."""
    return [
        (str(a.get("title", "")), dict(a.get("data") or {}))
        for a in card.get("actions", [])
        if a.get("type") == "Action.Submit"
    ]


def _toggles(card: dict[str, Any]) -> list[str]:
    return [
        str(a.get("title", ""))
        for a in card.get("actions", [])
        if a.get("type") == "Action.ToggleVisibility"
    ]


def card_title(card: dict[str, Any]) -> str:
    return cards.card_as_text(card).partition("\n")[0].strip() or "a card"


def card_hint(card: dict[str, Any]) -> str:
    """How to answer this card in the shell."""
    buttons = [t for t, _ in submit_buttons(card)]
    if not buttons:
        return ""
    presses = " | ".join(f"/press {t}" for t in buttons)
    inputs = [k for k in cards.current_values(card) if k != "password"]
    if not inputs:
        return f"\n({presses})"
    example = json.dumps(dict.fromkeys(inputs[:2], "…"), ensure_ascii=False)
    return f"\n(fill it in with /submit {example} — it presses {buttons[0]}; or {presses})"


def card_problem(card: dict[str, Any], inputs: dict[str, Any], title: object) -> str | None:
    """Why these inputs or this button don't fit the card (one sentence), or None."""
    buttons = [t for t, _ in submit_buttons(card)]
    name = card_title(card)
    if not buttons:
        return f"The last card, “{name}”, has no buttons to press: it's finished."
    if title is not None and not isinstance(title, str):
        return 'Name the button as text, e.g. {"button": "' + buttons[0] + '"}.'
    if title is not None and title.casefold() not in {b.casefold() for b in buttons}:
        if title.casefold() in {t.casefold() for t in _toggles(card)}:
            return (
                f"“{title}” only shows or hides fields in a Webex client; here you may fill "
                "them in with /submit directly."
            )
        return f"“{name}” has no button “{title}”; its buttons are {', '.join(buttons)}."
    known = list(cards.current_values(card))
    unknown = [k for k in inputs if k not in known]
    if not unknown:
        return None
    key = unknown[0]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean `{close[0]}`?)" if close else ""
    listed = ", ".join(f"`{k}`" for k in known) if known else "none"
    return (
        f"That card has no input `{key}`{hint}; its inputs are {listed} — nothing was sent, "
        "and the card is still open."
    )
