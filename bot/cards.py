"""Adaptive Card 1.3 builders: the create-trunk form, confirm, result, approval and notice cards.

Pure functions from data to the card ``content`` dict (what goes into a message attachment
``{"contentType": CONTENT_TYPE, "content": card}``), plus :func:`fallback_text` (the
message text Webex shows where the card can't be) and :func:`card_as_text` (the card as
readable text, for ``trunkbot shell``).

Webex's limits (webex-api.md): Adaptive Cards **1.3** only, at most **5 actions**, no masked
input (``style: "password"`` is 1.5), always a fallback text.

**Trust.** A card is untrusted when it comes back: anyone who can see it can post any inputs
to it. Every submit action carries ``data = {"trunkbot": {"nonce": …, "action": <verb>}}``;
the nonce and the verb are all the bot may read from ``data``, and it re-validates every
input (:meth:`bot.validation.TrunkRequest.from_fields` with ``ignore_empty``; the keys
against :func:`input_ids`, choices against :func:`choice_values`). A renderer merges the
inputs into ``data``, so the form's submission looks like::

    {"trunkbot": {"nonce": "…", "action": "review"}, "name": "lon-1", "location": "<id>",
     "type": "registering", "dual-identity": "no", …}

Webex's clients send ``""`` for an untouched input; Microsoft's JS renderer leaves it out.
Both mean "not given".

**Text.** TextBlock and FactSet text is markdown (bold, italic, lists, links) and expands
``{{DATE(…)}}`` / ``{{TIME(…)}}``. Every text from a person or from Webex goes through
:func:`_plain`, which backslash-escapes just what could turn into markup. Input labels,
choice titles of a compact ChoiceSet and RichTextBlock TextRuns are never markdown: they get
:func:`_line` (one line, no control characters) and show exactly. Sentences from
:mod:`bot.replies` (``errors``, ``note``, ``next_step``, a notice's text) are Webex markdown
with user text already escaped; :func:`_from_markdown` makes them plain text first. All other
arguments (facts, names, titles, requester, expiry) are plain text.

Decisions, each checked with the real renderer in tests/test_cards_browser.py:

* **Port and max-calls are Input.Text with a range regex**, not Input.Number with min/max:
  the ``adaptivecards`` renderer (3.0.6) reads an empty Input.Number as NaN, fails
  ``NaN >= min``, and then refuses to submit the *whole* card, hidden inputs included, so a
  registering-trunk form could never be sent. ``style: "tel"`` still brings up a numeric
  keypad on phones.
* **Certificate-only fields** (device, address, domain, port, max-calls) live in one
  Container, shown when the type is certificate-based (or one of them has a problem) and
  otherwise revealed by an ``Action.ToggleVisibility`` (AC 1.2). A hidden input is still
  validated and submitted by renderers, so none of them is ``isRequired``.
* **Cancel** has ``associatedInputs: "none"`` (AC 1.3): it posts only its ``data``.
* **Location** is a ChoiceSet of calling-enabled locations (value: the ID) when there are at
  most :data:`LOCATION_CHOICES_MAX`; beyond that an Input.Text for a name or ID, so the card
  stays small (the bot resolves the name as it does for text commands).
* **Password**: an Input.Text only in a 1:1 space, empty by default (Webex generates one),
  never prefilled, with a note that Webex stores what is typed into a card.
* A generated password on the result card is a monospace RichTextBlock TextRun: not
  markdown, so it shows byte for byte on every client.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from bot.grammar import canonical_key
from bot.validation import (
    CERTIFICATE_ONLY_KEYS,
    LOCATION_MAX,
    NAME_MAX,
    PASSWORD_MAX,
    parse_trunk_type,
)
from bot.webex.models import DeviceType, Location, TrunkType, TrunkTypeInfo

Card = dict[str, Any]

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.3"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MAX_ACTIONS = 5  # Webex's limit per card

#: The key of submit ``data`` that holds the nonce and the verb.
DATA_KEY = "trunkbot"
#: Verbs of the submit actions.
REVIEW = "review"
CANCEL = "cancel"
CONFIRM = "confirm"
APPROVE = "approve"
REJECT = "reject"
VERBS: tuple[str, ...] = (REVIEW, CANCEL, CONFIRM, APPROVE, REJECT)

#: Input ids of the form: the grammar's canonical keys.
FORM_INPUTS: tuple[str, ...] = (
    "name",
    "location",
    "type",
    "device",
    "address",
    "domain",
    "port",
    "max-calls",
    "dual-identity",
    "password",
)
#: The id of the Container that holds the certificate-only inputs.
CERTIFICATE_CONTAINER = "certificate-settings"
#: Up to this many locations are a choice; more are typed (a name or an ID).
LOCATION_CHOICES_MAX = 50
#: Values of the ``type`` choice (what :func:`bot.validation.parse_trunk_type` reads).
TYPE_REGISTERING = "registering"
TYPE_CERTIFICATE = "certificate"
YES, NO = "yes", "no"
_CERTIFICATE_KEYS: tuple[str, ...] = ("device", *CERTIFICATE_ONLY_KEYS)
PREFILL_MAX = 300  # characters of an entry shown back; every field allows fewer
_FALLBACK_MAX = 3000  # characters; Webex allows 7,439 bytes of message text

# --- wording ------------------------------------------------------------------------------
# Every sentence of the cards. (bot/replies.py holds the chat sentences; these belong to the
# card layout and read best next to it.)

FORM_TITLE = "Create a Webex Calling trunk"
FORM_GROUP_NOTE = (
    "Webex generates the trunk's password. Passwords are never shown in a group space."
)
LABEL_NAME = "Trunk name"
LABEL_LOCATION = "Location"
LABEL_LOCATION_TYPED = "Location (its name or ID)"
LABEL_TYPE = "Trunk type"
LABEL_DEVICE = "Device type"
LABEL_ADDRESS = "SBC address (a DNS name, or an SRV name such as _sips._tcp.example.com)"
LABEL_DOMAIN = "Domain (verified in Webex)"
LABEL_PORT = "Port (1–65535; leave it empty for an SRV address)"
LABEL_DUAL_IDENTITY = "Dual identity"
TITLE_DUAL_IDENTITY = "Dual identity support (how Webex sets From and PAI on outbound calls)"
LABEL_PASSWORD = "Password (leave it empty and Webex generates one)"  # noqa: S105 - wording
FORM_DIRECT_NOTE = (
    "Webex keeps whatever is typed into a card, and this field shows what you type, so a "
    "generated password is safer: leave it empty and I show you Webex's, here only."
)
PLACEHOLDER_NAME = "e.g. lon-lgw-1"
PLACEHOLDER_LOCATION = "Choose a calling location"
PLACEHOLDER_LOCATION_TYPED = "e.g. London HQ"
PLACEHOLDER_DEVICE = "Choose a device type"
PLACEHOLDER_ADDRESS = "sbc1.example.com"
PLACEHOLDER_DOMAIN = "example.com"
PLACEHOLDER_PORT = "5061"
PLACEHOLDER_PASSWORD = "Leave empty: Webex generates one"  # noqa: S105 - wording
CHOICE_REGISTERING = "Registering (a Cisco CUBE local gateway)"
CHOICE_CERTIFICATE = "Certificate-based (an SBC: CUBE, Oracle ACME, AudioCodes, Ribbon)"
HEADING_CERTIFICATE = "Certificate-based settings"
NO_CERTIFICATE_DEVICES = (
    "Webex lists no device types for certificate-based trunks in this organization."
)
ERROR_NAME = f"Give the trunk a name: one line, at most {NAME_MAX} characters."
ERROR_LOCATION = "Choose the location of the trunk."
ERROR_ADDRESS = (
    "Give the SBC's DNS name (sbc1.example.com) or an SRV name (_sips._tcp.example.com); "
    "not an IP address."
)
ERROR_DOMAIN = "Give a domain such as example.com."
ERROR_PORT = "A port is a number from 1 to 65535."
ERROR_PASSWORD = f"A password has no spaces, no ? and no !, and at most {PASSWORD_MAX} characters."
BUTTON_REVIEW = "Review"
BUTTON_MORE = "Certificate-based settings"
BUTTON_CANCEL = "Cancel"
BUTTON_CREATE = "Create"
BUTTON_APPROVE = "Approve"
BUTTON_REJECT = "Reject"
CONFIRM_TITLE = "Create this trunk?"
PASSWORD_LABEL = "Password (shown only here)"  # noqa: S105 - wording
APPROVAL_TITLE = "Approve a new trunk?"
FALLBACK_FORM = (
    "This Webex app can't show the form. Type instead: "
    'create trunk name=<name> location="<location>"'
)
FALLBACK_ACTIONS = "Open this message in a Webex app that shows cards to answer it."


def _max_calls_label(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"Max concurrent calls ({low}–{high}, by device type)"
    if high is not None:
        return f"Max concurrent calls (up to {high}, by device type)"
    return "Max concurrent calls (limits depend on the device type)"


def _max_calls_error(low: int, high: int | None) -> str:
    if high is None:
        return f"Give a number, at least {low}."
    return f"Give a number from {low} to {high}."


def _device_title(device: DeviceType) -> str:
    low, high = device.min_concurrent_calls, device.max_concurrent_calls
    name = _line(device.device_type)
    if low is not None and high is not None:
        return f"{name} ({low}–{high} calls)"
    if high is not None:
        return f"{name} (up to {high} calls)"
    if low is not None:
        return f"{name} (at least {low} calls)"
    return name


def _requested_by(requester: str) -> str:
    return f"Requested by {requester}."


def _approval_text(requester: str, expires: str) -> str:
    return f"{requester} asks to create this trunk. The request expires {expires}."


# --- text ---------------------------------------------------------------------------------

# Characters that are markup wherever they stand (CommonMark escapes all of them).
_ALWAYS = frozenset("\\*`~[]<>")
# At the start of a line: list items, headings, quotes, setext underlines.
_LINE_START = re.compile(r"([-+#=|]|[0-9]+[.)])")
# An HTML entity, which CommonMark would decode (`&amp;` shows as `&`).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
# What _plain escapes: a backslash before ASCII punctuation.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# Characters that break a line or are invisible controls; a TextBlock gets one line.
_BREAKS = frozenset({"Cc", "Zl", "Zp"})


def _line(text: object) -> str:
    """``text`` on one line: line breaks and control characters become spaces, runs of
    whitespace one space, trimmed. For text that is never markdown (labels, choice titles,
    TextRuns) and the first step of :func:`_plain`."""
    s = "".join(" " if unicodedata.category(c) in _BREAKS else c for c in str(text))
    return " ".join(s.split())


def _plain(text: object) -> str:
    """``text`` for an Adaptive Card TextBlock or Fact: shows as typed, never as markup.

    One line (:func:`_line`); a backslash before each character that could start markup:
    ``\\ * ` ~ [ ] < >`` always; ``_`` unless inside a word (``lon_lgw_1`` stays as is,
    and CommonMark never reads an in-word underscore as emphasis); ``(`` right after ``]``
    (renderers that ignore the escape of ``]`` would otherwise see ``[x](url)``); the
    second ``{`` of ``{{`` (so ``{{DATE(…)}}`` is no function); ``&`` of an entity; and a
    list, heading or quote marker at the start. :func:`_unplain` reverses it exactly.
    """
    s = _line(text)
    out: list[str] = []
    for i, c in enumerate(s):
        prev = s[i - 1] if i else ""
        after = s[i + 1] if i + 1 < len(s) else ""
        if (
            c in _ALWAYS
            or (c == "_" and not (prev.isalnum() and after.isalnum()))
            or (c == "(" and prev == "]")
            or (c == "{" and prev == "{")
            or (c == "&" and _ENTITY.match(s, i))
        ):
            out.append("\\")
        out.append(c)
    escaped = "".join(out)
    start = _LINE_START.match(escaped)
    if start:
        marker = start.group(1)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    return escaped


def _unplain(text: str) -> str:
    """The plain text behind :func:`_plain`'s escapes."""
    return _ESCAPED.sub(r"\1", text)


_MD_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|(`+)|\*\*")


def _from_markdown(text: str) -> str:
    """A bot.replies sentence (Webex markdown) as the plain text a person reads.

    Undoes ``esc()`` escapes and code spans (their content is literal), drops ``**``.
    Line breaks are kept (each line becomes its own TextBlock). The result is plain text
    and still goes through :func:`_plain` before it reaches a card.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        m = _MD_TOKEN.search(text, i)
        if m is None:
            out.append(text[i:])
            break
        out.append(text[i : m.start()])
        if m.group(1) is not None:
            out.append(m.group(1))
            i = m.end()
        elif m.group(2) is not None:
            fence = m.group(2)
            close = re.compile(rf"(?<!`){fence}(?!`)").search(text, m.end())
            if close is None:
                out.append(fence)
                i = m.end()
                continue
            content = text[m.end() : close.start()]
            if len(content) > 1 and content[0] == content[-1] == " " and content.strip():
                content = content[1:-1]
            out.append(content)
            i = close.end()
        else:
            i = m.end()
    return "".join(out)


# --- regexes for Input.Text ---------------------------------------------------------------
# JavaScript regexes that renderers test the whole value against (they add no anchors). They
# mirror bot/validation.py so the client catches most mistakes; the bot re-validates anyway.
# Surrounding spaces are allowed because validation trims them.

_CONTROL = r"\x00-\x1f\x7f"
#: A name: one line (no control characters), not blank; the length is maxLength.
NAME_REGEX = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_NOT_NUMERIC_END = r"(?!(?:\S*\.)?[0-9]+\.?\s*$)"  # the last label isn't all digits (no IPs)
#: An SBC address: a DNS or SRV name.
ADDRESS_REGEX = rf"^\s*{_NOT_NUMERIC_END}{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?\s*$"
#: A domain: at least two labels, no underscores.
DOMAIN_REGEX = rf"^\s*{_NOT_NUMERIC_END}{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})+\.?\s*$"
#: A typed password: no whitespace, ``?`` or ``!`` (Webex error 25015); length is maxLength.
PASSWORD_REGEX = rf"^[^\s?!{_CONTROL}]+$"
HOST_MAX = 253


def _range_alternatives(low: int, high: int) -> list[str]:
    """Regex alternatives matching the decimal numbers low..high (no leading zeros).

    Splits the range into runs ``P[a-b][0-9]{k}``: from each start, the widest aligned
    block of 10**k that fits, grown digit by digit within its 10**(k+1) block.
    """
    parts: list[str] = []
    start = low
    while start <= high:
        k = 0
        while start % 10 ** (k + 1) == 0 and start + 10 ** (k + 1) - 1 <= high:
            k += 1
        step = 10**k
        block_end = (start // (step * 10) + 1) * step * 10 - 1
        end = start + step - 1
        while end + step <= min(high, block_end):
            end += step
        s, e = str(start), str(end)
        lead = len(s) - k - 1
        digit = s[lead] if s[lead] == e[lead] else f"[{s[lead]}-{e[lead]}]"
        rest = "" if k == 0 else "[0-9]" if k == 1 else f"[0-9]{{{k}}}"
        parts.append(f"{s[:lead]}{digit}{rest}")
        start = end + 1
    return parts


def int_range_regex(low: int, high: int) -> str:
    """A JS/Python regex for the decimal integers ``low``..``high`` (1 ≤ low ≤ high)."""
    if not 1 <= low <= high:
        raise ValueError("int_range_regex needs 1 <= low <= high")
    return rf"^\s*(?:{'|'.join(_range_alternatives(low, high))})\s*$"


PORT_REGEX = int_range_regex(1, 65535)


# --- elements -----------------------------------------------------------------------------


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    card: Card = {
        "type": "AdaptiveCard",
        "version": VERSION,
        "$schema": SCHEMA,
        "body": body,
    }
    if actions:
        if len(actions) > MAX_ACTIONS:
            raise ValueError(f"a Webex card has at most {MAX_ACTIONS} actions")
        card["actions"] = actions
    return card


def _text(text: str, **props: Any) -> dict[str, Any]:
    """A TextBlock of already-escaped markdown ``text``."""
    return {"type": "TextBlock", "text": text, "wrap": True, **props}


def _title(text: str) -> dict[str, Any]:
    return _text(_plain(text), size="medium", weight="bolder")


def _sentence_blocks(sentence: str, **props: Any) -> list[dict[str, Any]]:
    """A bot.replies sentence (Webex markdown) as TextBlocks, one per line."""
    lines = [ln for ln in _from_markdown(sentence).splitlines() if ln.strip()]
    return [_text(_plain(ln), **props) for ln in lines]


def _error_blocks(sentence: str) -> list[dict[str, Any]]:
    return _sentence_blocks(sentence, color="attention", spacing="small")


def _facts(facts: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [{"title": _plain(t), "value": _plain(v) or "—"} for t, v in facts],
    }


def _submit(title: str, nonce: str, verb: str, **props: Any) -> dict[str, Any]:
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {DATA_KEY: {"nonce": nonce, "action": verb}},
        **props,
    }


def _choices(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "value": value} for title, value in pairs]


# --- the form -----------------------------------------------------------------------------


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

    cert_items: list[dict[str, Any]] = [_text(_plain(HEADING_CERTIFICATE), weight="bolder")]
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
        cert_items += [_text(_plain(NO_CERTIFICATE_DEVICES), isSubtle=True)]
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
        body.append(_text(_plain(FORM_DIRECT_NOTE), isSubtle=True, size="small", spacing="small"))
    else:
        body.append(_text(_plain(FORM_GROUP_NOTE), isSubtle=True, size="small"))

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
        "choices": _choices([(_line(loc.name) or loc.id, loc.id) for loc in locations]),
    }
    picked = _pick_location(value, locations)
    if picked:
        choice["value"] = picked
    return choice


def _prefill(value: str) -> str:
    """An entry shown back as typed (one line; a forged huge value cut, to keep the card
    small). Not cut at maxLength: a too-long entry stays, next to its problem."""
    return _line(value)[:PREFILL_MAX]


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


# --- the other cards ----------------------------------------------------------------------


def confirm_card(
    *,
    nonce: str,
    facts: Sequence[tuple[str, str]],
    requester: str,
    note: str | None = None,
) -> Card:
    """What will be created, where and by whom; Create (``confirm``) and Cancel (``cancel``).

    ``facts``: (label, value) in plain text, e.g. ``("Location", "London HQ")``.
    ``note``: a bot.replies sentence shown under the facts.
    """
    body = [_title(CONFIRM_TITLE), _facts(facts), _text(_plain(_requested_by(requester)))]
    if note:
        body += _sentence_blocks(note, isSubtle=True)
    actions = [
        _submit(BUTTON_CREATE, nonce, CONFIRM, style="positive"),
        _submit(BUTTON_CANCEL, nonce, CANCEL, associatedInputs="none"),
    ]
    return _card(body, actions)


def result_card(
    *,
    title: str,
    facts: Sequence[tuple[str, str]],
    password: str | None,
    next_step: str,
) -> Card:
    """The created trunk: ``title`` (plain), its gateway settings as ``facts``, the generated
    ``password`` (give it only in a 1:1 space) and ``next_step`` (a bot.replies sentence).
    No actions.
    """
    body = [_title(title), _facts(facts)]
    if password is not None:
        body.append(_text(_plain(PASSWORD_LABEL), weight="bolder", spacing="medium"))
        body.append(
            {
                "type": "RichTextBlock",
                "spacing": "small",
                "inlines": [{"type": "TextRun", "text": password, "fontType": "monospace"}],
            }
        )
    body += _sentence_blocks(next_step, spacing="medium")
    return _card(body)


def approval_card(
    *,
    nonce: str,
    facts: Sequence[tuple[str, str]],
    requester: str,
    expires: str,
) -> Card:
    """For the approvers' space: the request, who asked, when it expires (plain text, e.g.
    "at 14:05 UTC"); Approve (``approve``) and Reject (``reject``)."""
    body = [
        _title(APPROVAL_TITLE),
        _text(_plain(_approval_text(requester, expires))),
        _facts(facts),
    ]
    actions = [
        _submit(BUTTON_APPROVE, nonce, APPROVE, style="positive"),
        _submit(BUTTON_REJECT, nonce, REJECT, style="destructive", associatedInputs="none"),
    ]
    return _card(body, actions)


def notice_card(
    *,
    title: str,
    text: str | None = None,
    facts: Sequence[tuple[str, str]] = (),
    tone: Literal["good", "attention", "warning"] | None = None,
) -> Card:
    """A card that only informs (expired, already used, approved, rejected, cancelled):
    ``title`` in plain text, ``text`` a bot.replies sentence, optional facts; no actions."""
    heading = _title(title)
    if tone:
        heading["color"] = tone
    body = [heading]
    if text:
        body += _sentence_blocks(text)
    if facts:
        body.append(_facts(facts))
    return _card(body)


def attachment(card: Card) -> dict[str, Any]:
    """The message attachment that carries ``card``."""
    return {"contentType": CONTENT_TYPE, "content": card}


# --- reading cards back -------------------------------------------------------------------


def _elements(items: Sequence[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    for item in items:
        yield item
        for key in ("items", "columns"):
            yield from _elements(item.get(key) or [])


def input_ids(card: Mapping[str, Any]) -> list[str]:
    """The ids of the card's inputs, in order: the only keys a submission may carry besides
    ``trunkbot``."""
    return [
        e["id"]
        for e in _elements(card.get("body") or [])
        if str(e.get("type", "")).startswith("Input.")
    ]


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


def choice_values(card: Mapping[str, Any]) -> dict[str, list[str]]:
    """For each ChoiceSet and Toggle input: the values it offers (anything else is forged)."""
    out: dict[str, list[str]] = {}
    for e in _elements(card.get("body") or []):
        if e.get("type") == "Input.ChoiceSet":
            out[e["id"]] = [c["value"] for c in e.get("choices") or []]
        elif e.get("type") == "Input.Toggle":
            out[e["id"]] = [e.get("valueOn", "true"), e.get("valueOff", "false")]
    return out


def _verbs(card: Mapping[str, Any]) -> list[str]:
    return [
        a["data"][DATA_KEY]["action"]
        for a in card.get("actions") or []
        if a.get("type") == "Action.Submit" and DATA_KEY in (a.get("data") or {})
    ]


def _block_text(element: Mapping[str, Any]) -> str:
    if element.get("type") == "RichTextBlock":
        return "".join(str(i.get("text", "")) for i in element.get("inlines") or [])
    return _unplain(str(element.get("text", "")))


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
            lines += [f"{_unplain(f['title'])}: {_unplain(f['value'])}" for f in e["facts"]]
        elif kind == "TextBlock" and _block_text(e) == PASSWORD_LABEL:
            password_next = True
        elif kind == "RichTextBlock" and password_next:
            password_next = False  # a password stays in the card
        elif kind == "TextBlock" and not e.get("isSubtle") and "actions" not in card:
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
        title = _line(action.get("title", ""))
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
            out.append(f"{indent}{'⚠ ' if e.get('color') == 'attention' else ''}{text}")
        elif kind == "FactSet":
            out += [f"{indent}  {_unplain(f['title'])}: {_unplain(f['value'])}" for f in e["facts"]]
        elif kind == "Container":
            hidden = e.get("isVisible") is False
            if hidden:
                out.append(f"{indent}(hidden until you press a button; you may still fill in:)")
            _body_as_text(e.get("items") or [], out, indent + ("  " if hidden else ""))
        elif str(kind).startswith("Input."):
            out += _input_as_text(e, indent)


def _input_as_text(e: Mapping[str, Any], indent: str) -> list[str]:
    label = _line(e.get("label") or e.get("title") or e["id"])
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
            lines.append(f"{indent}    {_line(e['title'])}")
    else:
        shown = value if value not in (None, "") else "(empty)"
        lines.append(f"{indent}• {label} [{e['id']}]{required}: {shown}")
    return lines


def card_json(card: Mapping[str, Any]) -> str:
    """The card as compact JSON (its size is what Webex counts)."""
    return json.dumps(card, ensure_ascii=False, separators=(",", ":"))
