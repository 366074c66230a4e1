"""The store: the bot's durable state over either database (:mod:`bot.store.base` says why
this one implementation is also the interface).

The SQL is the common subset of SQLite (≥ 3.35) and PostgreSQL: ``INSERT … ON CONFLICT``,
``UPDATE … RETURNING``, ``?`` placeholders (:func:`bot.store.placeholders.to_psycopg` turns
them into psycopg's ``%s``, leaving literals alone). Each decision is one statement, so its
atomicity is the database's, whatever runs it; the read that may follow a lost race only
explains the loss.

:class:`SqlStore` puts the groups of operations together, one module each: ``events``
(handled events, intake), ``creates``, ``leases`` (on pending work, for replicas),
``nonces``, ``approvals``, ``audit``, ``watches``, ``tokens``; bulk jobs are the sub-object
``store.bulk`` (:mod:`bot.store.bulk_jobs`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from bot.store.approvals import Approvals
from bot.store.audit import Audit
from bot.store.bulk_jobs import BulkJobs
from bot.store.common import Database, Row, cutoff_at
from bot.store.creates import Creates
from bot.store.events import EventsAndIntake
from bot.store.leases import LEASE_SECONDS, Leases, replica_id
from bot.store.models import utcnow
from bot.store.nonces import Nonces
from bot.store.schema import MIGRATIONS
from bot.store.tokens import Tokens
from bot.store.watches import Watches

__all__ = ["Database", "Row", "SqlStore"]


class SqlStore(EventsAndIntake, Creates, Leases, Nonces, Approvals, Audit, Watches, Tokens):
    """The bot's durable state over a :class:`Database`; its methods are the store's interface
    (:data:`bot.store.base.Store`)."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        replica: str | None = None,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        # SQLite has one process per file (bot/single.py), so every lease in it is this
        # process's or a dead predecessor's: one fixed name, and a restart takes the work
        # over by the staleness rule, as before leases. PostgreSQL replicas each have theirs.
        if replica is None:
            replica = "local" if db.dialect == "sqlite" else replica_id()
        super().__init__(db, clock=clock, replica=replica, lease_seconds=lease_seconds)

    @property
    def bulk(self) -> BulkJobs:
        """Bulk jobs and their rows (``create trunks`` with a file)."""
        return BulkJobs(self._db, self.clock)

    @property
    def dialect(self) -> str:
        """The database's dialect: ``sqlite`` or ``postgresql``."""
        return self._db.dialect

    # --- lifecycle ------------------------------------------------------------------------

    async def migrate(self) -> int:
        """Bring the schema to the latest version (``open_store`` does); returns the version."""
        return await self._db.migrate(MIGRATIONS[self._db.dialect], self._now(None))

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def prune(self, *, keep_seconds: float, now: datetime | None = None) -> int:
        """Delete housekeeping rows older than ``keep_seconds``; never audit rows.

        Handled events, completed intake, finished create keys, dead nonces and decided
        approvals. Keep at least as long as Webex may redeliver (a day is plenty).
        Returns how many rows went.
        """
        cutoff = cutoff_at(self._now(now), keep_seconds)
        statements = [
            "DELETE FROM handled_events WHERE handled_at < ?",
            "DELETE FROM intake WHERE completed_at IS NOT NULL AND completed_at < ?",
            "DELETE FROM create_keys WHERE state <> 'pending' AND updated_at < ?",
            "DELETE FROM card_nonces WHERE expires_at < ?",
            "DELETE FROM approvals WHERE status <> 'pending' AND expires_at < ?",
        ]
        return sum([await self._db.execute(sql, [cutoff]) for sql in statements])
