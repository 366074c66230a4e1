"""The bulk tables (schema v4): a job, and its rows, each with its state.

The states are spelled here as the schema fixed them when it shipped (migrations are only ever
appended); :class:`bot.store.bulk.JobState` and :class:`~bot.store.bulk.RowState` name them.
"""

from __future__ import annotations

from typing import Final

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
