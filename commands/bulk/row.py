"""One row of a bulk job: its trunk created once, and what came of it.

Each row claims its own create key (``bulk:<job>:<row>``) before its POST; a row whose key a
dead process left pending is settled by looking the trunk up by name (its password was that
process's, never stored: the row says so). A create whose outcome Webex left unclear stays
pending for the create reconciliation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.errors import WebexError, WebexRetryable, WebexServerError
from bot.events import Actor, Space, SpaceKind
from bot.gate import Permit
from bot.grammar import Fields
from bot.logs import GENERATED, PASSWORD_TTL, SECRETS
from bot.store import ClaimStatus
from bot.store.bulk import BulkJob, BulkRow, RowState
from bot.validation import TrunkRequest, to_create_body
from bot.webex.errors import WebexConnectFailed, user_sentence
from bot.webex.models import DeviceType, TrunkDetails
from bot.webex.refusals import known_refusal
from bot.webex.trunk_create import TrunkCreateUnknown, TrunkNotCreated

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.services import Services


@dataclass
class Outcome:
    row: BulkRow
    state: RowState
    trunk_id: str | None = None
    error: str | None = None
    tracking_id: str | None = None
    details: TrunkDetails | None = None
    password: str | None = None
    password_lost: bool = False  # created by a process before a restart: never held here


Ticket = Callable[[], Awaitable[None]]


async def _at_once() -> None:
    return None


def requester_of(job: BulkJob) -> Actor:
    who = job.request.get("requester") or {}
    return Actor(
        str(who.get("person_id", job.requester)), str(who.get("email", "")), who.get("org_id")
    )


def space_of(job: BulkJob) -> Space:
    return Space(job.room_id, SpaceKind.DIRECT)


async def create_row(
    services: Services, job: BulkJob, row: BulkRow, permit: Permit, ticket: Ticket = _at_once
) -> Outcome:
    """One row, once: its own create key, claimed before the POST; each Webex request waits
    for its ``ticket`` (the job's pace, commands.bulk.pace)."""
    store, calling, org_id = services.store, services.calling, job.org_id
    key = f"bulk:{job.job_id}:{row.row_no}"
    req = TrunkRequest.from_fields(_fields(row))
    location = permit.location
    assert location is not None  # noqa: S101  -- narrowed by the gate
    for _ in range(2):
        claim = await store.begin_create(
            key,
            name=req.name,
            org_id=org_id,
            location_id=location.id,
            requester=requester_of(job).person_id,
        )
        if claim.status is ClaimStatus.DONE:
            done = json.loads(claim.record.result_json or "{}")
            trunk_id = str(done.get("trunk_id", ""))
            return Outcome(row, RowState.CREATED, trunk_id=trunk_id, password_lost=True)
        if claim.status is ClaimStatus.FAILED:
            failed = json.loads(claim.record.error_json or "{}")
            return Outcome(row, RowState.FAILED, error=str(failed.get("sentence", "")))
        if claim.status is ClaimStatus.IN_PROGRESS:
            # A dead owner's POST (we hold the job now): the name says what happened.
            await ticket()
            found = await calling.find_trunk_by_name(req.name, org_id=org_id)
            if found is not None:
                result = {"trunk_id": found.id, "recovered": True, "name": req.name}
                await store.complete_create(key, json.dumps(result))
                return Outcome(row, RowState.CREATED, trunk_id=found.id, password_lost=True)
            await store.fail_create(key, json.dumps({"sentence": "not created"}), retryable=True)
            continue
        break
    device = _device(row)
    secret: SecretStr | None = None
    try:
        await ticket()
        secret = await calling.generate_password(location.id, org_id=org_id)
        SECRETS.add(secret.get_secret_value(), ttl=PASSWORD_TTL, kind=GENERATED)
        body = to_create_body(req, location_id=location.id, password=secret, device=device)
        await ticket()
        outcome = await calling.create_trunk(body, org_id=org_id)
    except TrunkCreateUnknown as exc:
        # Stays pending: the create reconciliation looks it up by name and tells them.
        return Outcome(row, RowState.FAILED, error=user_sentence(exc), tracking_id=exc.tracking_id)
    except WebexError as exc:
        sentence = user_sentence(known_refusal(exc, req.address, req.domain))
        retry = _nothing_created(exc)
        await store.fail_create(
            key,
            json.dumps(
                {"sentence": sentence, "status": exc.status, "tracking_id": exc.tracking_id}
            ),
            retryable=retry,
        )
        if retry:
            raise
        return Outcome(row, RowState.FAILED, error=sentence, tracking_id=exc.tracking_id)
    result = {"trunk_id": outcome.trunk_id, "recovered": outcome.recovered, "name": req.name}
    log.info(
        "trunk.created",
        extra={"trunk_id": outcome.trunk_id, "recovered": outcome.recovered, "bulk_row": key},
    )
    await store.complete_create(key, json.dumps(result))
    details: TrunkDetails | None = None
    try:
        await ticket()
        details = await calling.get_trunk(outcome.trunk_id, org_id=org_id)
    except WebexError:
        details = None
    return Outcome(
        row,
        RowState.CREATED,
        trunk_id=outcome.trunk_id,
        details=details,
        password=secret.get_secret_value() if secret else None,
    )


def _fields(row: BulkRow) -> Fields:
    fields = Fields()
    for key, value in row.request.items():
        if key in ("device",):
            continue  # checked when the job was made: sent as the device type found then
        if value is None:
            continue
        if isinstance(value, bool):
            fields[key] = "yes" if value else "no"
        else:
            fields[key] = str(value)
    fields["type"] = (
        "certificate" if row.request.get("type") == "CERTIFICATE_BASED" else "registering"
    )
    fields["location"] = row.location_id
    return fields


def _device(row: BulkRow) -> DeviceType | None:
    name = row.request.get("device")
    return DeviceType(device_type=str(name)) if name else None


def _nothing_created(exc: WebexError) -> bool:
    return isinstance(exc, TrunkNotCreated | WebexConnectFailed | WebexRetryable) or (
        isinstance(exc, WebexServerError) and not isinstance(exc, TrunkCreateUnknown)
    )
