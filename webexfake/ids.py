"""Webex-style identifiers and generated values for the sandbox.

Webex ids are base64 of ``ciscospark://<region>/<TYPE>/<uuid>``. Real ones use the standard
alphabet with the ``=`` padding stripped; since a uuid never produces ``+`` or ``/`` there, that
is the same string as url-safe base64 without padding, which is what the sandbox emits (always
without padding). Seeded objects get uuid5 ids derived from their names so they are stable from
run to run; objects created through the API get uuid4 ids.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import uuid

REGION = "us"
_SEED_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://trunkbot.invalid/sandbox")

#: Symbols the sandbox's password rule accepts (``?`` and ``!`` are refused with 25015).
PASSWORD_SYMBOLS = "#$%*+-=@^_"  # noqa: S105 - a character class, not a secret


def make_id(kind: str, value: uuid.UUID | str | None = None) -> str:
    """A Webex id of ``kind`` (LOCATION, TRUNK, ORGANIZATION, PEOPLE); random uuid if None."""
    raw = f"ciscospark://{REGION}/{kind}/{value or uuid.uuid4()}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def seeded_id(kind: str, name: str) -> str:
    """A stable id for a seeded object: uuid5 of the kind and name."""
    return make_id(kind, uuid.uuid5(_SEED_NAMESPACE, f"{kind}/{name}"))


def parse_id(value: str) -> tuple[str, str] | None:
    """``(TYPE, uuid)`` of a Webex id, or None when it is not one (any region accepted)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    parts = raw.split("/")
    if len(parts) != 5 or parts[0] != "ciscospark:" or parts[1] or not parts[3] or not parts[4]:
        return None
    return parts[3], parts[4]


def tracking_id() -> str:
    """A Webex router tracking id."""
    return f"ROUTER_{uuid.uuid4()}"


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
