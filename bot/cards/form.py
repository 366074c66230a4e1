"""The create-trunk form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from bot.cards.build import _card, _choices, _error_blocks, _sentence_blocks, _submit, _text, _title
from bot.cards.regexes import (
    ADDRESS_REGEX,
    DOMAIN_REGEX,
    NAME_REGEX,
    PASSWORD_REGEX,
    PORT_REGEX,
    int_range_regex,
)
from bot.cards.spec import (
    _CERTIFICATE_KEYS,
    CANCEL,
    CERTIFICATE_CONTAINER,
    FORM_INPUTS,
    LOCATION_CHOICES_MAX,
    NO,
    PREFILL_MAX,
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
    ERROR_ADDRESS,
    ERROR_DOMAIN,
    ERROR_LOCATION,
    ERROR_NAME,
    ERROR_PASSWORD,
    ERROR_PORT,
    FORM_DIRECT_NOTE,
    FORM_GROUP_NOTE,
    FORM_TITLE,
    HEADING_CERTIFICATE,
    LABEL_ADDRESS,
    LABEL_DEVICE,
    LABEL_DOMAIN,
    LABEL_DUAL_IDENTITY,
    LABEL_LOCATION,
    LABEL_LOCATION_TYPED,
    LABEL_NAME,
    LABEL_PASSWORD,
    LABEL_PORT,
    LABEL_TYPE,
    NO_CERTIFICATE_DEVICES,
    PLACEHOLDER_ADDRESS,
    PLACEHOLDER_DEVICE,
    PLACEHOLDER_DOMAIN,
    PLACEHOLDER_LOCATION,
    PLACEHOLDER_LOCATION_TYPED,
    PLACEHOLDER_NAME,
    PLACEHOLDER_PASSWORD,
    PLACEHOLDER_PORT,
    TITLE_DUAL_IDENTITY,
    _device_title,
    _max_calls_error,
    _max_calls_label,
)
from bot.grammar import canonical_key
from bot.markdown import one_line, plain
from bot.validation import HOST_MAX, LOCATION_MAX, NAME_MAX, PASSWORD_MAX, parse_trunk_type
from bot.webex.models import DeviceType, Location, TrunkType, TrunkTypeInfo


def _certificate_devices(trunk_types: Sequence[TrunkTypeInfo]) -> list[DeviceType]:
    return [
        d
        for t in trunk_types
        if t.trunk_type is TrunkType.CERTIFICATE_BASED
        for d in t.device_types
    ]


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _pick_location(value: str, locations: Sequence[Location]) -> str | None:
    """The id of the location ``value`` names (an id, or a name in any case), if exactly one."""
    wanted = value.strip()
    if not wanted:
        return None
    if any(loc.id == wanted for loc in locations):
        return wanted
    named = [loc.id for loc in locations if _fold(loc.name) == _fold(wanted)]
    return named[0] if len(named) == 1 else None


def _pick_device(value: str, devices: Sequence[DeviceType]) -> str | None:
    wanted = _fold(value)
    return next((d.device_type for d in devices if _fold(d.device_type) == wanted), None)


def _canonical_values(values: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        canon = canonical_key(key) or key
        if canon != "password" and isinstance(value, str) and canon not in out:
            out[canon] = value
    return out


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
    shown), each of ``errors`` (canonical key → a bot.replies sentence) under its field and
    the others at the top. ``direct``: a 1:1 space, the only place with a password input.
    ``note``: a bot.replies sentence under the title.
    """
    vals = _canonical_values(values)
    field_keys = set(FORM_INPUTS) if direct else set(FORM_INPUTS) - {"password"}
    body: list[dict[str, Any]] = [_title(FORM_TITLE)]
    if note:
        body += _sentence_blocks(note)
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
        name["value"] = _prefill(vals["name"])
    body += field("name", name)
    body += field("location", _location_input(locations, vals.get("location", "")))

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

    cert_items: list[dict[str, Any]] = [_text(plain(HEADING_CERTIFICATE), weight="bolder")]
    devices = _certificate_devices(trunk_types)
    if devices:
        device: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            "id": "device",
            "label": LABEL_DEVICE,
            "style": "compact",
            "placeholder": PLACEHOLDER_DEVICE,
            "choices": _choices([(_device_title(d), d.device_type) for d in devices]),
        }
        picked = _pick_device(vals.get("device", ""), devices)
        if picked:
            device["value"] = picked
        cert_items += field("device", device)
    else:
        cert_items += [_text(plain(NO_CERTIFICATE_DEVICES), isSubtle=True)]
        if "device" in errors:
            cert_items += _error_blocks(errors["device"])
    cert_items += field(
        "address",
        _text_input(
            "address",
            LABEL_ADDRESS,
            vals,
            regex=ADDRESS_REGEX,
            error=ERROR_ADDRESS,
            max_length=HOST_MAX,
            placeholder=PLACEHOLDER_ADDRESS,
        ),
    )
    cert_items += field(
        "domain",
        _text_input(
            "domain",
            LABEL_DOMAIN,
            vals,
            regex=DOMAIN_REGEX,
            error=ERROR_DOMAIN,
            max_length=HOST_MAX,
            placeholder=PLACEHOLDER_DOMAIN,
        ),
    )
    cert_items += field(
        "port",
        _text_input(
            "port",
            LABEL_PORT,
            vals,
            regex=PORT_REGEX,
            error=ERROR_PORT,
            max_length=5,
            placeholder=PLACEHOLDER_PORT,
            style="tel",
        ),
    )
    lows = [d.min_concurrent_calls for d in devices if d.min_concurrent_calls is not None]
    highs = [d.max_concurrent_calls for d in devices if d.max_concurrent_calls is not None]
    low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    top = high if high is not None else 999_999_999
    bottom = low if low is not None else 1
    cert_items += field(
        "max-calls",
        _text_input(
            "max-calls",
            _max_calls_label(low, high),
            vals,
            regex=int_range_regex(bottom, max(top, bottom)),
            error=_max_calls_error(bottom, high),
            max_length=9,
            placeholder=str(high) if high is not None else None,
            style="tel",
        ),
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

    dual = vals.get("dual-identity", "").strip().casefold() in {"yes", "true", "on", "1"}
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


def _location_input(locations: Sequence[Location], value: str) -> dict[str, Any]:
    if len(locations) > LOCATION_CHOICES_MAX:
        typed: dict[str, Any] = {
            "type": "Input.Text",
            "id": "location",
            "label": LABEL_LOCATION_TYPED,
            "isRequired": True,
            "errorMessage": ERROR_LOCATION,
            "regex": NAME_REGEX,
            "maxLength": LOCATION_MAX,
            "placeholder": PLACEHOLDER_LOCATION_TYPED,
        }
        if value.strip():
            typed["value"] = _prefill(value)
        return typed
    choice: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": "location",
        "label": LABEL_LOCATION,
        "style": "compact",
        "isRequired": True,
        "errorMessage": ERROR_LOCATION,
        "placeholder": PLACEHOLDER_LOCATION,
        "choices": _choices([(one_line(loc.name) or loc.id, loc.id) for loc in locations]),
    }
    picked = _pick_location(value, locations)
    if picked:
        choice["value"] = picked
    return choice


def _prefill(value: str) -> str:
    """An entry shown back as typed (one line; a forged huge value cut, to keep the card
    small). Not cut at maxLength: a too-long entry stays, next to its problem."""
    return one_line(value)[:PREFILL_MAX]


def _text_input(
    key: str,
    label: str,
    vals: Mapping[str, str],
    *,
    regex: str,
    error: str,
    max_length: int,
    placeholder: str | None,
    style: Literal["tel"] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.Text",
        "id": key,
        "label": label,
        "regex": regex,
        "errorMessage": error,
        "maxLength": max_length,
    }
    if placeholder:
        element["placeholder"] = placeholder
    if style:
        element["style"] = style
    value = _prefill(vals.get(key, ""))
    if value:
        element["value"] = value
    return element
