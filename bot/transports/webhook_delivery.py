"""A webhook delivery as it arrives: its size, its signature and its notification.

Webex signs the raw body: ``X-Spark-Signature`` is the hex HMAC-SHA1 of it keyed with the
webhook's secret. A notification (``messages``/``created``, ``attachmentActions``/``created``)
carries ids only: :data:`FETCHED` says which kind of object to fetch for each
(bot.intake.refetch.fetch_object fetches it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from starlette.requests import Request

#: Bytes a delivery may have (413 past it).
MAX_BODY = 64 * 1024
SIGNATURE_HEADER = "X-Spark-Signature"
#: (resource, event) → (the runner's kind, the REST path that fetches the object by id).
FETCHED: dict[tuple[str, str], str] = {
    ("messages", "created"): "message",
    ("attachmentActions", "created"): "card",
}
#: The whole answer to a signed body that isn't a webhook notification.
NOT_A_NOTIFICATION = "The body is not a Webex webhook notification (a JSON object).\n"


def sign(secret: bytes, body: bytes) -> str:
    """Webex's ``X-Spark-Signature``: hex HMAC-SHA1 of the raw body keyed with the secret."""
    return hmac.new(secret, body, hashlib.sha1).hexdigest()


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    given = header.strip().lower().encode("latin-1", errors="replace")
    return hmac.compare_digest(sign(secret, body).encode("ascii"), given)


class TooLarge(Exception):
    """The body is over the limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing (``TooLarge``) past ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def notification(body: bytes) -> tuple[str, str, dict[str, Any]] | None:
    """(resource, event, data) of a webhook body, or None when it isn't one (not JSON, not
    an object, or nested too deep for the parser)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    resource, event, data = doc.get("resource"), doc.get("event"), doc.get("data")
    if not isinstance(resource, str) or not isinstance(event, str) or not isinstance(data, dict):
        return None
    return resource, event, data
