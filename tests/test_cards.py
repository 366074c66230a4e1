"""The Adaptive Card builders: Webex's 1.3 limits, prefill, errors at their field, escaping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import cards, replies
from bot.cards.build import _card, _submit
from bot.grammar import KEYS
from bot.markdown import from_markdown as _from_markdown
from bot.markdown import one_line
from bot.markdown import plain as _plain
from bot.markdown import unplain as _unplain
from bot.sentence import Run, Sentence, Style, bold, mono, sentence
from bot.validation import InvalidRequest, TrunkRequest
from bot.webex.models import Location
from commands import cardkit
from tests.cards import reading
from tests.cards.samples import (
    CERTIFICATE_VALUES,
    EVIL,
    FACTS,
    LOCATIONS,
    LONDON,
    NONCE,
    PASSWORD,
    every_card,
    form,
)

CARDS = every_card()

# -- what Adaptive Cards 1.3 allows ---------------------------------------------------------
# From the schema explorer (adaptivecards.io/explorer), every property with its version; only
# what exists in 1.3 or earlier. Webex renders 1.3 only.
_ELEMENT = {"type", "id", "spacing", "separator", "isVisible", "height", "fallback", "requires"}
_INPUT = _ELEMENT | {"isRequired", "errorMessage", "label"}
_ACTION = {"type", "id", "title", "iconUrl", "style", "fallback", "requires"}
ALLOWED: dict[str, set[str]] = {
    "AdaptiveCard": {
        "type", "version", "$schema", "body", "actions", "selectAction", "fallbackText",
        "backgroundImage", "minHeight", "speak", "lang", "verticalContentAlignment",
    },
    "TextBlock": _ELEMENT | {
        "text", "color", "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size",
        "weight", "wrap",
    },
    "RichTextBlock": _ELEMENT | {"inlines", "horizontalAlignment"},
    "TextRun": {
        "type", "text", "color", "fontType", "highlight", "isSubtle", "italic", "size",
        "strikethrough", "underline", "weight", "selectAction",
    },
    "FactSet": _ELEMENT | {"facts"},
    "Fact": {"title", "value"},
    "Container": _ELEMENT | {
        "items", "selectAction", "style", "verticalContentAlignment", "bleed",
        "backgroundImage", "minHeight",
    },
    "ColumnSet": _ELEMENT | {"columns", "selectAction", "style", "bleed", "minHeight",
                             "horizontalAlignment"},
    "Column": _ELEMENT | {"items", "backgroundImage", "bleed", "minHeight", "selectAction",
                          "style", "verticalContentAlignment", "width"},
    "ActionSet": _ELEMENT | {"actions"},
    "Input.Text": _INPUT | {
        "isMultiline", "maxLength", "placeholder", "regex", "style", "inlineAction", "value",
    },
    "Input.Number": _INPUT | {"max", "min", "placeholder", "value"},
    "Input.ChoiceSet": _INPUT | {
        "choices", "isMultiSelect", "style", "value", "placeholder", "wrap",
    },
    "Input.Choice": {"title", "value"},
    "Input.Toggle": _INPUT | {"title", "value", "valueOff", "valueOn", "wrap"},
    "Action.Submit": _ACTION | {"data", "associatedInputs"},
    "Action.OpenUrl": _ACTION | {"url"},
    "Action.ToggleVisibility": _ACTION | {"targetElements"},
    "TargetElement": {"elementId", "isVisible"},
}  # fmt: skip
ENUMS: dict[str, set[str]] = {
    "spacing": {"default", "none", "small", "medium", "large", "extraLarge", "padding"},
    "color": {"default", "dark", "light", "accent", "good", "warning", "attention"},
    "size": {"default", "small", "medium", "large", "extraLarge"},
    "weight": {"default", "lighter", "bolder"},
    "fontType": {"default", "monospace"},
    "associatedInputs": {"auto", "none"},
}
# Enumerations that mean different things per type (Input.Text style "password" is 1.5).
TYPED_ENUMS: dict[tuple[str, str], set[str]] = {
    ("Input.Text", "style"): {"text", "tel", "url", "email"},
    ("Input.ChoiceSet", "style"): {"compact", "expanded"},
    ("Action.Submit", "style"): {"default", "positive", "destructive"},
    ("Action.ToggleVisibility", "style"): {"default", "positive", "destructive"},
    ("Container", "style"): {"default", "emphasis", "good", "attention", "warning", "accent"},
}
ITEMS = {"body": None, "items": None, "columns": "Column", "actions": None, "inlines": None}
OBJECTS = {"facts": "Fact", "choices": "Input.Choice", "targetElements": "TargetElement"}


def problems_at_1_3(obj: Any, kind: str | None = None, path: str = "card") -> Iterator[str]:
    """Every element type, property or enumeration value not in Adaptive Cards 1.3."""
    if isinstance(obj, str):  # a target element given by its id
        if kind != "TargetElement":
            yield f"{path}: a bare string where {kind} belongs"
        return
    kind = kind or obj.get("type")
    if kind not in ALLOWED:
        yield f"{path}: {kind!r} is not an Adaptive Card 1.3 type"
        return
    for key, value in obj.items():
        where = f"{path}.{key}"
        if key not in ALLOWED[kind]:
            yield f"{where}: {kind} has no {key!r} in 1.3"
        allowed = TYPED_ENUMS.get((kind, key)) or (ENUMS.get(key) if kind != "Fact" else None)
        if allowed is not None and value not in allowed:
            yield f"{where}: {value!r} is not one of {sorted(allowed)}"
        if key in ITEMS:
            for i, item in enumerate(value):
                yield from problems_at_1_3(item, ITEMS[key], f"{where}[{i}]")
        elif key in OBJECTS:
            for i, item in enumerate(value):
                yield from problems_at_1_3(item, OBJECTS[key], f"{where}[{i}]")


def walk(obj: Any) -> Iterator[dict[str, Any]]:
    """Every object of the card, depth first."""
    if isinstance(obj, dict):
        yield obj
        for value in obj.values():
            yield from walk(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from walk(item)


def inputs(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in walk(card) if str(o.get("type", "")).startswith("Input.")}


def after(card: Mapping[str, Any], input_id: str) -> dict[str, Any] | None:
    """The element right after input ``input_id`` in its container."""
    for o in walk(card):
        for key in ("body", "items"):
            items = o.get(key) or []
            for i, item in enumerate(items):
                if item.get("id") == input_id:
                    return items[i + 1] if i + 1 < len(items) else None
    return None


def texts(card: Mapping[str, Any]) -> list[str]:
    """Every markdown text of the card: TextBlocks and facts."""
    out = [o["text"] for o in walk(card) if o.get("type") == "TextBlock"]
    out += [f[k] for o in walk(card) if o.get("type") == "FactSet" for f in o["facts"] for k in f]
    return out


def runs(block: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A RichTextBlock's TextRuns as (text, style): "bold", "code" or "text"."""
    assert block["type"] == "RichTextBlock"
    styles = {"weight": "bold", "fontType": "code"}
    return [
        (r["text"], next((v for k, v in styles.items() if k in r), "text"))
        for r in block["inlines"]
    ]


def read(card: Mapping[str, Any]) -> list[str]:
    """What a person reads in each text element: TextBlocks unescaped, RichTextBlocks' runs."""
    return [
        _unplain(o["text"]) if o["type"] == "TextBlock" else "".join(t for t, _ in runs(o))
        for o in walk(card)
        if o.get("type") in ("TextBlock", "RichTextBlock")
    ]


def visible_certificate(card: Mapping[str, Any]) -> bool:
    container = next(o for o in walk(card) if o.get("id") == cards.CERTIFICATE_CONTAINER)
    return container.get("isVisible", True) is not False


# -- every card -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CARDS))
def test_card_is_adaptive_card_1_3(name: str) -> None:
    """Every card is an AdaptiveCard 1.3 with the schema URL."""
    card = CARDS[name]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.3"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"


@pytest.mark.parametrize("name", list(CARDS))
def test_card_uses_only_1_3(name: str) -> None:
    """Every element, property and enumeration value exists in Adaptive Cards 1.3."""
    assert list(problems_at_1_3(CARDS[name])) == []


@pytest.mark.parametrize("name", list(CARDS))
def test_card_has_at_most_five_actions(name: str) -> None:
    """Webex allows at most 5 actions per card."""
    assert len(CARDS[name].get("actions", [])) <= 5


@pytest.mark.parametrize("name", list(CARDS))
def test_card_is_small_json(name: str) -> None:
    """Every card survives a JSON round trip and stays under 20 KB."""
    card = CARDS[name]
    assert json.loads(json.dumps(card)) == card
    assert len(reading.card_json(card).encode()) < 20_000


@pytest.mark.parametrize("name", list(CARDS))
def test_ids_are_unique(name: str) -> None:
    """No two elements of a card share an id (a renderer would merge their inputs)."""
    ids = [o["id"] for o in walk(CARDS[name]) if "id" in o]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", list(CARDS))
def test_submit_data_is_only_nonce_and_verb(name: str) -> None:
    """Every submit action's data is exactly {"trunkbot": {"nonce", "action"}}, with a verb
    some card purpose takes (bulk's Stop is its own)."""
    verbs = set(cards.VERBS).union(*cardkit.VERBS.values())
    for action in CARDS[name].get("actions", []):
        if action["type"] == "Action.Submit":
            assert action["data"] == {
                "trunkbot": {"nonce": NONCE, "action": action["data"]["trunkbot"]["action"]}
            }
            assert action["data"]["trunkbot"]["action"] in verbs


@pytest.mark.parametrize("name", list(CARDS))
def test_required_inputs_have_label_and_error_message(name: str) -> None:
    """Required inputs carry a label and an error message (the renderer warns otherwise)."""
    for element in inputs(CARDS[name]).values():
        if element.get("isRequired"):
            assert element.get("label")
            assert element.get("errorMessage")


@pytest.mark.parametrize(
    ("name", "buttons"),
    [
        ("form-direct", [("Review", "review"), ("Certificate-based settings", None),
                         ("Cancel", "cancel")]),
        ("form-certificate", [("Review", "review"), ("Cancel", "cancel")]),
        ("confirm", [("Create", "confirm"), ("Cancel", "cancel")]),
        ("approval", [("Approve", "approve"), ("Reject", "reject")]),
        ("result-direct", []),
        ("notice", []),
        ("connect", [("Connect", "confirm"), ("Cancel", "cancel")]),
        ("pick-update", [("Review", "review"), ("Cancel", "cancel")]),
        ("pick-delete", [("Review", "review"), ("Cancel", "cancel")]),
        ("update", [("Change", "confirm"), ("Cancel", "cancel")]),
        ("delete", [("Delete", "confirm"), ("Cancel", "cancel")]),
        ("bulk-confirm", [("Create", "confirm"), ("Cancel", "cancel")]),
        ("bulk-stop", [("Stop", "stop")]),
    ],
)  # fmt: skip
def test_buttons(name: str, buttons: list[tuple[str, str | None]]) -> None:
    """Each card has its buttons, with their verbs, in order."""
    actions = CARDS[name].get("actions", [])
    got = [(a["title"], a.get("data", {}).get("trunkbot", {}).get("action")) for a in actions]
    assert got == buttons


@pytest.mark.parametrize(
    "name", ["form-direct", "confirm", "approval", "connect", "pick-update", "update", "delete"]
)
def test_cancel_and_reject_send_no_inputs(name: str) -> None:
    """Cancel and Reject post only their data (associatedInputs "none", AC 1.3)."""
    for action in CARDS[name]["actions"]:
        verb = action.get("data", {}).get("trunkbot", {}).get("action")
        if verb in ("cancel", "reject"):
            assert action["associatedInputs"] == "none"


def test_more_than_five_actions_is_a_bug() -> None:
    """A builder that would make a sixth action fails loudly instead of sending it."""
    with pytest.raises(ValueError, match="at most 5"):
        _card([], [_submit(str(i), NONCE, "review") for i in range(6)])


# -- the form -------------------------------------------------------------------------------


def test_form_inputs_are_the_grammar_keys() -> None:
    """The form's input ids are the canonical keys, in order."""
    assert reading.input_ids(form()) == list(cards.FORM_INPUTS)
    assert set(cards.FORM_INPUTS) <= set(KEYS)


def test_no_password_input_in_a_group_space() -> None:
    """In a group space the form has no password input at all, and says why."""
    card = form(direct=False, values={"password": "Hunter2Secret"})
    assert "password" not in inputs(card)
    assert "never shown in a group space" in json.dumps(card)


def test_password_input_in_a_direct_space() -> None:
    """In a 1:1 space the password is optional, empty, and the card says Webex stores it."""
    field = inputs(form())["password"]
    assert "value" not in field
    assert not field.get("isRequired")
    assert "Webex generates one" in field["label"]
    assert "Webex keeps whatever is typed into a card" in json.dumps(form())


def test_password_is_never_prefilled() -> None:
    """A password among the values (any spelling of its key) appears nowhere in the card."""
    for key in ("password", "Password", "PASSWORD"):
        card = form(values={key: "Hunter2Secret", "name": "lon-1"})
        assert "Hunter2Secret" not in json.dumps(card)


@pytest.mark.parametrize(
    ("values", "field", "expected"),
    [
        ({"name": "lon-1"}, "name", "lon-1"),
        ({"name": "  lon\n1  "}, "name", "lon 1"),
        ({"name": "x" * 70}, "name", "x" * 70),
        ({"name": "x" * 10_000}, "name", "x" * cards.PREFILL_MAX),
        ({"location": LONDON.id}, "location", LONDON.id),
        ({"location": "london HQ"}, "location", LONDON.id),
        ({"location": "Pa"}, "location", None),
        ({"type": "certificate-based"}, "type", "certificate"),
        ({"type": "CERTIFICATE_BASED"}, "type", "certificate"),
        ({}, "type", "registering"),
        ({"device": "oracle  ACME sbc"}, "device", "Oracle ACME SBC"),
        ({"device": "no such sbc"}, "device", None),
        ({"address": "sbc1.example.com"}, "address", "sbc1.example.com"),
        ({"domain": "example.com"}, "domain", "example.com"),
        ({"port": "5061"}, "port", "5061"),
        ({"maxConcurrentCalls": "500"}, "max-calls", "500"),
        ({"dual-identity": "on"}, "dual-identity", "yes"),
        ({"dual-identity": "no"}, "dual-identity", "no"),
        ({}, "dual-identity", "no"),
    ],
)
def test_prefill(values: dict[str, str], field: str, expected: str | None) -> None:
    """The form shows what was typed: locations by name or ID, types and devices folded."""
    assert inputs(form(values=values))[field].get("value") == expected


@pytest.mark.parametrize(
    ("values", "errors", "visible"),
    [
        ({}, {}, False),
        ({"type": "registering"}, {}, False),
        ({"type": "certificate"}, {}, True),
        ({}, {"port": "`port` is not a port."}, True),
    ],
)
def test_certificate_fields_shown_when_they_matter(
    values: dict[str, str], errors: dict[str, str], visible: bool
) -> None:
    """Certificate fields show for a certificate trunk or a problem among them, else a button."""
    card = form(values=values, errors=errors)
    assert visible_certificate(card) is visible
    toggles = [a for a in card["actions"] if a["type"] == "Action.ToggleVisibility"]
    assert bool(toggles) is not visible
    for toggle in toggles:
        assert toggle["targetElements"] == [cards.CERTIFICATE_CONTAINER]


def test_certificate_inputs_are_in_the_container_and_optional() -> None:
    """Device, address, domain, port and max-calls live in the container, none required
    (renderers validate hidden inputs too)."""
    container = next(o for o in walk(form()) if o.get("id") == cards.CERTIFICATE_CONTAINER)
    inside = list(inputs(container))
    assert inside == ["device", "address", "domain", "port", "max-calls"]
    assert not any(inputs(container)[k].get("isRequired") for k in inside)


def test_device_choices_show_call_limits() -> None:
    """Device choices are Webex's names as values, with their call limits in the titles."""
    device = inputs(form())["device"]
    assert {"title": "Oracle ACME SBC (10–1000 calls)", "value": "Oracle ACME SBC"} in device[
        "choices"
    ]
    assert [c["value"] for c in device["choices"]] == [
        "Cisco Unified Border Element",
        "Oracle ACME SBC",
        "AudioCodes SBC",
        "Ribbon SBC",
    ]


def test_max_calls_label_has_the_overall_limits() -> None:
    """max-calls says the overall limits across device types, and its regex enforces them."""
    field = inputs(form())["max-calls"]
    assert field["label"] == "Max concurrent calls (10–1000, by device type)"
    assert re.search(field["regex"], "10")
    assert re.search(field["regex"], "1000")
    assert not re.search(field["regex"], "9")
    assert not re.search(field["regex"], "1001")


def test_locations_are_choices_of_ids() -> None:
    """Location choices: the calling locations, title the name, value the ID."""
    choices = inputs(form())["location"]["choices"]
    assert choices == [{"title": loc.name, "value": loc.id} for loc in LOCATIONS]


def test_many_locations_become_a_text_input() -> None:
    """With more than LOCATION_CHOICES_MAX locations the form asks for a name or ID."""
    card = CARDS["form-many-locations"]
    location = inputs(card)["location"]
    assert location["type"] == "Input.Text"
    assert location["value"] == "Site 7"
    assert "location" not in reading.choice_values(card)


def test_no_certificate_device_types() -> None:
    """Without certificate device types the form says so (and shows the device problem)."""
    card = CARDS["form-no-devices"]
    assert "device" not in inputs(card)
    assert any("no device types" in t for t in texts(card))
    assert "No device types." in read(card)


@pytest.mark.parametrize(
    "key", ["name", "location", "type", "device", "address", "domain", "port", "max-calls",
            "dual-identity", "password"],
)  # fmt: skip
def test_error_under_its_field(key: str) -> None:
    """A problem shows in red right under its field, its runs as runs (bold, code, text)."""
    card = form(errors={key: sentence(mono(key), " is wrong: fix ", bold("it"), ".")})
    block = after(card, key)
    assert block is not None
    assert runs(block) == [
        (key, "code"),
        (" is wrong: fix ", "text"),
        ("it", "bold"),
        (".", "text"),
    ]
    assert all(r["color"] == "attention" for r in block["inlines"])


def test_error_without_a_field_at_the_top() -> None:
    """Problems of keys the form has no field for (org, unknown keys) show under the title."""
    errors = {"org": sentence(mono("org"), " is wrong."), "password": sentence("No passwords.")}
    body = form(direct=False, errors=errors)["body"]
    assert [runs(b) for b in body[1:3]] == [
        [("org", "code"), (" is wrong.", "text")],
        [("No passwords.", "text")],
    ]
    assert all(r["color"] == "attention" for b in body[1:3] for r in b["inlines"])


def test_entries_kept_with_errors() -> None:
    """A form that comes back with problems keeps every entry but the password."""
    card = CARDS["form-errors"]
    got = {k: v.get("value") for k, v in inputs(card).items()}
    assert got == {
        "name": "par-sbc-1",
        "location": LOCATIONS[1].id,
        "type": "certificate",
        "device": "Oracle ACME SBC",
        "address": "sbc1.sbc.example.com",
        "domain": "sbc.example.com",
        "port": "5061",
        "max-calls": "2000",
        "dual-identity": "yes",
        "password": None,
    }


def test_choice_values() -> None:
    """choice_values lists what each choice input and toggle offers (anything else is forged)."""
    offered = reading.choice_values(form())
    assert offered["location"] == [loc.id for loc in LOCATIONS]
    assert offered["type"] == ["registering", "certificate"]
    assert offered["dual-identity"] == ["yes", "no"]
    assert "Oracle ACME SBC" in offered["device"]


# -- what a submitted form means to validation ----------------------------------------------


def test_submitted_form_validates() -> None:
    """What the form submits, fed to TrunkRequest.from_fields as cards do, is a request."""
    data = {
        "trunkbot": {"nonce": NONCE, "action": "review"},
        **{k: v for k, v in CERTIFICATE_VALUES.items() if k not in ("location", "device")},
        "location": LOCATIONS[1].id,
        "device": "Oracle ACME SBC",
        "max-calls": "500",
        "password": "",
    }
    posted: Any = data  # as posted: the "trunkbot" value is an object, the rest strings
    req = TrunkRequest.from_fields(posted, ignore_unknown=True, ignore_empty=True)
    assert req.name == "par-sbc-1"
    assert req.max_calls == 500
    assert req.password is None


# The form's regexes against validation.py: accepted by one ⇔ accepted by the other.
REGEX_SAMPLES: dict[str, list[str]] = {
    "name": ["lon-1", " lon 1 ", "x" * 64, "Zürich – LGW", "tab\there", "   ", "a\x7fb"],
    "address": [
        "sbc1.example.com", "sbc", "_sips._tcp.example.com", " sbc.example.com ",
        "sbc.example.com.",
        "10.0.0.1", "sbc.123", "-sbc.example.com", "sbc..example.com", "sbc_1.example.com",
        "a" * 63 + ".com", "a" * 64 + ".com", "sbc example.com", "sbc.example.com/x",
    ],
    "domain": [
        "example.com", "sbc.example.com", "example", "_sip.example.com", "10.0.0.1",
        "example.com.", " example.com ", "ex-ample.co.uk", "-example.com",
    ],
    "port": ["1", "5061", "65535", "0", "65536", "99999", " 5061 ", "50 61", "-1", "5e3", "١٢"],
    "password": ["Abc123#x", "auto", "with space", "why?", "bang!", "tab\tx", "a" * 128],
}  # fmt: skip
REGEXES = {
    "name": cards.NAME_REGEX,
    "address": cards.ADDRESS_REGEX,
    "domain": cards.DOMAIN_REGEX,
    "port": cards.PORT_REGEX,
    "password": cards.PASSWORD_REGEX,
}


def js_test(regex: str, value: str) -> bool:
    """What a renderer does: RegExp(regex).test(value); JS `$` is only the very end."""
    return re.search(regex.replace("$", r"\Z"), value) is not None


def validation_accepts(key: str, value: str) -> bool:
    fields = {"name": "x", "location": "x"}
    if key in ("address", "domain", "port"):
        fields |= {"type": "certificate"}
    try:
        TrunkRequest.from_fields(fields | {key: value})
    except InvalidRequest as exc:
        return not any(p.key == key for p in exc.problems)
    return True


@pytest.mark.parametrize(("key", "value"), [(k, v) for k, vs in REGEX_SAMPLES.items() for v in vs])
def test_regex_agrees_with_validation(key: str, value: str) -> None:
    """The client-side regex accepts a value exactly when the bot's validation does."""
    assert js_test(REGEXES[key], value) is validation_accepts(key, value)


RANGES = [(1, 65535), (10, 1000), (250, 1000), (10, 500), (1, 1), (7, 7), (1, 9), (99, 101),
          (123, 4567)]  # fmt: skip


@pytest.mark.parametrize(("low", "high"), RANGES)
def test_int_range_regex(low: int, high: int) -> None:
    """int_range_regex matches exactly the numbers low..high (no leading zeros)."""
    regex = re.compile(cards.int_range_regex(low, high))
    for n in range(2 * high + 20):
        assert bool(regex.search(str(n))) is (low <= n <= high), n
    assert not regex.search("0" + str(low))


# -- escaping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("London HQ", "London HQ"),
        (EVIL, r"\*\*bold\*\* \<@all\> \[x\]\(http://e)"),
        ("lon_lgw_1", "lon_lgw_1"),
        ("_sips._tcp.example.com", r"\_sips.\_tcp.example.com"),
        ("_italic_", r"\_italic\_"),
        ("a\\b", r"a\\b"),
        ("`code` ~~gone~~", r"\`code\` \~\~gone\~\~"),
        ("{{DATE(2017-02-14T06:00:00Z, SHORT)}}", r"{\{DATE(2017-02-14T06:00:00Z, SHORT)}}"),
        ("AT&amp;T &#42; & co", r"AT\&amp;T \&#42; & co"),
        ("- item", r"\- item"),
        ("1. first", r"1\. first"),
        ("# heading", r"\# heading"),
        ("line\nbreak\r\n  twice", "line break twice"),
        ("London (HQ)", "London (HQ)"),
        ("São Paulo ✅", "São Paulo ✅"),
    ],
)
def test_plain(raw: str, escaped: str) -> None:
    """_plain escapes exactly what could become markup, on one line."""
    assert _plain(raw) == escaped


@given(st.text())
def test_plain_round_trips(raw: str) -> None:
    """_unplain gives back the text (on one line) for any input."""
    assert _unplain(_plain(raw)) == one_line(raw)
    assert "\n" not in _plain(raw)


@given(st.text(alphabet=st.characters(codec="ascii")))
def test_plain_leaves_no_markup(raw: str) -> None:
    """No unescaped emphasis, link, tag or DATE function survives _plain."""
    out = _plain(raw)
    bare = re.sub(r"\\.", "", out)  # drop escaped characters
    assert not re.search(r"[*`~\[\]<>]", bare)
    assert "{{" not in out.replace("\\{", "")


def test_evil_location_is_escaped_everywhere() -> None:
    """A location named like markup shows as text in confirm facts, requester and notes."""
    card = CARDS["confirm-evil"]
    facts = card["body"][1]["facts"]
    assert facts[0]["value"] == r"\*\*bold\*\* \<@all\> \[x\]\(http://e)"
    assert card["body"][2]["text"] == r"Requested by \*\*bold\*\* \<@all\> \[x\]\(http://e)."
    for text in texts(card):
        assert "**" not in re.sub(r"\\.", "", text)
        assert "<@" not in text.replace("\\<", "")


@pytest.mark.parametrize("name", list(CARDS))
def test_no_markup_reaches_a_card(name: str) -> None:
    """No card's markdown text (TextBlocks, facts) has live markup once escapes are taken out:
    no emphasis, link, mention or date function from a name (samples with EVIL have them)."""
    for text in texts(CARDS[name]):
        live = re.sub(r"\\.", "", text)
        assert not re.search(r"\*\*|\[|<@|\{\{", live), (name, text)


def test_evil_location_is_a_plain_choice_title() -> None:
    """A compact choice title is never markdown, so it keeps the name exactly."""
    choices = inputs(CARDS["form-evil-location"])["location"]["choices"]
    assert {"title": EVIL, "value": "evil"} in choices


@pytest.mark.parametrize(
    ("sentence", "plain"),
    [
        (replies.unknown_key("colour", None, ("name",)), "I don't know colour. Keys I know: name."),
        (replies.too_long("name", 64), "name can be at most 64 characters long."),
        (replies.shown("**x** [y](z)"), "“**x** [y](z)”"),
        ("``a`b``", "a`b"),
        ("`` `x` ``", "`x`"),
        ("an `unclosed span", "an `unclosed span"),
        ("**bold** and \\* star", "bold and * star"),
    ],
)
def test_from_markdown(sentence: str, plain: str) -> None:
    """A bot.replies sentence reads as the same words without markdown."""
    assert _from_markdown(sentence) == plain


def test_result_password_is_exact_and_not_markdown() -> None:
    """The password is a monospace TextRun (never markdown): exactly as Webex made it."""
    card = CARDS["result-direct"]
    password = next(o for o in walk(card) if o.get("type") == "TextRun" and o["text"] == PASSWORD)
    assert password == {"type": "TextRun", "text": PASSWORD, "fontType": "monospace"}
    assert "actions" not in card


def test_result_without_password() -> None:
    """With no password given (a group space) the result card has none."""
    card = CARDS["result-group"]
    assert not [o for o in walk(card) if o.get("fontType") == "monospace"]
    assert "Password" not in json.dumps(card)


# -- as text --------------------------------------------------------------------------------


def test_form_as_text() -> None:
    """The shell shows each field with label, id, value and choices, and the buttons."""
    text = cards.card_as_text(CARDS["form-prefilled"])
    assert "Create a Webex Calling trunk" in text
    assert "• Trunk name [name] (required): lon-1" in text
    assert "• Location [location] (required): London HQ" in text
    assert f"    - Paris Office = {LOCATIONS[1].id}" in text
    assert "• Trunk type [type]: Registering (a Cisco CUBE local gateway)" in text
    assert "(hidden until you press a button; you may still fill in:)" in text
    assert "  • Port (1–65535; leave it empty for an SRV address) [port]: (empty)" in text
    assert "• Dual identity [dual-identity]: no (yes or no)" in text
    assert text.splitlines()[-1] == (
        "Buttons: [Review] (review)  [Certificate-based settings] (shows or hides more fields)"
        "  [Cancel] (cancel without inputs)"
    )


def test_errors_as_text() -> None:
    """Problems read as warnings under their field."""
    lines = cards.card_as_text(CARDS["form-errors"]).splitlines()
    i = lines.index("• Max concurrent calls (10–1000, by device type) [max-calls]: 2000")
    assert lines[i + 1] == "⚠ max-calls for Oracle ACME SBC must be 10–1000."


def test_confirm_as_text_unescaped() -> None:
    """Escapes don't show in text: the evil name reads as typed."""
    text = cards.card_as_text(CARDS["confirm-evil"])
    assert f"  Location: {EVIL}" in text
    assert "Buttons: [Create] (confirm)  [Cancel] (cancel without inputs)" in text


def test_many_choices_as_text_are_cut() -> None:
    """A long choice list shows its first 20 and how many more."""
    many = [Location(id=f"id-{i}", name=f"Site {i}") for i in range(30)]
    text = cards.card_as_text(form(locations=many))
    assert "    - Site 19 = id-19" in text
    assert "Site 20" not in text
    assert "    … and 10 more" in text


# -- fallback text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("form-direct", ["Create a Webex Calling trunk", cards.FALLBACK_FORM]),
        ("confirm", ["Create this trunk?", "Name: lon-lgw-1", "Location: London HQ",
                     "Type: registering (Cisco CUBE local gateway)", cards.FALLBACK_ACTIONS]),
        ("notice", ["This card has expired", "Type create trunk for a new form.",
                    "Trunk: lon-lgw-1"]),
    ],
)  # fmt: skip
def test_fallback_text(name: str, lines: list[str]) -> None:
    """The fallback text: the title, facts, and what to do where the card can't show."""
    assert cards.fallback_text(CARDS[name]).splitlines() == lines


def test_fallback_text_never_has_the_password() -> None:
    """The result card's fallback has the gateway settings but not the password."""
    text = cards.fallback_text(CARDS["result-direct"])
    assert "Registrar domain: 40462196.lgw.example.bcld.webex.com" in text
    assert PASSWORD not in text


def test_fallback_text_of_evil_facts_is_plain() -> None:
    """Fallback text is plain text: the name as typed, no escapes."""
    assert f"Location: {EVIL}" in cards.fallback_text(CARDS["confirm-evil"])


def test_attachment() -> None:
    """The attachment envelope Webex expects."""
    card = cards.confirm_card(nonce=NONCE, facts=FACTS, requester="a@example.com")
    assert cards.attachment(card) == {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": card,
    }


def test_builders_are_pure() -> None:
    """Same arguments, same card; the arguments are not changed."""
    values = dict(CERTIFICATE_VALUES)
    errors = {"port": sentence("bad")}
    first = form(values=values, errors=errors)
    assert form(values=values, errors=errors) == first
    assert values == CERTIFICATE_VALUES
    assert errors == {"port": "bad"}


# -- one sentence, two renderings -----------------------------------------------------------


def test_a_sentence_renders_to_chat_and_card_from_the_same_runs() -> None:
    """A note with bold, code and a typed `*` is built once: the chat markdown escapes the
    `*` and marks bold and code; the card shows the same runs, bold and monospace, as typed."""
    note = sentence("Trunk ", bold("lon*1"), " needs ", mono("port=5061"), ": a * is fine.")
    assert note == "Trunk **lon\\*1** needs `port=5061`: a \\* is fine."
    card = cards.confirm_card(nonce=NONCE, facts=FACTS, requester="a@example.com", note=note)
    assert runs(card["body"][-1]) == [
        ("Trunk ", "text"),
        ("lon*1", "bold"),
        (" needs ", "text"),
        ("port=5061", "code"),
        (": a * is fine.", "text"),
    ]
    assert _from_markdown(note) == "".join(text for text, _ in runs(card["body"][-1]))


def test_form_problems_come_as_sentences() -> None:
    """Validation's problems and their summary are Sentences: the form shows their runs."""
    with pytest.raises(InvalidRequest) as caught:
        TrunkRequest.from_fields({"name": "x", "location": "L", "dual-identity": "maybe"})
    problem = caught.value.problems[0]
    assert isinstance(problem.message, Sentence)
    assert isinstance(caught.value.user_message, Sentence)
    assert problem.message == "`dual-identity` must be `yes` or `no`."
    card = form(errors={"dual-identity": problem.message}, note=caught.value.user_message)
    expected = [
        ("dual-identity", "code"),
        (" must be ", "text"),
        ("yes", "code"),
        (" or ", "text"),
        ("no", "code"),
        (".", "text"),
    ]
    assert runs(after(card, "dual-identity") or {}) == expected
    assert runs(card["body"][1]) == expected


_RUN = st.builds(
    Run,
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1),
    st.sampled_from(list(Style)),
).filter(lambda r: r.style is not Style.CODE or not (r.text[0] == r.text[-1] == " "))


@given(st.lists(st.lists(_RUN, max_size=6), min_size=1, max_size=3))
def test_chat_and_card_read_the_same(lines: list[list[Run]]) -> None:
    """Any sentence: its chat markdown, read back, is the words its card TextRuns show."""
    note = Sentence(lines)
    blocks = cards.confirm_card(nonce=NONCE, facts=FACTS, requester="a", note=note)["body"][3:]
    chat_lines = [ln for ln in _from_markdown(note).split("\n") if ln.strip()]
    card_lines = ["".join(t for t, _ in runs(b)).replace("\N{WORD JOINER}", "") for b in blocks]
    assert card_lines == chat_lines
