"""What every card shares: the Adaptive Card version and limits, the submit data's key and
verbs, the form's input ids and choice values."""

from __future__ import annotations

from typing import Any

from bot.grammar import KEYS
from bot.validation import CERTIFICATE_ONLY_KEYS

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

#: Input ids of the form: the grammar's canonical keys, less those a form doesn't offer (the
#: org comes from the card, a route group is typed, the P-Charge-Info policy isn't asked).
NOT_IN_FORM = frozenset({"org", "pcharge", "route-group"})
FORM_INPUTS: tuple[str, ...] = (
    *(k for k in KEYS if k not in NOT_IN_FORM and k != "password"),
    "password",  # last on the form: optional, and only in a 1:1 space
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
