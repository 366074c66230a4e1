"""Bulk jobs (``create trunks`` with a CSV file): the job and each row's state, durable.

A job is written whole before anything is created (its rows ``pending``); its state moves
``awaiting`` (the confirm card or an approval) → ``running`` → ``stopping`` → ``done`` /
``stopped``, or ``cancelled``; every move is one conditional UPDATE, so two replicas (or a
double click) never both make it. A running job has an owner (a process) and a heartbeat:
a job whose owner stopped beating is taken over by the next claim, which is how a job
resumes after a restart. Each row creates its trunk under its own create key
(``bulk:<job>:<row>``, the store's create keys), so a row is never created twice.

The records and states are here; the queries are :class:`bot.store.bulk_jobs.BulkJobs`
(``store.bulk``), the tables :mod:`bot.store.bulk_schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


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
