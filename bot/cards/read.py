"""Reading a card back: what its inputs hold and offer (the shell), its fallback text (the
message that carries it) and the card as readable text (``trunkbot shell``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bot.cards.spec import _FALLBACK_MAX, DATA_KEY, REVIEW
from bot.cards.wording import FALLBACK_ACTIONS, FALLBACK_FORM, PASSWORD_LABEL
from bot.markdown import one_line, unplain


def _elements(items: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for item in items:
        yield item
        for key in ("items", "columns"):
            yield from _elements(item.get(key) or [])


def current_values(card: Mapping[str, Any]) -> dict[str, str]:
    """What each input holds as posted (prefills, Toggle off values): what a client would
    submit if nobody typed anything. The shell starts from these."""
    out: dict[str, str] = {}
    for e in _elements(card.get("body") or []):
        kind = str(e.get("type", ""))
        if not kind.startswith("Input."):
            continue
        if "value" in e:
            out[e["id"]] = str(e["value"])
        elif kind == "Input.Toggle":
            out[e["id"]] = str(e.get("valueOff", "false"))
        else:
            out[e["id"]] = ""
    return out


def choice_titles(card: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """For each ChoiceSet: its choices' titles (lower case) → values, as a person picks them."""
    return {
        e["id"]: {str(c["title"]).lower(): str(c["value"]) for c in e.get("choices") or []}
        for e in _elements(card.get("body") or [])
        if e.get("type") == "Input.ChoiceSet"
    }


def _verbs(card: Mapping[str, Any]) -> list[str]:
    return [
        a["data"][DATA_KEY]["action"]
        for a in card.get("actions") or []
        if a.get("type") == "Action.Submit" and DATA_KEY in (a.get("data") or {})
    ]


def _block_text(element: Mapping[str, Any]) -> str:
    if element.get("type") == "RichTextBlock":
        return "".join(str(i.get("text", "")) for i in element.get("inlines") or [])
    return unplain(str(element.get("text", "")))


def _text_prop(element: Mapping[str, Any], name: str) -> Any:
    """A TextBlock's property, or a RichTextBlock's first TextRun's (a sentence's runs all
    carry the sentence's colour and subtlety)."""
    if element.get("type") == "RichTextBlock":
        inlines = element.get("inlines") or [{}]
        return inlines[0].get(name)
    return element.get(name)


def fallback_text(card: Mapping[str, Any]) -> str:
    """Plain text for the message that carries ``card`` (Webex shows it where the card
    can't be): the title, the facts (never a password), and what to do instead."""
    lines: list[str] = []
    password_next = False
    for e in _elements(card.get("body") or []):
        kind = e.get("type")
        if kind == "TextBlock" and not lines:
            lines.append(_block_text(e))
        elif kind == "FactSet":
            lines += [f"{unplain(f['title'])}: {unplain(f['value'])}" for f in e["facts"]]
        elif kind == "TextBlock" and _block_text(e) == PASSWORD_LABEL:
            password_next = True
        elif kind == "RichTextBlock" and password_next:
            password_next = False  # a password stays in the card
        elif (
            kind in ("TextBlock", "RichTextBlock")
            and "actions" not in card
            and not _text_prop(e, "isSubtle")
        ):
            lines.append(_block_text(e))
    verbs = _verbs(card)
    if REVIEW in verbs:
        lines.append(FALLBACK_FORM)
    elif verbs:
        lines.append(FALLBACK_ACTIONS)
    text = "\n".join(ln for ln in lines if ln)
    return text if len(text) <= _FALLBACK_MAX else text[: _FALLBACK_MAX - 1] + "…"


_CHOICES_SHOWN = 20


def card_as_text(card: Mapping[str, Any]) -> str:
    """The card as readable text (``trunkbot shell``): texts, facts, each input with its
    label, id, current value and choices, and the buttons with what each one sends."""
    out: list[str] = []
    _body_as_text(card.get("body") or [], out, indent="")
    buttons: list[str] = []
    for action in card.get("actions") or []:
        title = one_line(action.get("title", ""))
        if action.get("type") == "Action.Submit":
            verb = ((action.get("data") or {}).get(DATA_KEY) or {}).get("action", "?")
            inputs = " without inputs" if action.get("associatedInputs") == "none" else ""
            buttons.append(f"[{title}] ({verb}{inputs})")
        elif action.get("type") == "Action.ToggleVisibility":
            buttons.append(f"[{title}] (shows or hides more fields)")
        else:
            buttons.append(f"[{title}]")
    if buttons:
        out.append("Buttons: " + "  ".join(buttons))
    return "\n".join(out)


def _body_as_text(items: Sequence[Mapping[str, Any]], out: list[str], indent: str) -> None:
    for e in items:
        kind = e.get("type")
        if kind in ("TextBlock", "RichTextBlock"):
            text = _block_text(e)
            warn = "⚠ " if _text_prop(e, "color") == "attention" else ""
            out.append(f"{indent}{warn}{text}")
        elif kind == "FactSet":
            out += [f"{indent}  {unplain(f['title'])}: {unplain(f['value'])}" for f in e["facts"]]
        elif kind == "Container":
            hidden = e.get("isVisible") is False
            if hidden:
                out.append(f"{indent}(hidden until you press a button; you may still fill in:)")
            _body_as_text(e.get("items") or [], out, indent + ("  " if hidden else ""))
        elif str(kind).startswith("Input."):
            out += _input_as_text(e, indent)


def _input_as_text(e: Mapping[str, Any], indent: str) -> list[str]:
    label = one_line(e.get("label") or e.get("title") or e["id"])
    required = " (required)" if e.get("isRequired") else ""
    kind = e.get("type")
    value = e.get("value")
    lines: list[str] = []
    if kind == "Input.ChoiceSet":
        choices = e.get("choices") or []
        current = next((c["title"] for c in choices if c["value"] == value), None)
        lines.append(f"{indent}• {label} [{e['id']}]{required}: {current or '(not chosen)'}")
        for c in choices[:_CHOICES_SHOWN]:
            shown = c["title"] if c["title"] == c["value"] else f"{c['title']} = {c['value']}"
            lines.append(f"{indent}    - {shown}")
        if len(choices) > _CHOICES_SHOWN:
            lines.append(f"{indent}    … and {len(choices) - _CHOICES_SHOWN} more")
    elif kind == "Input.Toggle":
        on, off = e.get("valueOn", "true"), e.get("valueOff", "false")
        lines.append(f"{indent}• {label} [{e['id']}]: {value or off} ({on} or {off})")
        if e.get("title"):
            lines.append(f"{indent}    {one_line(e['title'])}")
    else:
        shown = value if value not in (None, "") else "(empty)"
        lines.append(f"{indent}• {label} [{e['id']}]{required}: {shown}")
    return lines
