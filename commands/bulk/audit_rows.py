"""What a bulk job leaves on the audit trail: a row per trunk it tried (created, or why not)
and one for the job (its file, its counts)."""

from __future__ import annotations

from bot.gate import Permit
from bot.store import AuditRecord
from bot.store.bulk import BulkJob, RowState
from commands.bulk.permits import ACTION
from commands.bulk.row import Outcome, requester_of


def row_record(job: BulkJob, outcome: Outcome, permit: Permit | None) -> AuditRecord:
    """The audit row of one row's outcome (``permit`` None: the gate refused it)."""
    row = outcome.row
    actor = requester_of(job)
    location = permit.location if permit is not None else None
    return AuditRecord(
        action=ACTION,
        decision="allowed" if permit is not None else "refused",
        event_id=f"bulk:{job.job_id}:{row.row_no}",
        person_id=actor.person_id,
        email=actor.email,
        room_id=job.room_id,
        location_id=row.location_id,
        location_name=location.name if location else None,
        request={**row.request, "row": row.row_no, "job": job.job_id},
        reason=None if outcome.state is RowState.CREATED else outcome.error,
        result="created" if outcome.state is RowState.CREATED else "failed",
        trunk_id=outcome.trunk_id,
        tracking_id=outcome.tracking_id,
    )


def job_record(
    job: BulkJob, *, rows: int, created: int, failed: int, skipped: int, stopped: bool
) -> AuditRecord:
    """The audit row of the whole job, once it has ended."""
    actor = requester_of(job)
    return AuditRecord(
        action=ACTION,
        decision="allowed",
        event_id=f"bulk:{job.job_id}",
        person_id=actor.person_id,
        email=actor.email,
        room_id=job.room_id,
        request={
            "file": job.request.get("file"),
            "rows": rows,
            "locations": job.request.get("locations"),
        },
        reason="bulk create" + (" (stopped)" if stopped else ""),
        result=f"bulk: {created} created, {failed} failed, {skipped} not attempted",
    )
