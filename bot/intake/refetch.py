"""An activity fetched again by its REST id (recovery after a restart, the websocket's fetch):
its kind read from the id, the object from Webex, and — when Webex never gives it back — the
activity given up after ``MAX_FETCH_FAILURES`` attempts, on the audit trail."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from bot.errors import BotError, WebexNotFound
from bot.rest_ids import parse_rest_id
from bot.store import Store
from bot.store.models import AuditRecord
from bot.webex.messaging import MessagingClient

log = logging.getLogger(__name__)

# A recorded activity whose refetch fails this often is given up, on the audit trail.
MAX_FETCH_FAILURES = 5
LOST_REASON = f"couldn't be fetched from Webex after {MAX_FETCH_FAILURES} attempts"


def kind_of_rest_id(rest_id: str) -> str:
    """ "message" or "card" from a Webex REST id (read with the one codec, bot.rest_ids)."""
    parsed = parse_rest_id(rest_id)
    return "card" if parsed is not None and parsed[0] == "ATTACHMENT_ACTION" else "message"


async def fetch_object(
    messaging: MessagingClient, kind: str, rest_id: str
) -> dict[str, Any] | None:
    """The message or card action (kind "message" or "card") Webex has under ``rest_id``;
    None when it has none (404); any other failure raises its BotError."""
    path = "/messages/" if kind == "message" else "/attachment/actions/"
    try:
        return await messaging.http.get_json(path + quote(rest_id, safe=""))
    except WebexNotFound:
        return None


async def refetch(
    messaging: MessagingClient, store: Store, event_id: str, kind: str
) -> dict[str, Any] | None:
    """The message or card action fetched again by id; None (counted) when Webex fails."""
    try:
        obj = await fetch_object(messaging, kind, event_id)
    except BotError:
        obj = None
    if obj is None:
        await _fetch_failed(store, event_id, kind)
    return obj


async def _fetch_failed(store: Store, event_id: str, kind: str) -> None:
    """Count a failed refetch; at ``MAX_FETCH_FAILURES`` give the activity up for good and
    put it on the audit trail as lost (once, whichever replica gets there)."""
    failures = await store.intake_fetch_failed(event_id)
    extra = {"event_id": event_id, "kind": kind, "failures": failures}
    if failures < MAX_FETCH_FAILURES or not await store.abandon_intake(event_id):
        log.warning("intake.refetch_failed", extra=extra)
        return
    log.warning("intake.abandoned", extra=extra)
    await store.append_audit(
        AuditRecord(
            action="message",
            decision="refused",
            event_id=event_id,
            reason=LOST_REASON,
            result="lost",
        )
    )
