"""A file whose grant needs approval goes through one approval as a whole: the approvers'
card counts trunks per location, the approver must cover every location, and the job
carries its approver (the runner asks the gate again for both, at every location)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot.errors import CardRefused
from bot.events import Context
from bot.gate import Permit
from bot.store.bulk import BulkJob, BulkRow
from commands.approvals import ask_approval
from commands.bulk import run, words
from commands.bulk.control import post_stop_card

if TYPE_CHECKING:
    from bot.services import Services

KIND = "bulk"  # the approval kind of a whole file


async def ask_bulk_approval(
    services: Services,
    ctx: Context,
    permit: Permit,
    job: BulkJob,
    rows: list[BulkRow],
    permits: list[Permit],
) -> None:
    """The whole file through one approval: counts per location on the approvers' card; the
    approver must be allowed to approve in every one of them (commands.approvals)."""
    places = [p.location for p in permits if p.location is not None]
    first = permit.location
    assert first is not None  # noqa: S101  -- narrowed by the gate
    counts = Counter(r.location_id for r in rows)
    name = str(job.request.get("file") or "a file")
    summary = {
        "name": name,
        "org": permit.org_id,
        "location_id": first.id,
        "location": first.name,
        "locations": [{"id": p.id, "name": p.name} for p in places],
        "rows": len(rows),
        "job_id": job.job_id,
    }
    ctx.audit.request = {"job": job.job_id, "file": name, "rows": len(rows)}
    approval_id = await ask_approval(
        services,
        ctx,
        permit,
        kind=KIND,
        name=name,
        summary=summary,
        facts=words.approval_facts(name, [(p.name, counts[p.id]) for p in places]),
        password=None,
        extra={"job_id": job.job_id},
    )
    # The job follows its approval: rejected or expired ends it (commands.bulk.ending).
    await services.store.bulk.note_awaiting(job.job_id, {**job.request, "approval_id": approval_id})


async def execute_approved(
    services: Services,
    ctx: Context,
    permit: Permit,
    stored: dict[str, Any],
    _password: SecretStr | None,
) -> None:
    """Approved: the job starts, carrying its approver (the runner asks the gate again,
    for the requester and the approver, at every location, before each row's write)."""
    job = await services.store.bulk.get(str(stored.get("job_id", "")))
    if job is None or permit.approver is None:
        raise CardRefused(words.GONE)
    request = {
        **job.request,
        "approval": {
            "approver": {
                "person_id": permit.approver.person_id,
                "email": permit.approver.email,
                "org_id": permit.approver.org_id,
            },
            "approvers_room": permit.approvers_space,
        },
    }
    if not await services.store.bulk.start_approved(job.job_id, request):
        raise CardRefused(words.GONE)
    ctx.audit.result = "started"
    await post_stop_card(services, ctx, job.job_id)
    run.start(services, ctx.outbox, job.job_id)
