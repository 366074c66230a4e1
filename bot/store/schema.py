"""The schema, as ordered migrations per dialect.

``MIGRATIONS[dialect][n]`` is the list of statements that takes the schema from version ``n``
to ``n + 1``; ``schema_version`` holds one row per version applied. Each migration runs in
one transaction with its ``schema_version`` row, so a crash leaves the previous version
whole. Only ever append: never edit a migration that has shipped. The two dialects describe
the same tables; they differ only where the databases do (time and JSON types, identity
columns, trigger syntax).

Times are UTC: ``timestamptz`` on PostgreSQL, fixed-width ISO-8601 text on SQLite (so text
order is time order). JSON is ``jsonb`` on PostgreSQL, text on SQLite.
"""

from __future__ import annotations

from typing import Final

from bot.store.bulk_schema import POSTGRESQL_V4, SQLITE_V4

SCHEMA_VERSION_DDL: Final = {
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    ),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version integer PRIMARY KEY, applied_at timestamptz NOT NULL)"
    ),
}

_SQLITE_V1: Final = [
    """CREATE TABLE handled_events (
        event_id   TEXT PRIMARY KEY,
        handled_at TEXT NOT NULL
    )""",
    "CREATE INDEX handled_events_at ON handled_events (handled_at)",
    """CREATE TABLE intake (
        event_id     TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        payload      TEXT,
        received_at  TEXT NOT NULL,
        touched_at   TEXT NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        completed_at TEXT
    )""",
    "CREATE INDEX intake_pending ON intake (touched_at) WHERE completed_at IS NULL",
    """CREATE TABLE create_keys (
        idem_key    TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        org_id      TEXT,
        location_id TEXT NOT NULL,
        requester   TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'released')),
        attempts    INTEGER NOT NULL DEFAULT 1,
        result      TEXT,
        error       TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    )""",
    "CREATE INDEX create_keys_pending ON create_keys (updated_at) WHERE state = 'pending'",
    """CREATE TABLE card_nonces (
        nonce      TEXT PRIMARY KEY,
        purpose    TEXT NOT NULL,
        room_id    TEXT NOT NULL,
        person_id  TEXT NOT NULL,
        message_id TEXT,
        payload    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at    TEXT,
        used_by    TEXT
    )""",
    "CREATE INDEX card_nonces_expires ON card_nonces (expires_at)",
    """CREATE TABLE approvals (
        approval_id    TEXT PRIMARY KEY,
        request        TEXT NOT NULL,
        requester_id   TEXT NOT NULL,
        approvers_room TEXT NOT NULL,
        status         TEXT NOT NULL
                       CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        approver_id    TEXT,
        created_at     TEXT NOT NULL,
        expires_at     TEXT NOT NULL,
        decided_at     TEXT
    )""",
    "CREATE INDEX approvals_pending ON approvals (expires_at) WHERE status = 'pending'",
    """CREATE TABLE audit (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        at            TEXT NOT NULL,
        event_id      TEXT,
        person_id     TEXT,
        email         TEXT,
        room_id       TEXT,
        action        TEXT NOT NULL,
        location_id   TEXT,
        location_name TEXT,
        request       TEXT,
        decision      TEXT NOT NULL CHECK (decision IN ('allowed', 'refused')),
        reason        TEXT,
        approver_id   TEXT,
        result        TEXT,
        trunk_id      TEXT,
        status        INTEGER,
        error_code    INTEGER,
        tracking_id   TEXT,
        duration_ms   INTEGER
    )""",
    "CREATE INDEX audit_at ON audit (at)",
    "CREATE INDEX audit_person ON audit (person_id)",
    # Append-only, enforced by the database itself: no code path, ours or an operator's
    # sqlite3 shell, can rewrite history without dropping the trigger first.
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END""",
    """CREATE TABLE service_tokens (
        token_key  TEXT PRIMARY KEY,
        blob       TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
]

_POSTGRESQL_V1: Final = [
    """CREATE TABLE handled_events (
        event_id   text PRIMARY KEY,
        handled_at timestamptz NOT NULL
    )""",
    "CREATE INDEX handled_events_at ON handled_events (handled_at)",
    """CREATE TABLE intake (
        event_id     text PRIMARY KEY,
        kind         text NOT NULL,
        payload      jsonb,
        received_at  timestamptz NOT NULL,
        touched_at   timestamptz NOT NULL,
        attempts     integer NOT NULL DEFAULT 0,
        completed_at timestamptz
    )""",
    "CREATE INDEX intake_pending ON intake (touched_at) WHERE completed_at IS NULL",
    """CREATE TABLE create_keys (
        idem_key    text PRIMARY KEY,
        name        text NOT NULL,
        org_id      text,
        location_id text NOT NULL,
        requester   text NOT NULL,
        state       text NOT NULL CHECK (state IN ('pending', 'done', 'failed', 'released')),
        attempts    integer NOT NULL DEFAULT 1,
        result      jsonb,
        error       jsonb,
        created_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL
    )""",
    "CREATE INDEX create_keys_pending ON create_keys (updated_at) WHERE state = 'pending'",
    """CREATE TABLE card_nonces (
        nonce      text PRIMARY KEY,
        purpose    text NOT NULL,
        room_id    text NOT NULL,
        person_id  text NOT NULL,
        message_id text,
        payload    jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at    timestamptz,
        used_by    text
    )""",
    "CREATE INDEX card_nonces_expires ON card_nonces (expires_at)",
    """CREATE TABLE approvals (
        approval_id    text PRIMARY KEY,
        request        jsonb NOT NULL,
        requester_id   text NOT NULL,
        approvers_room text NOT NULL,
        status         text NOT NULL
                       CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
        approver_id    text,
        created_at     timestamptz NOT NULL,
        expires_at     timestamptz NOT NULL,
        decided_at     timestamptz
    )""",
    "CREATE INDEX approvals_pending ON approvals (expires_at) WHERE status = 'pending'",
    """CREATE TABLE audit (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at            timestamptz NOT NULL,
        event_id      text,
        person_id     text,
        email         text,
        room_id       text,
        action        text NOT NULL,
        location_id   text,
        location_name text,
        request       jsonb,
        decision      text NOT NULL CHECK (decision IN ('allowed', 'refused')),
        reason        text,
        approver_id   text,
        result        text,
        trunk_id      text,
        status        integer,
        error_code    integer,
        tracking_id   text,
        duration_ms   integer
    )""",
    "CREATE INDEX audit_at ON audit (at)",
    "CREATE INDEX audit_person ON audit (person_id)",
    # Append-only, enforced by the database: UPDATE, DELETE and TRUNCATE all raise, for every
    # role but one that drops the trigger first (give the bot's role no such ownership in
    # production if that matters to you).
    """CREATE FUNCTION trunkbot_audit_append_only() RETURNS trigger
       LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'the audit trail is append-only'
           USING ERRCODE = 'insufficient_privilege';
       END
       $$""",
    """CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit
       FOR EACH ROW EXECUTE FUNCTION trunkbot_audit_append_only()""",
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
       FOR EACH STATEMENT EXECUTE FUNCTION trunkbot_audit_append_only()""",
    """CREATE TABLE service_tokens (
        token_key  text PRIMARY KEY,
        blob       text NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
]

# v2: an intake row counts its failed refetches, and is marked when given up for good.
_SQLITE_V2: Final = [
    "ALTER TABLE intake ADD COLUMN fetch_failures INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE intake ADD COLUMN abandoned_at TEXT",
]

_POSTGRESQL_V2: Final = [
    "ALTER TABLE intake ADD COLUMN fetch_failures integer NOT NULL DEFAULT 0",
    "ALTER TABLE intake ADD COLUMN abandoned_at timestamptz",
]

# v3: trunks being watched until their gateway registers (commands.gateway's watch job):
# who to tell, when to look next, until when; a lease so one replica looks at a time.
_SQLITE_V3: Final = [
    """CREATE TABLE trunk_watches (
        trunk_id    TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        org_id      TEXT,
        requester   TEXT NOT NULL,
        email       TEXT,
        attempts    INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        next_at     TEXT NOT NULL,
        deadline    TEXT NOT NULL,
        lease_until TEXT
    )""",
    "CREATE INDEX trunk_watches_next ON trunk_watches (next_at)",
]

_POSTGRESQL_V3: Final = [
    """CREATE TABLE trunk_watches (
        trunk_id    text PRIMARY KEY,
        name        text NOT NULL,
        org_id      text,
        requester   text NOT NULL,
        email       text,
        attempts    integer NOT NULL DEFAULT 0,
        created_at  timestamptz NOT NULL,
        next_at     timestamptz NOT NULL,
        deadline    timestamptz NOT NULL,
        lease_until timestamptz
    )""",
    "CREATE INDEX trunk_watches_next ON trunk_watches (next_at)",
]

# v5: leases on pending work, for replicas. An unfinished intake row and a pending create key
# name the replica working on them and until when; the owner renews while it works, and
# another replica takes the work over only once the lease has lapsed (the owner died).
_SQLITE_V5: Final = [
    "ALTER TABLE intake ADD COLUMN lease_owner TEXT",
    "ALTER TABLE intake ADD COLUMN lease_until TEXT",
    "ALTER TABLE create_keys ADD COLUMN lease_owner TEXT",
    "ALTER TABLE create_keys ADD COLUMN lease_until TEXT",
]

_POSTGRESQL_V5: Final = [
    "ALTER TABLE intake ADD COLUMN lease_owner text",
    "ALTER TABLE intake ADD COLUMN lease_until timestamptz",
    "ALTER TABLE create_keys ADD COLUMN lease_owner text",
    "ALTER TABLE create_keys ADD COLUMN lease_until timestamptz",
]

# v4: bulk jobs and their rows (commands.bulk; the tables are in bot/store/bulk_schema.py).
MIGRATIONS: Final[dict[str, list[list[str]]]] = {
    "sqlite": [_SQLITE_V1, _SQLITE_V2, _SQLITE_V3, SQLITE_V4, _SQLITE_V5],
    "postgresql": [_POSTGRESQL_V1, _POSTGRESQL_V2, _POSTGRESQL_V3, POSTGRESQL_V4, _POSTGRESQL_V5],
}

# Both dialects reach the same version (tests/test_store.py checks).
LATEST: Final = len(MIGRATIONS["sqlite"])
