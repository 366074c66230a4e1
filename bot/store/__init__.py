"""The durable store: handled events, intake, create keys, card nonces, approvals, audit, tokens.

One implementation, which is the interface (:data:`Store` is ``bot.store.sql.SqlStore``), over
two databases, chosen by URL::

    store = await open_store("sqlite:////var/lib/trunkbot/trunkbot.db")   # one process
    store = await open_store("postgresql://bot:…@db.internal/trunkbot")   # several replicas
    async with await open_store("sqlite:///:memory:") as store: ...        # tests

``open_store`` migrates the schema before it returns. Layout::

    base.py      Store (the implementation's type) and AuditLog, the router's narrow part
    models.py    the records and outcomes it returns
    sql.py       SqlStore: the operations together, in SQL both databases speak (one
                 module per group: events, creates, nonces, approvals, audit, watches,
                 tokens over common.py; bulk jobs in bulk_jobs.py over
                 the records of bulk.py, tables in bulk_schema.py)
    placeholders.py  the shared SQL's ? placeholders as psycopg's %s, literals untouched
    schema.py    the migrations, per dialect
    sqlite.py    stdlib sqlite3 on a dedicated thread, WAL
    postgres.py  psycopg 3 with an async pool, advisory-locked migrations
    redact.py    what the audit trail may keep of a request
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.errors import ConfigError
from bot.store.base import AuditLog, Store
from bot.store.errors import STORE_DOWN, StoreDown, StoreUnavailable
from bot.store.models import (
    Approval,
    ApprovalOutcome,
    ApprovalResult,
    ApprovalStatus,
    AuditRecord,
    CardNonce,
    ClaimStatus,
    CreateClaim,
    CreateRecord,
    CreateState,
    Decision,
    Intake,
    NonceOutcome,
    NonceResult,
    TrunkWatch,
    utcnow,
)
from bot.store.redact import strip_secrets
from bot.store.schema import LATEST
from bot.store.sql import Database, SqlStore

__all__ = [
    "LATEST",
    "STORE_DOWN",
    "Approval",
    "ApprovalOutcome",
    "ApprovalResult",
    "ApprovalStatus",
    "AuditLog",
    "AuditRecord",
    "CardNonce",
    "ClaimStatus",
    "CreateClaim",
    "CreateRecord",
    "CreateState",
    "Decision",
    "Intake",
    "NonceOutcome",
    "NonceResult",
    "Store",
    "StoreDown",
    "StoreUnavailable",
    "TrunkWatch",
    "open_store",
    "sqlite_path",
    "strip_secrets",
]

log = logging.getLogger(__name__)

_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def sqlite_path(url: str) -> str:
    """The file a ``sqlite:///`` URL names: ``sqlite:///rel.db``, ``sqlite:////abs.db``,
    ``sqlite:///~/x.db``, or ``sqlite:///:memory:``."""
    if not url.startswith(_SQLITE) or len(url) == len(_SQLITE):
        raise ConfigError(
            "TRUNKBOT_DATABASE_URL for SQLite must look like sqlite:////absolute/path.db "
            "or sqlite:///relative/path.db."
        )
    path = url[len(_SQLITE) :]
    if path == ":memory:":
        return path
    return str(Path(path).expanduser())


async def open_store(
    url: str,
    *,
    clock: Callable[[], datetime] = utcnow,
    pool_size: int = 10,
) -> Store:
    """Open the store ``url`` names and migrate it to the latest schema.

    Raises :class:`~bot.errors.ConfigError` for a URL it cannot use and
    :class:`StoreUnavailable` when PostgreSQL does not answer. ``pool_size`` caps the
    PostgreSQL connections of this process; ``clock`` is the default ``now`` (tests).
    """
    db: Database
    if url.startswith("sqlite:"):
        from bot.store.sqlite import SqliteDatabase

        db = await SqliteDatabase.open(sqlite_path(url))
    elif url.startswith(_POSTGRES):
        try:
            from bot.store.postgres import PostgresDatabase
        except ImportError as exc:  # the optional `postgres` extra is not installed
            from bot.settings import POSTGRES_DRIVER_MISSING

            raise ConfigError(POSTGRES_DRIVER_MISSING) from exc
        db = await PostgresDatabase.open(
            url.replace("postgresql+psycopg://", "postgresql://", 1), max_size=pool_size
        )
    else:
        raise ConfigError("TRUNKBOT_DATABASE_URL must start with sqlite:/// or postgresql://.")
    store = SqlStore(db, clock=clock)
    try:
        version = await store.migrate()
    except BaseException:
        await store.close()
        raise
    if version > LATEST:
        # A newer Trunkbot has migrated this database (a rolling upgrade); migrations only
        # ever add, so this one keeps working with the tables it knows.
        log.warning("store.schema_newer", extra={"version": version, "known": LATEST})
    log.debug("store.opened", extra={"dialect": store.dialect, "version": version})
    return store
