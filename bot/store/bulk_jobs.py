"""The bulk jobs' queries over the store's database (``store.bulk``): write a job whole, move
its state by one conditional UPDATE each, claim and beat for its owner, settle each row once.

The records and the lifecycle are in :mod:`bot.store.bulk`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.store.bulk import BulkJob, BulkRow, JobState, NewRow, RowState
from bot.store.common import Database, cutoff_at, dt, json_value, opt_dt

_INSERT_CHUNK = 400  # rows per INSERT: well under SQLite's bound-parameter limit


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

    async def _changed(self, sql: str, params: Sequence[Any]) -> bool:
        """Run a ``… RETURNING`` decision; True when it touched a row (this caller won)."""
        return bool(await self._db.fetch(sql, params))

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
            heartbeat_at=opt_dt(row["heartbeat_at"]),
            progress_id=row["progress_id"],
            created_at=dt(row["created_at"]),
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
                params += [job_id, r.row_no, r.name, r.location_id, json_value(r.request), at]
            head = "INSERT INTO bulk_rows (job_id, row_no, name, location_id, request, state,"
            sql = head + " updated_at) VALUES " + values
            await self._db.execute(sql, params)
        await self._db.execute(
            "INSERT INTO bulk_jobs (job_id, requester, room_id, org_id, state, request,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, 'awaiting', ?, ?, ?)",
            [job_id, requester, room_id, org_id, json_value(request), at, at],
        )

    async def get(self, job_id: str) -> BulkJob | None:
        rows = await self._db.fetch("SELECT * FROM bulk_jobs WHERE job_id = ?", [job_id])
        return self._job(rows[0]) if rows else None

    async def move(self, job_id: str, to: JobState, *, only_from: Sequence[JobState]) -> bool:
        """``to`` when the job is in one of ``only_from`` now; True when this call moved it."""
        marks = ", ".join("?" * len(only_from))
        return await self._changed(
            "UPDATE bulk_jobs SET state = ?, updated_at = ?"  # noqa: S608  -- placeholders only
            f" WHERE job_id = ? AND state IN ({marks}) RETURNING job_id",
            [to.value, self._now(), job_id, *[s.value for s in only_from]],
        )

    async def start_approved(self, job_id: str, request: dict[str, Any]) -> bool:
        """An awaiting job, approved: running, with ``request`` (which names the approver)
        stored with it; True when this call started it."""
        return await self._changed(
            "UPDATE bulk_jobs SET state = 'running', request = ?, updated_at = ?"
            " WHERE job_id = ? AND state = 'awaiting' RETURNING job_id",
            [json_value(request), self._now(), job_id],
        )

    async def note_awaiting(self, job_id: str, request: dict[str, Any]) -> bool:
        """An awaiting job's ``request`` replaced (the approval it waits on); True when it
        was still awaiting."""
        return await self._changed(
            "UPDATE bulk_jobs SET request = ?, updated_at = ?"
            " WHERE job_id = ? AND state = 'awaiting' RETURNING job_id",
            [json_value(request), self._now(), job_id],
        )

    async def end_awaiting(self, job_id: str, why: str) -> bool:
        """An awaiting job ended before it ran (``why``: rejected, expired, cancelled), once:
        True when this call ended it."""
        job = await self.get(job_id)
        if job is None:
            return False
        return await self._changed(
            "UPDATE bulk_jobs SET state = 'cancelled', request = ?, updated_at = ?"
            " WHERE job_id = ? AND state = 'awaiting' RETURNING job_id",
            [json_value({**job.request, "ended": why}), self._now(), job_id],
        )

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
            [owner, at, job_id, owner, cutoff_at(at, stale_seconds)],
        )
        return self._job(rows[0]) if rows else None

    async def beat(self, job_id: str, owner: str, progress_id: str | None = None) -> bool:
        """The owner is alive (and where its progress message is); False if it lost the job."""
        return await self._changed(
            "UPDATE bulk_jobs SET heartbeat_at = ?, progress_id = COALESCE(?, progress_id)"
            " WHERE job_id = ? AND owner = ? RETURNING job_id",
            [self._now(), progress_id, job_id, owner],
        )

    async def orphans(self, *, stale_seconds: float) -> list[BulkJob]:
        """Running or stopping jobs with no live owner (their process died)."""
        cutoff = cutoff_at(self._now(), stale_seconds)
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
        return await self._changed(
            "UPDATE bulk_rows SET state = ?, trunk_id = ?, error = ?, tracking_id = ?,"
            " updated_at = ? WHERE job_id = ? AND row_no = ? AND state = 'pending'"
            " RETURNING row_no",
            [state.value, trunk_id, error, tracking_id, self._now(), job_id, row_no],
        )
