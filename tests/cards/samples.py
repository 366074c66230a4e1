"""Sample inputs for the card builders: the sandbox's seeded org, and one card of each kind."""

from __future__ import annotations

from typing import Any

from bot import cards
from bot.sentence import bold, mono, sentence
from bot.webex.models import Location, TrunkTypeInfo
from commands.bulk import text as bulk_text
from commands.bulk import words as bulk_words
from commands.gateway import cards as gateway_cards
from commands.gateway import words as gateway_words
from commands.lifecycle import cards as lifecycle_cards
from commands.lifecycle import words as lifecycle_words
from tests.cards import reading
from webexfake.calling.seed import TRUNK_TYPES as SEEDED_TRUNK_TYPES
from webexfake.ids import seeded_id

LOCATION_NAMES = ("London HQ", "Paris Office", "Palo Alto", "New York", "Madrid")
LOCATIONS = [Location(id=seeded_id("LOCATION", name), name=name) for name in LOCATION_NAMES]
LONDON = LOCATIONS[0]
TRUNK_TYPES = [
    TrunkTypeInfo.model_validate({"trunkType": kind, "deviceTypes": [d.wire() for d in devices]})
    for kind, devices in SEEDED_TRUNK_TYPES.items()
]
NONCE = "nonce-3f9c2a"
EVIL = "**bold** <@all> [x](http://e)"
DATE = "{{DATE(2017-02-14T06:00:00Z, SHORT)}}"
# A note with a bold run, a code run and user text that looks like markup (a `*`, a mention,
# a link, a date function): the chat reply and the card render it from the same runs.
EVIL_NOTE = sentence(
    "Approval by the ", bold("network"), " team follows for ", EVIL, " (", mono("a*b"), ") ",
    DATE, ".",
)  # fmt: skip
FACTS = [
    ("Name", "lon-lgw-1"),
    ("Location", "London HQ"),
    ("Type", "registering (Cisco CUBE local gateway)"),
]
GATEWAY_FACTS = [
    ("Trunk", "lon-lgw-1"),
    ("Registrar domain", "40462196.lgw.example.bcld.webex.com"),
    ("Line/port", "lon-lgw-1_1234_LGU@40462196.lgw.example.bcld.webex.com"),
    ("SIP user name", "lon-lgw-11234_LGU"),
    ("Outbound proxy", "lon01.sipconnect.bcld.webex.com"),
    ("OTG/DTG", "lon-lgw-11234_lgu"),
]
PASSWORD = "Jx7m*2Qk_9v[R]t4#a8b"
CERTIFICATE_VALUES = {
    "name": "par-sbc-1",
    "location": "Paris Office",
    "type": "certificate",
    "device": "oracle acme sbc",
    "address": "sbc1.sbc.example.com",
    "domain": "sbc.example.com",
    "port": "5061",
    "max-calls": "2000",
    "dual-identity": "yes",
}


TRUNK_CHOICES = [
    ("lon-lgw-1 (London HQ, registering)", seeded_id("TRUNK", "lon-lgw-1")),
    ("par-sbc-1 (Paris Office, certificate-based)", seeded_id("TRUNK", "par-sbc-1")),
    (f"{EVIL} (Madrid, registering)", "evil"),
]


def form(**overrides: Any) -> cards.Card:
    """The create-trunk form for the seeded org; keyword arguments override the defaults."""
    args: dict[str, Any] = {
        "nonce": NONCE,
        "locations": LOCATIONS,
        "trunk_types": TRUNK_TYPES,
        "values": {},
        "errors": {},
        "direct": True,
    }
    args.update(overrides)
    return cards.form_card(**args)


def every_card() -> dict[str, cards.Card]:
    """One card of each kind and variant the bot sends, by a readable id."""
    return {
        "form-direct": form(),
        "form-group": form(direct=False),
        "form-prefilled": form(values={"name": "lon-1", "location": "london hq"}),
        "form-certificate": form(
            values=CERTIFICATE_VALUES, note=sentence("Check the ", bold("port"), ".")
        ),
        "form-errors": form(
            values=CERTIFICATE_VALUES,
            errors={
                "max-calls": sentence(mono("max-calls"), " for Oracle ACME SBC must be 10–1000."),
                "name": sentence("A trunk named ", mono("par-sbc-1"), " already exists."),
                "org": sentence(mono("org"), " is not an organization ID."),
            },
        ),
        "form-no-devices": form(trunk_types=[], errors={"device": sentence("No device types.")}),
        "form-many-locations": form(
            locations=[Location(id=f"loc-{i}", name=f"Site {i}") for i in range(500)],
            values={"location": "Site 7"},
        ),
        "form-evil-location": form(
            locations=[*LOCATIONS, Location(id="evil", name=EVIL)], values={"location": "evil"}
        ),
        "confirm": cards.confirm_card(nonce=NONCE, facts=FACTS, requester="alice@example.com"),
        "confirm-evil": cards.confirm_card(
            nonce=NONCE,
            facts=[("Location", EVIL), ("When", "{{DATE(2017-02-14T06:00:00Z, SHORT)}}")],
            requester=EVIL,
            note=EVIL_NOTE,
        ),
        "result-direct": cards.result_card(
            title="✅ Trunk lon-lgw-1 created in London HQ",
            facts=GATEWAY_FACTS,
            password=PASSWORD,
            next_step=sentence(
                "Next: add it to a ", bold("route group"), ", or point a location's PSTN at it."
            ),
        ),
        "result-group": cards.result_card(
            title="✅ Trunk lon-lgw-1 created in London HQ",
            facts=GATEWAY_FACTS,
            password=None,
            next_step=sentence("The password is in your 1:1 space with me."),
        ),
        "approval": cards.approval_card(
            nonce=NONCE, facts=FACTS, requester="alice@example.com", expires="at 14:05 UTC"
        ),
        "connect": gateway_cards.connect_summary(
            nonce=NONCE,
            title=gateway_words.connect_title("London HQ"),
            facts=[
                ("Location", "London HQ"),
                ("Now", "trunk lon-lgw-0"),
                ("From now on", "route group EU-LGWs"),
            ],
            note=gateway_words.connect_note("London HQ", "trunk lon-lgw-0", "route group EU-LGWs"),
        ),
        "connect-evil": gateway_cards.connect_summary(
            nonce=NONCE,
            title=gateway_words.connect_title(EVIL),
            facts=[("Location", EVIL), ("Now", f"trunk {EVIL}"), ("From now on", DATE)],
            note=gateway_words.connect_note(EVIL, f"trunk {EVIL}", DATE),
        ),
        "pick-update": lifecycle_cards.picker(nonce=NONCE, verb="update", trunks=TRUNK_CHOICES),
        "pick-delete": lifecycle_cards.picker(nonce=NONCE, verb="delete", trunks=TRUNK_CHOICES),
        "update": lifecycle_cards.summary(
            nonce=NONCE,
            title="Change trunk lon-lgw-1?",
            button="Change",
            facts=[
                ("Trunk", "lon-lgw-1"),
                ("Location", "London HQ"),
                ("Name", "lon-lgw-2"),
                ("Password", "new, generated by Webex"),
            ],
            note=lifecycle_words.update_note(False),
        ),
        "delete": lifecycle_cards.summary(
            nonce=NONCE,
            title=f"Delete trunk {EVIL}?",
            button="Delete",
            facts=[("Trunk", EVIL), ("Location", "London HQ")],
            note=lifecycle_words.delete_note(),
            style="destructive",
        ),
        "bulk-confirm": cards.confirm_card(
            nonce=NONCE,
            facts=[("File", "trunks.csv"), ("Trunks to create", "2 of 3 rows")],
            requester="alice@example.com",
            note=bulk_words.CONFIRM_NOTE,
        ),
        "bulk-stop": bulk_text.stop_card(NONCE),
        "notice": reading.notice_card(
            title="This card has expired",
            text=sentence("Type ", mono("create trunk"), " for a new form."),
            facts=[("Trunk", "lon-lgw-1")],
            tone="attention",
        ),
    }
