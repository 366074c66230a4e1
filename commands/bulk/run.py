"""Running a bulk job: at Webex's pace, one progress message, Stop, durable rows, resume.

* **Pace.** Bounded concurrency that learns Webex's rate from its 429s (commands.bulk.pace);
  the HTTP layer itself waits ``Retry-After`` before trying the same call again.
* **Never twice.** Each row claims its own create key (``bulk:<job>:<row>``) before its POST;
  a row whose key a dead process left pending is settled by looking the trunk up by name.
  A create whose outcome Webex left unclear stays pending for the create reconciliation.
* **Progress.** One message, edited every ``Timing.progress_every`` seconds (a new one when
  Webex's edit limit is near); Stop (the card or ``stop bulk``) lets rows in flight finish.
* **Resume.** The owner beats in the store; a job whose owner stopped beating is claimed by
  the intake's minute job (:func:`resume_orphans`) and carries on, saying so.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot.audit_view import csv_cell
from bot.errors import (
    BotError,
    NotAllowed,
    UsageError,
    WebexError,
    WebexRetryable,
    WebexServerError,
)
from bot.events import Actor, Outbox, Reply, Space, SpaceKind, Upload
from bot.gate import APPROVE, Permit
from bot.grammar import Fields
from bot.logs import GENERATED, PASSWORD_TTL, SECRETS, delivering
from bot.store import AuditRecord, ClaimStatus
from bot.store.bulk import BulkJob, BulkRow, JobState, RowState
from bot.validation import TrunkRequest, to_create_body
from bot.webex.calling import TrunkCreateUnknown, TrunkNotCreated
from bot.webex.errors import WebexConnectFailed, user_sentence
from bot.webex.models import DeviceType, Location, TrunkDetails
from bot.webex.refusals import known_refusal
from bot.webex.routing import RoutingAdmin
from commands.bulk import words
from commands.bulk.check import GROUP_ACTION, GROUP_NEEDS_APPROVAL
from commands.bulk.pace import Pace, Timing

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

ACTION = "trunk.create"
OWNER = uuid.uuid4().hex  # this process, as the owner of the jobs it runs
RESULT_COLUMNS = ("row", "name", "status", "id", "error", "tracking_id")
GATEWAY_COLUMNS = ("password", "line_port", "sip_user_name", "outbound_proxy", "otg_dtg")
MAX_EDITS = 9  # Webex allows 10 edits of a message; the final text is one of them


TIMING = Timing()
_TASKS: set[asyncio.Task[None]] = set()
_STOPS: dict[str, asyncio.Event] = {}


async def wait_all() -> None:
    """Every job this process is running, finished (tests; a clean stop)."""
    while _TASKS:
        await asyncio.gather(*list(_TASKS), return_exceptions=True)


def start(services: Services, outbox: Outbox, job_id: str, *, resumed: bool = False) -> None:
    """Run the job as a task of its own (the command that started it returns at once)."""
    task = asyncio.get_running_loop().create_task(
        run_job(services, outbox, job_id, resumed=resumed)
    )
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


def signal_stop(job_id: str) -> None:
    event = _STOPS.get(job_id)
    if event is not None:
        event.set()


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


def requester_of(job: BulkJob) -> Actor:
    who = job.request.get("requester") or {}
    return Actor(
        str(who.get("person_id", job.requester)), str(who.get("email", "")), who.get("org_id")
    )


def space_of(job: BulkJob) -> Space:
    return Space(job.room_id, SpaceKind.DIRECT)


class Runner:
    def __init__(self, services: Services, outbox: Outbox, job: BulkJob) -> None:
        self.services, self.outbox, self.job = services, outbox, job
        self.timing = TIMING
        self.pace = Pace(self.timing)
        self.stop = _STOPS.setdefault(job.job_id, asyncio.Event())
        self.outcomes: dict[int, Outcome] = {}
        self.progress_id: str | None = job.progress_id
        self.edits = 0
        self.started = self.timing.clock()
        self.done_here = 0
        self.total = 0
        self.group_permits: dict[str, Permit | str] = {}  # location ID → routegroup.write
        self.group_locks: dict[str, asyncio.Lock] = {}  # one writer per route group

    # -- messages -------------------------------------------------------------------------

    async def say(self, markdown: str, *, file: Upload | None = None) -> str | None:
        try:
            return await self.outbox.send(
                Reply(markdown=markdown, room_id=self.job.room_id, private=True, file=file)
            )
        except BotError:
            log.warning("bulk.reply_failed", extra={"job": self.job.job_id})
            return None

    async def show_progress(self, text: str) -> None:
        try:
            if self.progress_id is None or self.edits >= MAX_EDITS:
                old = self.progress_id
                self.progress_id = await self.say(text)
                self.edits = 0
                if old is not None:
                    await self.outbox.delete(old)
            else:
                await self.outbox.send(
                    Reply(markdown=text, room_id=self.job.room_id, replaces=self.progress_id)
                )
                self.edits += 1
        except BotError:
            log.warning("bulk.progress_failed", extra={"job": self.job.job_id})
        await self.services.store.bulk.beat(self.job.job_id, OWNER, self.progress_id)

    def progress_text(self) -> str:
        created = sum(1 for o in self.outcomes.values() if o.state is RowState.CREATED)
        failed = sum(1 for o in self.outcomes.values() if o.state is RowState.FAILED)
        remaining = self.total - created - failed
        elapsed = self.timing.clock() - self.started
        eta = elapsed / self.done_here * remaining if self.done_here else None
        return words.progress(created, failed, remaining, eta, self.stop.is_set())

    async def ticker(self) -> None:
        while True:
            await self.timing.sleep(self.timing.progress_every)
            job = await self.services.store.bulk.get(self.job.job_id)
            if job is not None and job.state is JobState.STOPPING:
                self.stop.set()
            await self.show_progress(self.progress_text())

    # -- the rows -------------------------------------------------------------------------

    async def permits(self, rows: list[BulkRow]) -> dict[str, Permit | str]:
        """Each location's permit for the requester, asked again now (or why not)."""
        org_id = self.job.org_id
        by_id = {loc.id: loc for loc in await self.services.calling.list_locations(org_id=org_id)}
        out: dict[str, Permit | str] = {}
        approver: Permit | None = None
        for location_id in {r.location_id for r in rows}:
            location = by_id.get(location_id) or Location(id=location_id, name=location_id)
            try:
                permit = await self.services.gate.reauthorize(
                    requester_of(self.job), space_of(self.job), ACTION, org_id, location
                )
                if permit.needs_approval and self.job.request.get("approval"):
                    # The file was approved: its approver, asked again now, for this location.
                    approver = approver or await self.approver()
                    approving = await self.services.gate.narrow(approver, location)
                    permit = self.services.gate.approve(permit, approving)
                permit.check_write(ACTION, org_id, location_id)
                out[location_id] = permit
            except NotAllowed as exc:
                out[location_id] = exc.user_message
            if any(r.request.get("route-group") for r in rows if r.location_id == location_id):
                self.group_permits[location_id] = await self.group_permit(location)
        return out

    async def group_permit(self, location: Location) -> Permit | str:
        """The requester's ``routegroup.write`` here, asked again now (or why not)."""
        try:
            permit = await self.services.gate.reauthorize(
                requester_of(self.job), space_of(self.job), GROUP_ACTION, self.job.org_id, location
            )
            if permit.needs_approval:
                return GROUP_NEEDS_APPROVAL
            permit.check_write(GROUP_ACTION, self.job.org_id, location.id)
        except NotAllowed as exc:
            return exc.user_message
        return permit

    async def join_group(self, outcome: Outcome) -> Outcome:
        """A created row with a ``route-group``: its trunk joins the group (made if missing),
        one writer per group at a time (Webex replaces the member list on every PUT). A
        failure leaves the trunk created and says what to retry."""
        row, group = outcome.row, str(outcome.row.request.get("route-group") or "")
        if not group or outcome.state is not RowState.CREATED or not outcome.trunk_id:
            return outcome
        permit = self.group_permits.get(row.location_id, "not allowed")
        sentence: str | None = None
        if isinstance(permit, str):
            sentence = permit
        else:
            folded = " ".join(group.split()).casefold()
            lock = self.group_locks.setdefault(folded, asyncio.Lock())
            try:
                async with lock:
                    permit.check_write(GROUP_ACTION, self.job.org_id, row.location_id)
                    await RoutingAdmin(self.services.calling).add_trunk(
                        outcome.trunk_id, group, org_id=self.job.org_id, create_missing=True
                    )
            except NotAllowed as exc:
                sentence = exc.user_message
            except UsageError as exc:
                sentence = exc.user_message
            except WebexError as exc:
                sentence = user_sentence(exc)
                outcome.tracking_id = outcome.tracking_id or exc.tracking_id
        if sentence is not None:
            outcome.error = words.not_joined(row.name, group, sentence)
        return outcome

    async def approver(self) -> Permit:
        """The job's approver, admitted again for ``approve`` (NotAllowed: why not)."""
        approval = self.job.request.get("approval") or {}
        who = approval.get("approver") or {}
        actor = Actor(str(who.get("person_id", "")), str(who.get("email", "")), who.get("org_id"))
        space = Space(str(approval.get("approvers_room") or ""), SpaceKind.GROUP)
        return await self.services.gate.admit(actor, space, APPROVE, self.job.org_id)

    async def create_row(self, row: BulkRow, permit: Permit) -> Outcome:
        """One row, once: its own create key, claimed before the POST."""
        store, calling, org_id = self.services.store, self.services.calling, self.job.org_id
        key = f"bulk:{self.job.job_id}:{row.row_no}"
        req = TrunkRequest.from_fields(_fields(row))
        location = permit.location
        assert location is not None  # noqa: S101  -- narrowed by the gate
        for _ in range(2):
            claim = await store.begin_create(
                key,
                name=req.name,
                org_id=org_id,
                location_id=location.id,
                requester=requester_of(self.job).person_id,
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
                found = await calling.find_trunk_by_name(req.name, org_id=org_id)
                if found is not None:
                    result = {"trunk_id": found.id, "recovered": True, "name": req.name}
                    await store.complete_create(key, json.dumps(result))
                    return Outcome(row, RowState.CREATED, trunk_id=found.id, password_lost=True)
                await store.fail_create(
                    key, json.dumps({"sentence": "not created"}), retryable=True
                )
                continue
            break
        device = _device(row)
        secret: SecretStr | None = None
        try:
            secret = await calling.generate_password(location.id, org_id=org_id)
            SECRETS.add(secret.get_secret_value(), ttl=PASSWORD_TTL, kind=GENERATED)
            body = to_create_body(req, location_id=location.id, password=secret, device=device)
            outcome = await calling.create_trunk(body, org_id=org_id)
        except TrunkCreateUnknown as exc:
            # Stays pending: the create reconciliation looks it up by name and tells them.
            return Outcome(
                row, RowState.FAILED, error=user_sentence(exc), tracking_id=exc.tracking_id
            )
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
        await store.complete_create(key, json.dumps(result))
        details: TrunkDetails | None = None
        try:
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

    async def attempt(self, row: BulkRow, permit: Permit) -> None:
        try:
            for attempt in range(self.timing.row_attempts):
                try:
                    outcome = await self.create_row(row, permit)
                    break
                except WebexError as exc:
                    if isinstance(exc, WebexRetryable):
                        self.pace.throttled(self.timing.progress_every)
                    if attempt + 1 >= self.timing.row_attempts:
                        outcome = Outcome(
                            row,
                            RowState.FAILED,
                            error=user_sentence(exc),
                            tracking_id=exc.tracking_id,
                        )
                    else:
                        await self.timing.sleep(min(2.0**attempt, 10.0))
            else:  # pragma: no cover  -- the loop always breaks or sets outcome
                return
            if outcome.state is RowState.CREATED:
                self.pace.succeeded()
                outcome = await self.join_group(outcome)
            await self.settle(outcome, permit)
        except Exception:
            log.exception("bulk.row_crashed", extra={"job": self.job.job_id, "row": row.row_no})
            await self.settle(Outcome(row, RowState.FAILED, error="an internal error"), permit)
        finally:
            self.pace.release()

    async def settle(self, outcome: Outcome, permit: Permit | None) -> None:
        row = outcome.row
        await self.services.store.bulk.finish_row(
            self.job.job_id,
            row.row_no,
            outcome.state,
            trunk_id=outcome.trunk_id,
            error=outcome.error,
            tracking_id=outcome.tracking_id,
        )
        self.outcomes[row.row_no] = outcome
        self.done_here += 1
        if outcome.state is RowState.SKIPPED:
            return
        actor = requester_of(self.job)
        location = permit.location if permit is not None else None
        await self.services.store.append_audit(
            AuditRecord(
                action=ACTION,
                decision="allowed" if permit is not None else "refused",
                event_id=f"bulk:{self.job.job_id}:{row.row_no}",
                person_id=actor.person_id,
                email=actor.email,
                room_id=self.job.room_id,
                location_id=row.location_id,
                location_name=location.name if location else None,
                request={**row.request, "row": row.row_no, "job": self.job.job_id},
                reason=None if outcome.state is RowState.CREATED else outcome.error,
                result="created" if outcome.state is RowState.CREATED else "failed",
                trunk_id=outcome.trunk_id,
                tracking_id=outcome.tracking_id,
            )
        )

    # -- the job --------------------------------------------------------------------------

    async def run(self, resumed: bool) -> None:
        store = self.services.store
        rows = await store.bulk.rows(self.job.job_id)
        self.total = len(rows)
        pending = [r for r in rows if r.state is RowState.PENDING]
        for r in rows:
            if r.state is not RowState.PENDING:
                self.outcomes[r.row_no] = Outcome(
                    r,
                    r.state,
                    r.trunk_id,
                    r.error,
                    r.tracking_id,
                    password_lost=r.state is RowState.CREATED,
                )
        if self.job.state is JobState.STOPPING:
            self.stop.set()
        if resumed:
            await self.say(words.resumed(self.total - len(pending), len(pending)))
        permits = await self.permits(pending)
        self.services.admin_http.throttle_listeners.append(self.pace.throttled)
        await self.show_progress(self.progress_text())
        ticker = asyncio.create_task(self.ticker())
        in_flight: set[asyncio.Task[None]] = set()
        try:
            for row in pending:
                permit = permits.get(row.location_id)
                if not isinstance(permit, Permit):
                    why = permit if isinstance(permit, str) else "not allowed"
                    await self.settle(Outcome(row, RowState.FAILED, error=why), None)
                    continue
                if not await self.pace.acquire(self.stop):
                    break
                task = asyncio.create_task(self.attempt(row, permit))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if in_flight:
                await asyncio.gather(*list(in_flight), return_exceptions=True)
        finally:
            ticker.cancel()
            self.services.admin_http.throttle_listeners.remove(self.pace.throttled)
        for row in pending:
            if row.row_no not in self.outcomes:
                await self.settle(
                    Outcome(row, RowState.SKIPPED, error="not attempted: stopped"), None
                )
        await self.finish()

    async def finish(self) -> None:
        store, job = self.services.store, self.job
        stopped = self.stop.is_set()
        final = JobState.STOPPED if stopped else JobState.DONE
        await store.bulk.move(job.job_id, final, only_from=(JobState.RUNNING, JobState.STOPPING))
        counts = {s: sum(1 for o in self.outcomes.values() if o.state is s) for s in RowState}
        created, failed = counts[RowState.CREATED], counts[RowState.FAILED]
        skipped = counts[RowState.SKIPPED]
        lost = [(o.row.name, o.trunk_id) for o in self.outcomes.values() if o.password_lost]
        text = words.summary(created, failed, skipped, stopped, lost)
        await self.show_progress(text.split(" The result")[0])
        actor = requester_of(job)
        for outcome in self.outcomes.values():
            if outcome.password is not None:
                delivering(
                    outcome.password,
                    person_id=actor.person_id,
                    email=actor.email,
                    room_id=job.room_id,
                    direct=True,
                )
        name = str(job.request.get("file") or "trunks.csv").rsplit(".", 1)[0]
        upload = Upload(f"{name}-result.csv", result_csv(self.outcomes), "text/csv")
        await self.say(text, file=upload)
        await store.append_audit(
            AuditRecord(
                action=ACTION,
                decision="allowed",
                event_id=f"bulk:{job.job_id}",
                person_id=actor.person_id,
                email=actor.email,
                room_id=job.room_id,
                request={
                    "file": job.request.get("file"),
                    "rows": self.total,
                    "locations": job.request.get("locations"),
                },
                reason="bulk create" + (" (stopped)" if stopped else ""),
                result=f"bulk: {created} created, {failed} failed, {skipped} not attempted",
            )
        )
        _STOPS.pop(job.job_id, None)


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


def result_csv(outcomes: dict[int, Outcome]) -> bytes:
    """``row,name,status,id,error,tracking_id`` and the gateway columns; every cell that a
    spreadsheet would run as a formula is neutralized."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([*RESULT_COLUMNS, *GATEWAY_COLUMNS])
    for number in sorted(outcomes):
        o = outcomes[number]
        d = o.details
        cells: list[Any] = [
            number,
            o.row.name,
            o.state.value,
            o.trunk_id,
            " ".join(filter(None, [o.error, words.password_not_kept(o.row.name, o.trunk_id)]))
            if o.password_lost
            else o.error,
            o.tracking_id,
            o.password,
            d.line_port if d else None,
            d.sip_authentication_user_name if d else None,
            d.outbound_proxy.outbound_proxy if d and d.outbound_proxy else None,
            d.otg_dtg_id if d else None,
        ]
        writer.writerow([csv_cell(c) for c in cells])
    return out.getvalue().encode("utf-8-sig")


async def run_job(
    services: Services, outbox: Outbox, job_id: str, *, resumed: bool = False
) -> None:
    job = await services.store.bulk.claim(job_id, OWNER, stale_seconds=TIMING.stale_after)
    if job is None:
        return
    try:
        await Runner(services, outbox, job).run(resumed)
    except Exception:
        log.exception("bulk.job_crashed", extra={"job": job_id})


async def resume_orphans(services: Services, outbox: Outbox) -> int:
    """Jobs whose owner died: claimed here and carried on (the intake's minute job)."""
    count = 0
    for job in await services.store.bulk.orphans(stale_seconds=TIMING.stale_after):
        if job.job_id in _STOPS:
            continue
        start(services, outbox, job.job_id, resumed=True)
        count += 1
    return count
