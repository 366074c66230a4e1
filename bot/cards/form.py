"""The create-trunk form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.cards.build import (
    _card,
    _choices,
    _error_blocks,
    _submit,
    _text,
    sentence_blocks,
    title_block,
)
from bot.cards.form_inputs import canonical_values, certificate_items, location_input, prefill
from bot.cards.regexes import (
    NAME_REGEX,
    PASSWORD_REGEX,
)
from bot.cards.spec import (
    _CERTIFICATE_KEYS,
    CANCEL,
    CERTIFICATE_CONTAINER,
    FORM_INPUTS,
    NO,
    REVIEW,
    TYPE_CERTIFICATE,
    TYPE_REGISTERING,
    YES,
    Card,
)
from bot.cards.wording import (
    BUTTON_CANCEL,
    BUTTON_MORE,
    BUTTON_REVIEW,
    CHOICE_CERTIFICATE,
    CHOICE_REGISTERING,
    ERROR_NAME,
    ERROR_PASSWORD,
    FORM_DIRECT_NOTE,
    FORM_GROUP_NOTE,
    FORM_TITLE,
    LABEL_DUAL_IDENTITY,
    LABEL_NAME,
    LABEL_PASSWORD,
    LABEL_TYPE,
    PLACEHOLDER_NAME,
    PLACEHOLDER_PASSWORD,
    TITLE_DUAL_IDENTITY,
)
from bot.grammar import canonical_key
from bot.markdown import plain
from bot.sentence import as_sentence
from bot.validation import NAME_MAX, PASSWORD_MAX, YES_WORDS, devices_for, parse_trunk_type
from bot.webex.models import Location, TrunkType, TrunkTypeInfo


def form_card(
    *,
    nonce: str,
    locations: Sequence[Location],
    trunk_types: Sequence[TrunkTypeInfo],
    values: Mapping[str, str],
    errors: Mapping[str, str],
    direct: bool,
    note: str | None = None,
) -> Card:
    """The create-trunk form, prefilled from ``values`` (canonical keys; a password is never
    shown), each of ``errors`` (canonical key → a bot.replies Sentence, as validation's
    Problems carry them) under its field and the others at the top. ``direct``: a 1:1 space,
    the only place with a password input. ``note``: a Sentence under the title (an error's
    ``user_message``). A plain ``str`` in either shows as the text it is
    (:func:`bot.markdown.as_sentence`).
    """
    vals = canonical_values(values)
    field_keys = set(FORM_INPUTS) if direct else set(FORM_INPUTS) - {"password"}
    body: list[dict[str, Any]] = [title_block(FORM_TITLE)]
    if note:
        body += sentence_blocks(as_sentence(note))
    for key, sentence in errors.items():
        if (canonical_key(key) or key) not in field_keys:
            body += _error_blocks(sentence)

    def field(key: str, element: dict[str, Any]) -> list[dict[str, Any]]:
        problem = next((s for k, s in errors.items() if (canonical_key(k) or k) == key), None)
        return [element, *(_error_blocks(problem) if problem else [])]

    name: dict[str, Any] = {
        "type": "Input.Text",
        "id": "name",
        "label": LABEL_NAME,
        "isRequired": True,
        "errorMessage": ERROR_NAME,
        "regex": NAME_REGEX,
        "maxLength": NAME_MAX,
        "placeholder": PLACEHOLDER_NAME,
    }
    if vals.get("name", "").strip():
        name["value"] = prefill(vals["name"])
    body += field("name", name)
    body += field("location", location_input(locations, vals.get("location", "")))

    trunk_type = parse_trunk_type(vals.get("type", "")) or TrunkType.REGISTERING
    certificate = trunk_type is TrunkType.CERTIFICATE_BASED
    body += field(
        "type",
        {
            "type": "Input.ChoiceSet",
            "id": "type",
            "label": LABEL_TYPE,
            "style": "compact",
            "value": TYPE_CERTIFICATE if certificate else TYPE_REGISTERING,
            "choices": _choices(
                [(CHOICE_REGISTERING, TYPE_REGISTERING), (CHOICE_CERTIFICATE, TYPE_CERTIFICATE)]
            ),
        },
    )

    cert_items = certificate_items(
        devices_for(TrunkType.CERTIFICATE_BASED, trunk_types), vals, errors, field
    )
    show_certificate = certificate or any(
        (canonical_key(k) or k) in _CERTIFICATE_KEYS for k in errors
    )
    container: dict[str, Any] = {
        "type": "Container",
        "id": CERTIFICATE_CONTAINER,
        "separator": True,
        "items": cert_items,
    }
    if not show_certificate:
        container["isVisible"] = False
    body.append(container)

    dual = vals.get("dual-identity", "").strip().casefold() in YES_WORDS
    body += field(
        "dual-identity",
        {
            "type": "Input.Toggle",
            "id": "dual-identity",
            "label": LABEL_DUAL_IDENTITY,
            "title": TITLE_DUAL_IDENTITY,
            "valueOn": YES,
            "valueOff": NO,
            "value": YES if dual else NO,
            "wrap": True,
        },
    )
    if direct:
        password: dict[str, Any] = {
            "type": "Input.Text",
            "id": "password",
            "label": LABEL_PASSWORD,
            "regex": PASSWORD_REGEX,
            "errorMessage": ERROR_PASSWORD,
            "maxLength": PASSWORD_MAX,
            "placeholder": PLACEHOLDER_PASSWORD,
        }
        body += field("password", password)
        body.append(_text(plain(FORM_DIRECT_NOTE), isSubtle=True, size="small", spacing="small"))
    else:
        body.append(_text(plain(FORM_GROUP_NOTE), isSubtle=True, size="small"))

    actions = [_submit(BUTTON_REVIEW, nonce, REVIEW, style="positive")]
    if not show_certificate:
        actions.append(
            {
                "type": "Action.ToggleVisibility",
                "title": BUTTON_MORE,
                "targetElements": [CERTIFICATE_CONTAINER],
            }
        )
    actions.append(_submit(BUTTON_CANCEL, nonce, CANCEL, associatedInputs="none"))
    return _card(body, actions)
