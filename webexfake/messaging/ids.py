"""Webex-shaped identifiers for the fake cloud.

REST ids are url-safe base64, without padding, of ``ciscospark://<region>/<TYPE>/<uuid>`` (for a
uuid that is the same string real Webex emits with the standard alphabet). The websocket speaks
in bare uuids: an activity's ``id`` is the uuid inside the message's REST id and a conversation's
uuid is the one inside the room's REST id, as on the real service.
"""

from __future__ import annotations

import base64
import binascii
import uuid

REGION = "us"


def new_uuid() -> str:
    """A fresh random uuid as a string."""
    return str(uuid.uuid4())


def make_id(kind: str, value: str | None = None, *, region: str = REGION) -> str:
    """The REST id of ``kind`` (PEOPLE, ROOM, MESSAGE, ...) for ``value`` (random when None)."""
    raw = f"ciscospark://{region}/{kind}/{value or new_uuid()}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_id(value: str) -> tuple[str, str] | None:
    """``(TYPE, uuid)`` of a REST id, or None when ``value`` is not one (any region)."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    parts = raw.split("/")
    if len(parts) != 5 or parts[0] != "ciscospark:" or parts[1] or not parts[3] or not parts[4]:
        return None
    return parts[3], parts[4]


def tracking_id() -> str:
    """A Webex router tracking id, as error bodies and the ``TrackingID`` header carry."""
    return f"ROUTER_{uuid.uuid4()}".upper()
