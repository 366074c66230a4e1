"""Running a bulk job: at Webex's pace, one progress message, Stop, durable rows, resume.

* **Pace.** Requests spaced at the rate Webex takes, learnt from its 429s, after other
  commands' requests (commands.bulk.pace); the HTTP layer itself waits ``Retry-After``
  before trying the same call again.
* **Never twice.** Each row claims its own create key before its POST (commands.bulk.row);
  a row's ``route-group`` is joined after its create (commands.bulk.groups).
* **Progress.** One message, edited every ``Timing.progress_every`` seconds (a new one when
  Webex's edit limit is near); Stop (the card or ``stop bulk``) lets rows in flight finish.
* **Resume.** The owner beats in the store; a job whose owner stopped beating is claimed by
  the intake's minute job (:func:`resume_orphans`) and carries on, saying so.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING

from bot.errors import WebexError
from bot.events import Outbox, Upload
from bot.gate import Permit
from bot.logs import delivering
from bot.store.bulk import BulkJob, BulkRow, JobState, RowState
from bot.webex.errors import user_sentence
from bot.webex.http import CALL_OBSERVERS
from commands.bulk import words
from commands.bulk.audit_rows import job_record, row_record
from commands.bulk.groups import GroupJoins
from commands.bulk.messages import Messages
from commands.bulk.pace import Pace, Timing
from commands.bulk.permits import location_permits
from commands.bulk.result import result_csv
from commands.bulk.row import Outcome, create_row, requester_of

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

OWNER = uuid.uuid4().hex  # this process, as the owner of the jobs it runs


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


class Runner:
    def __init__(self, services: Services, outbox: Outbox, job: BulkJob) -> None:
        self.services, self.outbox, self.job = services, outbox, job
        self.timing = TIMING
        self.pace = Pace(self.timing)
        self.stop = _STOPS.setdefault(job.job_id, asyncio.Event())
        self.outcomes: dict[int, Outcome] = {}
        self.messages = Messages(outbox, job.room_id, job.job_id, job.progress_id)
        self.started = self.timing.clock()
        self.done_here = 0
        self.total = 0
        self.groups = GroupJoins(services, job)

    # -- messages -------------------------------------------------------------------------

    async def say(self, markdown: str, *, file: Upload | None = None) -> str | None:
        return await self.messages.say(markdown, file=file)

    async def show_progress(self, text: str) -> None:
        progress_id = await self.messages.show(text)
        await self.services.store.bulk.beat(self.job.job_id, OWNER, progress_id)

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
        """Each location's permit (or why not); the route groups its rows name, asked for."""
        permits, locations = await location_permits(self.services, self.job, rows)
        for location_id, location in locations.items():
            if any(r.request.get("route-group") for r in rows if r.location_id == location_id):
                await self.groups.ask(location)
        return permits

    async def attempt(self, row: BulkRow, permit: Permit) -> None:
        self.pace.mine()  # this task's Webex requests are the job's
        try:
            for attempt in range(self.timing.row_attempts):
                try:
                    outcome = await create_row(
                        self.services, self.job, row, permit, self.pace.ticket
                    )
                    break
                except WebexError as exc:
                    # Webex did nothing with it (create_row says so): again after a pause.
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
                if outcome.row.request.get("route-group"):
                    await self.pace.ticket()
                    outcome = await self.groups.join(outcome)
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
        await self.services.store.append_audit(row_record(self.job, outcome, permit))

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
        await self.show_progress(self.progress_text())
        ticker = asyncio.create_task(self.ticker())
        in_flight: set[asyncio.Task[None]] = set()
        self.services.admin_http.throttle_listeners.append(self.pace.throttled)
        CALL_OBSERVERS.append(self.pace.observe)
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
            CALL_OBSERVERS.remove(self.pace.observe)
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
            job_record(
                job,
                rows=self.total,
                created=created,
                failed=failed,
                skipped=skipped,
                stopped=stopped,
            )
        )
        _STOPS.pop(job.job_id, None)


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
