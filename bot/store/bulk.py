"""Bulk jobs (``create trunks`` with a CSV file): the job and each row's state, durable.

A job is written whole before anything is created (its rows ``pending``); its state moves
``awaiting`` (the confirm card or an approval) → ``running`` → ``stopping`` → ``done`` /
``stopped``, or ``cancelled``; every move is one conditional UPDATE, so two replicas (or a
double click) never both make it. A running job has an owner (a process) and a heartbeat:
a job whose owner stopped beating is taken over by the next claim, which is how a job
resumes after a restart. Each row creates its trunk under its own create key
(``bulk:<job>:<row>``, the store's create keys), so a row is never created twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from bot.store.sql import Database

_JOB_STATES = "'awaiting', 'running', 'stopping', 'done', 'stopped', 'cancelled'"
_ROW_STATES = "'pending', 'created', 'failed', 'skipped'"

SQLITE_V4: Final = [
    f"""CREATE TABLE bulk_jobs (
        job_id       TEXT PRIMARY KEY,
        requester    TEXT NOT NULL,
        room_id      TEXT NOT NULL,
        org_id       TEXT,
        state        TEXT NOT NULL CHECK (state IN ({_JOB_STATES})),
        request      TEXT NOT NULL,
        owner        TEXT,
        heartbeat_at TEXT,
        progress_id  TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    )""",
    "CREATE INDEX bulk_jobs_state ON bulk_jobs (state)",
    f"""CREATE TABLE bulk_rows (
        job_id      TEXT NOT NULL,
        row_no      INTEGER NOT NULL,
        name        TEXT NOT NULL,
        location_id TEXT NOT NULL,
        request     TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ({_ROW_STATES})),
        trunk_id    TEXT,
        error       TEXT,
        tracking_id TEXT,
        updated_at  TEXT NOT NULL,
        PRIMARY KEY (job_id, row_no)
    )""",
]

POSTGRESQL_V4: Final = [
    f"""CREATE TABLE bulk_jobs (
        job_id       text PRIMARY KEY,
        requester    text NOT NULL,
        room_id      text NOT NULL,
        org_id       text,
        state        text NOT NULL CHECK (state IN ({_JOB_STATES})),
        request      jsonb NOT NULL,
        owner        text,
        heartbeat_at timestamptz,
        progress_id  text,
        created_at   timestamptz NOT NULL,
        updated_at   timestamptz NOT NULL
    )""",
    "CREATE INDEX bulk_jobs_state ON bulk_jobs (state)",
    f"""CREATE TABLE bulk_rows (
        job_id      text NOT NULL,
        row_no      integer NOT NULL,
        name        text NOT NULL,
        location_id text NOT NULL,
        request     jsonb NOT NULL,
        state       text NOT NULL CHECK (state IN ({_ROW_STATES})),
        trunk_id    text,
        error       text,
        tracking_id text,
        updated_at  timestamptz NOT NULL,
        PRIMARY KEY (job_id, row_no)
    )""",
]

_INSERT_CHUNK = 400  # rows per INSERT: well under SQLite's bound-parameter limit


class JobState(StrEnum):
    AWAITING = "awaiting"
    RUNNING = "running"
    STOPPING = "stopping"
    DONE = "done"
    STOPPED = "stopped"
    CANCELLED = "cancelled"


class RowState(StrEnum):
    PENDING = "pending"
    CREATED = "created"
    FAILED = "failed"
    SKIPPED = "skipped"  # not attempted: the job was stopped first


@dataclass(frozen=True)
class BulkJob:
    job_id: str
    requester: str
    room_id: str
    org_id: str | None
    state: JobState
    request: dict[str, Any]
    owner: str | None
    heartbeat_at: datetime | None
    progress_id: str | None
    created_at: datetime

    @property
    def ended(self) -> str | None:
        """Why a job ended before it ran: ``cancelled``, ``rejected`` or ``expired`` (kept
        with the request: the state column's values are fixed by the schema)."""
        if self.state is not JobState.CANCELLED:
            return None
        return str(self.request.get("ended") or JobState.CANCELLED.value)


@dataclass(frozen=True)
class BulkRow:
    job_id: str
    row_no: int
    name: str
    location_id: str
    request: dict[str, Any]
    state: RowState
    trunk_id: str | None = None
    error: str | None = None
    tracking_id: str | None = None


@dataclass(frozen=True)
class NewRow:
    row_no: int
    name: str
    location_id: str
    request: dict[str, Any]  # the row's fields as read (never a password)


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _obj(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else {}


class BulkJobs:
    """The bulk tables over the store's database (``store.bulk``)."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    @staticmethod
    def _job(row: dict[str, Any]) -> BulkJob:
        return BulkJob(
            job_id=row["job_id"],
            requester=row["requester"],
            room_id=row["room_id"],
            org_id=row["org_id"],
            state=JobState(row["state"]),
            request=_obj(row["request"]),
            owner=row["owner"],
            heartbeat_at=None if row["heartbeat_at"] is None else _dt(row["heartbeat_at"]),
            progress_id=row["progress_id"],
            created_at=_dt(row["created_at"]),
        )

    @staticmethod
    def _row(row: dict[str, Any]) -> BulkRow:
        return BulkRow(
            job_id=row["job_id"],
            row_no=int(row["row_no"]),
            name=row["name"],
            location_id=row["location_id"],
            request=_obj(row["request"]),
            state=RowState(row["state"]),
            trunk_id=row["trunk_id"],
            error=row["error"],
            tracking_id=row["tracking_id"],
        )

    async def create(
        self,
        job_id: str,
        *,
        requester: str,
        room_id: str,
        org_id: str | None,
        request: dict[str, Any],
        rows: Sequence[NewRow],
    ) -> None:
        """The rows first, then the job that names them (a crash between leaves rows no
        job points at, never a job with rows missing)."""
        at = self._now()
        for start in range(0, len(rows), _INSERT_CHUNK):
            chunk = rows[start : start + _INSERT_CHUNK]
            values = ", ".join(["(?, ?, ?, ?, ?, 'pending', ?)"] * len(chunk))
            params: list[Any] = []
            for r in chunk:
                params += [job_id, r.row_no, r.name, r.location_id, json.dumps(r.request), at]
            head = "INSERT INTO bulk_rows (job_id, row_no, name, location_id, request, state,"
            sql = head + " updated_at) VALUES " + values
            await self._db.execute(sql, params)
        await self._db.execute(
            "INSERT INTO bulk_jobs (job_id, requester, room_id, org_id, state, request,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'awaiting', ?, ?, ?)",
            [job_id, requester, room_id, org_id, json.dumps(request), at, at],
        )

    async def get(self, job_id: str) -> BulkJob | None:
        rows = await self._db.fetch("SELECT * FROM bulk_jobs WHERE job_id = ?", [job_id])
        return self._job(rows[0]) if rows else None

    async def move(self, job_id: str, to: JobState, *, only_from: Sequence[JobState]) -> bool:
        """``to`` when the job is in one of ``only_from`` now; True when this call moved it."""
        marks = ", ".join("?" * len(only_from))
        rows = await self._db.fetch(
            "UPDATE bulk_jobs SET state = ?, updated_at = ?"  # noqa: S608  -- placeholders only
            f" WHERE job_id = ? AND state IN ({marks}) RETURNING job_id",
            [to.value, self._now(), job_id, *[s.value for s in only_from]],
        )
        return bool(rows)

    async def start_approved(self, job_id: str, request: dict[str, Any]) -> bool:
        """An awaiting job, approved: running, with ``request`` (which names the approver)
        stored with it; True when this call started it."""
        rows = await self._db.fetch(
            "UPDATE bulk_jobs SET state = 'running', request = ?, updated_at = ?"
            " WHERE job_id = ? AND state = 'awaiting' RETURNING job_id",
            [json.dumps(request), self._now(), job_id],
        )
        return bool(rows)

    async def note_awaiting(self, job_id: str, request: dict[str, Any]) -> bool:
        """An awaiting job's ``request`` replaced (the approval it waits on); True when it
        was still awaiting."""
        rows = await self._db.fetch(
            "UPDATE bulk_jobs SET request = ?, updated_at = ?"
            " WHERE job_id = ? AND state = 'awaiting' RETURNING job_id",
            [json.dumps(request), self._now(), job_id],
        )
        return bool(rows)

    async def end_awaiting(self, job_id: str, why: str) -> bool:
        """An awaiting job ended before it ran (``why``: rejected, expired, cancelled), once:
        True when this call ended it."""
        job = await self.get(job_id)
        if job is None:
            return False
        rows = await self._db.fetch(
            "UPDATE bulk_jobs SET state = 'cancelled', request = ?, updated_at = ?"
            " WHERE job_id = ? AND state = 'awaiting' RETURNING job_id",
            [json.dumps({**job.request, "ended": why}), self._now(), job_id],
        )
        return bool(rows)

    async def awaiting(self) -> list[BulkJob]:
        """Jobs waiting for their Create card or their approval, oldest first."""
        rows = await self._db.fetch(
            "SELECT * FROM bulk_jobs WHERE state = 'awaiting' ORDER BY created_at, job_id", []
        )
        return [self._job(r) for r in rows]

    async def claim(self, job_id: str, owner: str, *, stale_seconds: float) -> BulkJob | None:
        """Own a running (or stopping) job: one nobody owns, ours, or one whose owner has not
        beaten for ``stale_seconds`` (a dead process). None when someone else holds it."""
        at = self._now()
        rows = await self._db.fetch(
            "UPDATE bulk_jobs SET owner = ?, heartbeat_at = ?"
            " WHERE job_id = ? AND state IN ('running', 'stopping')"
            " AND (owner IS NULL OR owner = ? OR heartbeat_at < ?) RETURNING *",
            [owner, at, job_id, owner, at - timedelta(seconds=stale_seconds)],
        )
        return self._job(rows[0]) if rows else None

    async def beat(self, job_id: str, owner: str, progress_id: str | None = None) -> bool:
        """The owner is alive (and where its progress message is); False if it lost the job."""
        rows = await self._db.fetch(
            "UPDATE bulk_jobs SET heartbeat_at = ?, progress_id = COALESCE(?, progress_id)"
            " WHERE job_id = ? AND owner = ? RETURNING job_id",
            [self._now(), progress_id, job_id, owner],
        )
        return bool(rows)

    async def orphans(self, *, stale_seconds: float) -> list[BulkJob]:
        """Running or stopping jobs with no live owner (their process died)."""
        cutoff = self._now() - timedelta(seconds=stale_seconds)
        rows = await self._db.fetch(
            "SELECT * FROM bulk_jobs WHERE state IN ('running', 'stopping')"
            " AND (owner IS NULL OR heartbeat_at IS NULL OR heartbeat_at < ?)"
            " ORDER BY created_at, job_id",
            [cutoff],
        )
        return [self._job(r) for r in rows]

    async def active_for(self, requester: str) -> list[BulkJob]:
        """The requester's jobs still running, newest first."""
        rows = await self._db.fetch(
            "SELECT * FROM bulk_jobs WHERE requester = ? AND state IN ('running', 'stopping')"
            " ORDER BY created_at DESC, job_id",
            [requester],
        )
        return [self._job(r) for r in rows]

    async def rows(self, job_id: str) -> list[BulkRow]:
        rows = await self._db.fetch(
            "SELECT * FROM bulk_rows WHERE job_id = ? ORDER BY row_no", [job_id]
        )
        return [self._row(r) for r in rows]

    async def finish_row(
        self,
        job_id: str,
        row_no: int,
        state: RowState,
        *,
        trunk_id: str | None = None,
        error: str | None = None,
        tracking_id: str | None = None,
    ) -> bool:
        """A pending row's outcome, once; False when it was settled already."""
        rows = await self._db.fetch(
            "UPDATE bulk_rows SET state = ?, trunk_id = ?, error = ?, tracking_id = ?,"
            " updated_at = ? WHERE job_id = ? AND row_no = ? AND state = 'pending'"
            " RETURNING row_no",
            [state.value, trunk_id, error, tracking_id, self._now(), job_id, row_no],
        )
        return bool(rows)
