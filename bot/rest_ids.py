"""Webex REST ids: url-safe base64, unpadded, of ``ciscospark://<region>/<TYPE>/<uuid>``.

Real ids use the standard alphabet with the ``=`` padding stripped; for a uuid that is the same
string as url-safe base64 without padding. The one codec of the project: the product reads ids
with :func:`parse_rest_id`, and the fake Webex (``webexfake.ids``) builds on both functions.
"""

from __future__ import annotations

import base64
import binascii

REGION = "us"


def make_rest_id(kind: str, value: str, *, region: str = REGION) -> str:
    """The REST id of ``kind`` (PEOPLE, ROOM, MESSAGE, TRUNK, …) for ``value`` (usually a uuid)."""
    raw = f"ciscospark://{region}/{kind}/{value}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _parts(value: str) -> list[str] | None:
    """``["ciscospark:", "", region, TYPE, uuid]`` of a REST id, or None."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    parts = raw.split("/")
    if len(parts) != 5 or parts[0] != "ciscospark:" or parts[1] or not parts[3] or not parts[4]:
        return None
    return parts


def parse_rest_id(value: str) -> tuple[str, str] | None:
    """``(TYPE, uuid)`` of a REST id, or None when ``value`` is not one (any region)."""
    parts = _parts(value)
    return None if parts is None else (parts[3], parts[4])


def region_of(value: str) -> str | None:
    """The region of a REST id (``us``, ``urn:TEAM:eu-central-1_k``…), or None."""
    parts = _parts(value)
    return None if parts is None or not parts[2] else parts[2]
