"""Who may create a job's trunks, asked again when it runs (a file checked an hour ago may
meet a changed policy): the requester's permit for each location of its rows — with the
file's approver, when the policy wants one, admitted again for that location too — or the
sentence saying why not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import NotAllowed
from bot.events import Actor, Space, SpaceKind
from bot.gate import APPROVE, Permit
from bot.store.bulk import BulkJob, BulkRow
from bot.webex.models import Location
from commands.bulk.row import requester_of, space_of

if TYPE_CHECKING:
    from bot.services import Services

ACTION = "trunk.create"


async def location_permits(
    services: Services, job: BulkJob, rows: list[BulkRow]
) -> tuple[dict[str, Permit | str], dict[str, Location]]:
    """Each location's permit for the requester, asked again now (or why not), and each
    location (Webex's, or one named by its id when Webex no longer lists it)."""
    org_id = job.org_id
    by_id = {loc.id: loc for loc in await services.calling.list_locations(org_id=org_id)}
    out: dict[str, Permit | str] = {}
    locations: dict[str, Location] = {}
    approver: Permit | None = None
    for location_id in {r.location_id for r in rows}:
        location = by_id.get(location_id) or Location(id=location_id, name=location_id)
        locations[location_id] = location
        try:
            permit = await services.gate.reauthorize(
                requester_of(job), space_of(job), ACTION, org_id, location
            )
            if permit.needs_approval and job.request.get("approval"):
                # The file was approved: its approver, asked again now, for this location.
                approver = approver or await _approver(services, job)
                approving = await services.gate.narrow(approver, location)
                permit = services.gate.approve(permit, approving)
            permit.check_write(ACTION, org_id, location_id)
            out[location_id] = permit
        except NotAllowed as exc:
            out[location_id] = exc.user_message
    return out, locations


async def _approver(services: Services, job: BulkJob) -> Permit:
    """The job's approver, admitted again for ``approve`` (NotAllowed: why not)."""
    approval = job.request.get("approval") or {}
    who = approval.get("approver") or {}
    actor = Actor(str(who.get("person_id", "")), str(who.get("email", "")), who.get("org_id"))
    space = Space(str(approval.get("approvers_room") or ""), SpaceKind.GROUP)
    return await services.gate.admit(actor, space, APPROVE, job.org_id)
