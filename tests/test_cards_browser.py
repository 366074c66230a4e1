"""Every card in Microsoft's Adaptive Cards renderer (npm ``adaptivecards``) in a real headless
Chromium, at target version 1.3: no validation events, and the form fills in and submits.

Needs /usr/bin/chromium and ``npm ci`` in tests/cards (``.ci/install-chromium.sh``). Without
them these tests skip, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot import cards
from bot.validation import TrunkRequest, check_certificate
from tests.cards import CardBrowser, SubmitBlocked, missing, reading
from tests.cards.samples import (
    DATE,
    EVIL,
    LOCATIONS,
    LONDON,
    NONCE,
    PASSWORD,
    TRUNK_TYPES,
    every_card,
    form,
)
from webexfake.ids import seeded_id

pytestmark = pytest.mark.asyncio(loop_scope="module")

CARDS = every_card()
PARIS = LOCATIONS[1]
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[CardBrowser]:
    """One Chromium with the harness page for the whole module."""
    reason = missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI needs the card browser: {reason}")
        pytest.skip(reason)
    async with CardBrowser() as b:
        yield b
        assert not [m for m in b.console if m.startswith(("error", "pageerror"))], b.console


def as_request(data: dict[str, Any]) -> TrunkRequest:
    """What the bot makes of a submission: the fields without our data, as cards pass them."""
    fields = {k: v for k, v in data.items() if k != cards.DATA_KEY}
    return TrunkRequest.from_fields(fields, ignore_unknown=True, ignore_empty=True)


# -- rendering ------------------------------------------------------------------------------


async def test_renderer_knows_1_3(browser: CardBrowser) -> None:
    """The pinned renderer knows schema 1.3 (it validates against the target we set)."""
    major, minor = (int(p) for p in (await browser.renderer_version()).split("."))
    assert (major, minor) >= (1, 3)


@pytest.mark.parametrize("name", list(CARDS))
async def test_card_has_no_validation_events(browser: CardBrowser, name: str) -> None:
    """Every card parses and validates at 1.3 with no events and no unknown properties."""
    assert await browser.validation_errors(CARDS[name]) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda c: c["body"][0].update(style="heading"), "UnsupportedProperty"),
        (lambda c: c["body"][0].update(colour="attention"), "UnknownProperty"),
        (lambda c: c["body"].append({"type": "Table"}), "UnknownElementType"),
        (lambda c: c["actions"].append({"type": "Action.Execute", "title": "x"}), "Unknown"),
        (lambda c: c["actions"].extend([c["actions"][0]] * 3), "TooManyActions"),
        (lambda c: c["body"][1].update(id="type"), "DuplicateId"),
        (lambda c: c["body"][1].pop("label"), "RequiredInputsShouldHaveLabel"),
        (lambda c: c.update(version="1.5"), "UnsupportedCardVersion"),
    ],
    ids=["1.5-property", "typo", "1.5-element", "1.4-action", "6-actions", "same-id", "no-label",
         "version"],
)  # fmt: skip
async def test_validation_is_not_vacuous(browser: CardBrowser, change: Any, expected: str) -> None:
    """The harness does catch what Webex would not render: the check above means something."""
    card = form()
    change(card)
    errors = await browser.validation_errors(card)
    assert any(e.startswith(expected) for e in errors), errors


async def test_form_screenshot(browser: CardBrowser, tmp_path: Path) -> None:
    """The form renders to a PNG (`python -m tests.cards` writes docs/card-form.png)."""
    path = await browser.screenshot(CARDS["form-certificate"], tmp_path / "form.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


async def test_prefilled_values_show(browser: CardBrowser) -> None:
    """Prefilled entries are what the rendered controls hold; the password stays empty."""
    rendered = await browser.render(CARDS["form-errors"])
    shown = {k: await rendered.value(k) for k in cards.FORM_INPUTS}
    assert shown == {
        "name": "par-sbc-1",
        "location": PARIS.id,
        "type": "certificate",
        "device": "Oracle ACME SBC",
        "address": "sbc1.sbc.example.com",
        "domain": "sbc.example.com",
        "port": "5061",
        "max-calls": "2000",
        "dual-identity": "on",
        "password": "",
    }


async def test_errors_show_under_their_fields(browser: CardBrowser) -> None:
    """The problems read in order: general first, then each under its field."""
    text = await (await browser.render(CARDS["form-errors"])).text()
    assert text.index("org is not an organization ID.") < text.index("Trunk name")
    assert text.index("Trunk name") < text.index("A trunk named par-sbc-1 already exists.")
    assert text.index("Max concurrent calls") < text.index("max-calls for Oracle ACME SBC")
    assert text.index("max-calls for Oracle ACME SBC") < text.index("Dual identity")


# -- the form in use ------------------------------------------------------------------------


async def test_registering_form_submits(browser: CardBrowser) -> None:
    """Filled in and submitted, the form posts every visible input and the nonce and verb."""
    data = await browser.submit(
        form(),
        fill={
            "name": "lon-lgw-1",
            "location": LONDON.id,
            "type": "registering",
            "dual-identity": True,
            "password": "Abc123#xyz",
        },
        click="Review",
    )
    assert data == {
        "trunkbot": {"nonce": NONCE, "action": "review"},
        "name": "lon-lgw-1",
        "location": LONDON.id,
        "type": "registering",
        "dual-identity": "yes",
        "password": "Abc123#xyz",
    }
    req = as_request(data)
    assert (req.name, req.location, req.dual_identity) == ("lon-lgw-1", LONDON.id, True)
    assert req.password is not None
    assert req.password.get_secret_value() == "Abc123#xyz"


async def test_certificate_form_submits_every_input(browser: CardBrowser) -> None:
    """With certificate settings shown, every input is posted as typed, and it validates."""
    typed = {
        "name": "par-sbc-1",
        "location": PARIS.id,
        "type": "certificate",
        "device": "AudioCodes SBC",
        "address": "sbc1.sbc.example.com",
        "domain": "sbc.example.com",
        "port": "5061",
        "max-calls": "400",
        "dual-identity": "no",
        "password": "Sbc-Pass#2024",
    }
    data = await browser.submit(form(), fill=typed, press=["Certificate-based settings"])
    assert data == {"trunkbot": {"nonce": NONCE, "action": "review"}, **typed}
    assert set(data) == {cards.DATA_KEY, *reading.input_ids(form())}
    req = as_request(data)
    device = check_certificate(req, TRUNK_TYPES)
    assert device is not None
    assert (device.device_type, req.port, req.max_calls) == ("AudioCodes SBC", 5061, 400)


async def test_prefilled_form_submits_as_is(browser: CardBrowser) -> None:
    """A prefilled certificate form, fixed at its problem, submits the kept entries."""
    card = CARDS["form-errors"]
    rendered = await browser.render(card)
    await rendered.fill("name", "par-sbc-2")
    await rendered.fill("max-calls", "900")
    executed = await rendered.click("Review")
    assert executed.data is not None
    data = executed.data
    assert data["name"] == "par-sbc-2"
    assert data["max-calls"] == "900"
    assert data["device"] == "Oracle ACME SBC"
    assert data["dual-identity"] == "yes"
    assert "password" not in data  # left empty: the renderer leaves it out (Webex sends "")
    check_certificate(as_request(data), TRUNK_TYPES)


async def test_toggle_visibility(browser: CardBrowser) -> None:
    """The "Certificate-based settings" button shows the certificate fields, and hides them."""
    rendered = await browser.render(form())
    assert not await rendered.is_visible(cards.CERTIFICATE_CONTAINER)
    executed = await rendered.click("Certificate-based settings")
    assert executed.type == "Action.ToggleVisibility"
    assert await rendered.is_visible(cards.CERTIFICATE_CONTAINER)
    await rendered.click("Certificate-based settings")
    assert not await rendered.is_visible(cards.CERTIFICATE_CONTAINER)


async def test_certificate_form_shows_its_fields(browser: CardBrowser) -> None:
    """For a certificate trunk the fields are shown from the start, with no toggle button."""
    rendered = await browser.render(CARDS["form-certificate"])
    assert await rendered.is_visible(cards.CERTIFICATE_CONTAINER)
    assert "Certificate-based settings" not in [
        a["title"] for a in CARDS["form-certificate"]["actions"]
    ]


@pytest.mark.parametrize(
    ("fill", "invalid"),
    [
        ({"location": "london"}, ["name"]),
        ({"name": "   ", "location": "london"}, ["name"]),
        ({"name": "lon-1"}, ["location"]),
        ({"name": "lon-1", "location": "london", "port": "70000"}, ["port"]),
        ({"name": "lon-1", "location": "london", "port": "0"}, ["port"]),
        ({"name": "lon-1", "location": "london", "address": "10.0.0.1"}, ["address"]),
        ({"name": "lon-1", "location": "london", "domain": "localhost"}, ["domain"]),
        ({"name": "lon-1", "location": "london", "max-calls": "5"}, ["max-calls"]),
        ({"name": "lon-1", "location": "london", "password": "why?"}, ["password"]),
    ],
    ids=["no-name", "blank-name", "no-location", "port-high", "port-zero", "ip-address",
         "one-label-domain", "max-calls-low", "password-char"],
)  # fmt: skip
async def test_client_catches_mistakes(
    browser: CardBrowser, fill: dict[str, str], invalid: list[str]
) -> None:
    """The renderer refuses to submit a form with a mistake, and says which field."""
    values = {k: (LONDON.id if v == "london" else v) for k, v in fill.items()}
    with pytest.raises(SubmitBlocked) as blocked:
        await browser.submit(form(), fill=values, press=["Certificate-based settings"])
    assert [i["id"] for i in blocked.value.invalid] == invalid
    assert all(i["message"] for i in blocked.value.invalid)


async def test_cancel_posts_no_inputs(browser: CardBrowser) -> None:
    """Cancel posts only its nonce and verb, whatever was typed."""
    data = await browser.submit(
        form(), fill={"name": "lon-1", "password": "Secret#123"}, click="Cancel"
    )
    assert data == {"trunkbot": {"nonce": NONCE, "action": "cancel"}}


async def test_cancel_works_on_an_invalid_form(browser: CardBrowser) -> None:
    """Cancel is never blocked by the form's validation (the name is empty here)."""
    data = await browser.submit(form(), click="Cancel")
    assert data == {"trunkbot": {"nonce": NONCE, "action": "cancel"}}


@pytest.mark.parametrize(
    ("name", "click", "verb"),
    [
        ("confirm", "Create", "confirm"),
        ("confirm", "Cancel", "cancel"),
        ("approval", "Approve", "approve"),
        ("approval", "Reject", "reject"),
        ("connect", "Connect", "confirm"),
        ("connect", "Cancel", "cancel"),
        ("update", "Change", "confirm"),
        ("delete", "Delete", "confirm"),
        ("pick-delete", "Cancel", "cancel"),
        ("bulk-confirm", "Create", "confirm"),
        ("bulk-stop", "Stop", "stop"),
    ],
)
async def test_buttons_post_nonce_and_verb(
    browser: CardBrowser, name: str, click: str, verb: str
) -> None:
    """Confirm and approval buttons post exactly their nonce and verb."""
    data = await browser.submit(CARDS[name], click=click)
    assert data == {"trunkbot": {"nonce": NONCE, "action": verb}}


async def test_the_update_picker_posts_the_trunk_and_keep(browser: CardBrowser) -> None:
    """The update picker, filled in the renderer: the trunk picked, the new name, and
    "leave as it is" for dual identity as a value the bot reads as no change."""
    trunk = seeded_id("TRUNK", "par-sbc-1")
    data = await browser.submit(
        CARDS["pick-update"], fill={"trunk": trunk, "name": "par-sbc-2"}, click="Review"
    )
    assert data["trunk"] == trunk
    assert data["name"] == "par-sbc-2"
    assert data["dual-identity"] == "keep"
    assert data[cards.DATA_KEY] == {"nonce": NONCE, "action": "review"}


# -- escaping, as rendered ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["delete", "connect-evil", "pick-delete"])
async def test_names_like_markup_render_as_text_on_feature_cards(
    browser: CardBrowser, name: str
) -> None:
    """A trunk or location named like markup shows as written on the lifecycle and gateway
    cards too: no bold, link or code element, no date."""
    rendered = await browser.render(CARDS[name])
    assert not re.search(r"<(strong|em|a|code|del|h\d|li)\b", await rendered.html())
    text = (await rendered.text()).replace("\N{WORD JOINER}", "")
    assert EVIL in text
    if name == "connect-evil":
        assert text.count(DATE) == 2


async def test_markup_in_names_renders_as_text(browser: CardBrowser) -> None:
    """A location named like markup shows literally: no bold, no link, no mention, no date."""
    rendered = await browser.render(CARDS["confirm-evil"])
    html = await rendered.html()
    assert not re.search(r"<(strong|em|a|code|del|h\d|li)\b", html)
    text = await rendered.text()
    assert EVIL in text
    assert f"Requested by {EVIL}." in text
    assert "{{DATE(2017-02-14T06:00:00Z, SHORT)}}" in text


async def test_a_sentence_renders_its_runs(browser: CardBrowser) -> None:
    """A note built as data (samples.EVIL_NOTE): its bold run bold, its code run monospace,
    and the typed text — markup, a mention, a `*`, a date function — exactly as typed."""
    rendered = await browser.render(CARDS["confirm-evil"])
    runs = browser.page.locator("#card .ac-richTextBlock .ac-textRun")
    texts = await runs.all_inner_texts()
    assert texts[1] == "network"
    assert await runs.nth(1).evaluate("e => getComputedStyle(e).fontWeight") == "600"
    assert texts[3] == "a*b"
    assert "monospace" in await runs.nth(3).evaluate("e => getComputedStyle(e).fontFamily")
    shown = (await rendered.text()).replace("\N{WORD JOINER}", "")
    assert f"Approval by the network team follows for {EVIL} (a*b) {DATE}." in shown


async def test_markup_in_a_choice_title_renders_as_text(browser: CardBrowser) -> None:
    """The same name as a location choice is shown exactly, and chosen by its id."""
    rendered = await browser.render(CARDS["form-evil-location"])
    assert await rendered.value("location") == "evil"
    options = await browser.page.locator('[data-input-id="location"] option').all_inner_texts()
    assert EVIL in options


async def test_password_renders_exactly(browser: CardBrowser) -> None:
    """The generated password shows byte for byte, markdown characters and all."""
    rendered = await browser.render(CARDS["result-direct"])
    assert PASSWORD in await rendered.text()
    assert "Password (shown only here)" in await rendered.text()


async def test_gateway_values_render_exactly(browser: CardBrowser) -> None:
    """Gateway settings with underscores show as they are (in-word `_` is not emphasis)."""
    text = await (await browser.render(CARDS["result-direct"])).text()
    assert "lon-lgw-1_1234_LGU@40462196.lgw.example.bcld.webex.com" in text
    assert "lon-lgw-11234_lgu" in text


# -- why port and max-calls are not Input.Number --------------------------------------------


async def test_renderer_blocks_empty_number_with_min(browser: CardBrowser) -> None:
    """Canary for a decision in bot/cards.py: this renderer refuses to submit a card whose
    optional, *empty*, even hidden Input.Number has min/max (it compares NaN). If this test
    fails, the renderer is fixed and port/max-calls could be Input.Number again."""
    card = cards.confirm_card(nonce=NONCE, facts=[], requester="a@example.com")
    card["body"].append(
        {
            "type": "Container",
            "isVisible": False,
            "items": [{"type": "Input.Number", "id": "port", "label": "Port", "min": 1}],
        }
    )
    with pytest.raises(SubmitBlocked) as blocked:
        await browser.submit(card, click="Create")
    assert [i["id"] for i in blocked.value.invalid] == ["port"]
