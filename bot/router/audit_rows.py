"""The audit row each event leaves: one for an event answered by a command (its outcome
read from the failure, if any), one for an event the router did not act on."""

from __future__ import annotations

from typing import Literal

from bot.errors import BotError, CardRefused, NotAllowed, WebexError
from bot.events import Context, Event
from bot.store import AuditRecord


def unanswered_row(event: Event, reason: str, result: str) -> AuditRecord:
    """An event the router refused without running a command (ignored, flood control)."""
    return AuditRecord(
        action="message",
        decision="refused",
        event_id=event.id,
        person_id=event.actor.person_id,
        email=event.actor.email,
        room_id=event.space.room_id,
        reason=reason,
        result=result,
    )


def outcome_row(
    ctx: Context, failure: BaseException | None, incident: str | None, duration_ms: int
) -> AuditRecord:
    """What a command did with ``ctx``'s event: its draft, and how it ended."""
    draft, ev = ctx.audit, ctx.event
    decision: Literal["allowed", "refused"] = "allowed"
    reason, result = None, draft.result or "ok"
    status = error_code = tracking_id = None
    if isinstance(failure, NotAllowed):
        decision, result = "refused", "refused"
        reason = failure.user_message
        if failure.reason:
            reason += f" (policy: {failure.reason})"
    elif isinstance(failure, CardRefused):
        decision, reason, result = "refused", failure.user_message, "refused"
    elif isinstance(failure, WebexError):
        result, reason = "failed", failure.user_message
        status, error_code, tracking_id = (
            failure.status,
            failure.error_code,
            failure.tracking_id,
        )
    elif isinstance(failure, BotError):
        result, reason = "invalid", failure.user_message
    elif failure is not None:
        result, reason = "error", f"incident {incident}"
    return AuditRecord(
        action=draft.action or "unknown",
        decision=decision,
        event_id=ev.id,
        person_id=ev.actor.person_id,
        email=ev.actor.email,
        room_id=ev.space.room_id,
        location_id=draft.location_id,
        location_name=draft.location_name,
        request=draft.request,
        reason=reason,
        approver_id=draft.approver_id,
        result=result,
        trunk_id=draft.trunk_id,
        status=status,
        error_code=error_code,
        tracking_id=tracking_id,
        duration_ms=duration_ms,
    )
