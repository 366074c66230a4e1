"""Files that never ran: a job waiting on its Create card or its approval ends when the
card or the approval does (the intake's minute job), so no job waits forever.

* **Rejected** approval: the job ends ``rejected``; the approvers' card told the requester.
* **Expired** approval (or one past its time that the expiry job hasn't closed yet): the job
  ends ``expired``; the approvals' expiry notice tells the requester.
* **Create card** left unpressed past its life: the job ends ``expired`` and the requester
  is told here, in one sentence.

Nothing is created for such a job: the runner starts only jobs moved out of ``awaiting``,
and every move out of it is one conditional UPDATE.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import BotError
from bot.events import Outbox, Reply
from bot.store import AuditRecord
from bot.store.bulk import BulkJob
from bot.store.models import ApprovalStatus
from commands.bulk import words

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

REJECTED, EXPIRED = "rejected", "expired"
CARD_GRACE = 60.0  # seconds past the card's life before its job is ended


async def end_unanswered(services: Services, outbox: Outbox) -> int:
    """End every awaiting job whose approval was rejected or expired, or whose Create card
    outlived its life; how many were ended."""
    store = services.store
    now = store.clock().astimezone(UTC)
    ended = 0
    for job in await store.bulk.awaiting():
        why = await _why_ended(services, job, now)
        if why is None or not await store.bulk.end_awaiting(job.job_id, why):
            continue
        ended += 1
        await _audit(services, job, why)
        if not job.request.get("approval_id"):
            await _tell(outbox, job, words.card_expired(_file(job)))
    return ended


async def _why_ended(services: Services, job: BulkJob, now: datetime) -> str | None:
    approval_id = job.request.get("approval_id")
    if approval_id:
        approval = await services.store.get_approval(str(approval_id))
        if approval is None:
            return None
        if approval.status is ApprovalStatus.REJECTED:
            return REJECTED
        if approval.status is ApprovalStatus.EXPIRED:
            return EXPIRED
        if approval.status is ApprovalStatus.PENDING and approval.expires_at <= now:
            return EXPIRED
        return None
    life = timedelta(seconds=services.card_ttl + CARD_GRACE)
    return EXPIRED if job.created_at + life <= now else None


def _file(job: BulkJob) -> str:
    return str(job.request.get("file") or "your file")


async def _audit(services: Services, job: BulkJob, why: str) -> None:
    who = job.request.get("requester") or {}
    await services.store.append_audit(
        AuditRecord(
            action="trunk.create",
            decision="allowed",
            event_id=f"bulk:{job.job_id}",
            person_id=str(who.get("person_id", job.requester)),
            email=str(who.get("email", "")),
            room_id=job.room_id,
            request={"file": job.request.get("file"), "job": job.job_id},
            reason=f"bulk create {why} before it ran",
            result=f"bulk: {why}, nothing created",
        )
    )


async def _tell(outbox: Outbox, job: BulkJob, text: str) -> None:
    try:
        await outbox.send(Reply(markdown=text, room_id=job.room_id, private=True))
    except BotError:
        log.warning("bulk.notice_failed", extra={"job": job.job_id})
