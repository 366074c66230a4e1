"""The create form's inputs: each field prefilled from what was typed, the location as a
choice (or typed, past the choice limit), and the certificate-based section."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from bot.cards.build import _choices, _error_blocks, _text
from bot.cards.regexes import (
    ADDRESS_REGEX,
    DOMAIN_REGEX,
    NAME_REGEX,
    PORT_REGEX,
    int_range_regex,
)
from bot.cards.spec import LOCATION_CHOICES_MAX, PREFILL_MAX
from bot.cards.wording import (
    ERROR_ADDRESS,
    ERROR_DOMAIN,
    ERROR_LOCATION,
    ERROR_PORT,
    HEADING_CERTIFICATE,
    LABEL_ADDRESS,
    LABEL_DEVICE,
    LABEL_DOMAIN,
    LABEL_LOCATION,
    LABEL_LOCATION_TYPED,
    LABEL_PORT,
    NO_CERTIFICATE_DEVICES,
    PLACEHOLDER_ADDRESS,
    PLACEHOLDER_DEVICE,
    PLACEHOLDER_DOMAIN,
    PLACEHOLDER_LOCATION,
    PLACEHOLDER_LOCATION_TYPED,
    PLACEHOLDER_PORT,
    _device_title,
    _max_calls_error,
    _max_calls_label,
)
from bot.grammar import canonical_key
from bot.markdown import one_line, plain
from bot.validation import HOST_MAX, LOCATION_MAX, find_device, fold_name
from bot.webex.models import DeviceType, Location

#: (canonical key, input element) → the element and its problem, if any.
FieldBlocks = Callable[[str, dict[str, Any]], list[dict[str, Any]]]


def canonical_values(values: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        canon = canonical_key(key) or key
        if canon != "password" and isinstance(value, str) and canon not in out:
            out[canon] = value
    return out


def _pick_location(value: str, locations: Sequence[Location]) -> str | None:
    """The id of the location ``value`` names (an id, or a name in any case), if exactly one."""
    wanted = value.strip()
    if not wanted:
        return None
    if any(loc.id == wanted for loc in locations):
        return wanted
    named = [loc.id for loc in locations if fold_name(loc.name) == fold_name(wanted)]
    return named[0] if len(named) == 1 else None


def certificate_items(
    devices: Sequence[DeviceType],
    vals: Mapping[str, str],
    errors: Mapping[str, str],
    field: FieldBlocks,
) -> list[dict[str, Any]]:
    """The certificate-based section: the device (from ``devices``), address, domain, port,
    max-calls (bounded by the devices' limits), each with its problem under it."""
    cert_items: list[dict[str, Any]] = [_text(plain(HEADING_CERTIFICATE), weight="bolder")]
    if devices:
        device: dict[str, Any] = {
            "type": "Input.ChoiceSet",
            "id": "device",
            "label": LABEL_DEVICE,
            "style": "compact",
            "placeholder": PLACEHOLDER_DEVICE,
            "choices": _choices([(_device_title(d), d.device_type) for d in devices]),
        }
        picked = _picked_device(vals.get("device", ""), devices)
        if picked:
            device["value"] = picked
        cert_items += field("device", device)
    else:
        cert_items += [_text(plain(NO_CERTIFICATE_DEVICES), isSubtle=True)]
        if "device" in errors:
            cert_items += _error_blocks(errors["device"])
    cert_items += field(
        "address",
        text_input(
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
        text_input(
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
        text_input(
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
        text_input(
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
    return cert_items


def location_input(locations: Sequence[Location], value: str) -> dict[str, Any]:
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
            typed["value"] = prefill(value)
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


def prefill(value: str) -> str:
    """An entry shown back as typed (one line; a forged huge value cut, to keep the card
    small). Not cut at maxLength: a too-long entry stays, next to its problem."""
    return one_line(value)[:PREFILL_MAX]


def text_input(
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
    value = prefill(vals.get(key, ""))
    if value:
        element["value"] = value
    return element


def _picked_device(value: str, devices: Sequence[DeviceType]) -> str | None:
    device = find_device(value, devices)
    return device.device_type if device is not None else None
