"""Webex-style identifiers and generated values for both halves of the fake.

The codec is the product's own (:mod:`bot.rest_ids`): REST ids are url-safe base64, unpadded, of
``ciscospark://<region>/<TYPE>/<uuid>``. The websocket speaks in bare uuids: an activity's ``id``
is the uuid inside the message's REST id and a conversation's uuid is the one inside the room's
REST id, as on the real service. Seeded objects get uuid5 ids derived from their names so they
are stable from run to run; objects created through the API get uuid4 ids.
"""

from __future__ import annotations

import secrets
import string
import uuid

from bot.rest_ids import REGION, parse_rest_id
from bot.rest_ids import make_rest_id as _make_rest_id

__all__ = [
    "PASSWORD_SYMBOLS",
    "REGION",
    "example_password",
    "make_id",
    "new_uuid",
    "opaque_token",
    "parse_id",
    "random_digits",
    "seeded_id",
    "tracking_id",
    "uuid_of",
]

_SEED_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://trunkbot.invalid/sandbox")

#: Symbols the sandbox's password rule accepts (``?`` and ``!`` are refused with 25015).
PASSWORD_SYMBOLS = "#$%*+-=@^_"  # noqa: S105 - a character class, not a secret

#: ``(TYPE, uuid)`` of a REST id, or None when it is not one (any region).
parse_id = parse_rest_id


def uuid_of(value: str, kind: str) -> str | None:
    """The uuid in ``value`` when it is a REST id of ``kind`` (``ROOM``, ``PEOPLE``…), else None."""
    parsed = parse_id(value)
    return parsed[1] if parsed and parsed[0] == kind else None


def new_uuid() -> str:
    """A fresh random uuid as a string."""
    return str(uuid.uuid4())


def make_id(kind: str, value: uuid.UUID | str | None = None, *, region: str = REGION) -> str:
    """A REST id of ``kind`` (LOCATION, TRUNK, PEOPLE, ROOM, …); a random uuid if None."""
    return _make_rest_id(kind, str(value or uuid.uuid4()), region=region)


def seeded_id(kind: str, name: str) -> str:
    """A stable id for a seeded object: uuid5 of the kind and name."""
    return make_id(kind, uuid.uuid5(_SEED_NAMESPACE, f"{kind}/{name}"))


def tracking_id() -> str:
    """A Webex router tracking id (``TrackingID`` header, ``trackingId`` in error bodies)."""
    return f"ROUTER_{uuid.uuid4()}".upper()


def random_digits(count: int) -> str:
    """``count`` random decimal digits, the first one not zero."""
    first = str(1 + secrets.randbelow(9))
    return first + "".join(str(secrets.randbelow(10)) for _ in range(count - 1))


def example_password(length: int = 16) -> str:
    """A fresh password meeting the sandbox's rule: letters, digits and one allowed symbol."""
    alphabet = string.ascii_letters + string.digits
    chars = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice(PASSWORD_SYMBOLS),
    ]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    # Fisher-Yates with the secrets generator, so the symbol is not always in one place.
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def opaque_token(prefix: str = "") -> str:
    """A Webex-shaped opaque token: ``<base64ish>_<4 chars>_<uuid>``."""
    body = secrets.token_urlsafe(48).replace("-", "a").replace("_", "b")
    return f"{prefix}{body}_SBX1_{uuid.uuid4()}"
