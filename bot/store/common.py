"""What every part of the store shares: the :class:`Database` a dialect's driver gives, the
row and value conversions both databases need, and :class:`Part`, the base of each group of
operations (events and intake, creates, nonces, approvals, audit, watches, tokens) that
:class:`bot.store.sql.SqlStore` puts together.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

Row = dict[str, Any]
T = TypeVar("T")


class Database(Protocol):
    """What a dialect's driver gives :class:`SqlStore`: one statement at a time, committed."""

    dialect: str

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetch_light(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """:meth:`fetch`, committed without waiting for the disk: it survives the process
        dying, but a power cut may take the last few back (for intake bookkeeping, where a
        flood must not queue everyone behind one fsync per message)."""
        ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the rows it changed."""
        ...

    async def migrate(self, migrations: Sequence[Sequence[str]], now: datetime) -> int:
        """Apply the missing migrations under the database's own lock; returns the version."""
        ...

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...


def dt(value: Any) -> datetime:
    """A stored time (PostgreSQL's ``timestamptz`` or SQLite's ISO text) in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def opt_dt(value: Any) -> datetime | None:
    return None if value is None else dt(value)


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


def json_text(text: str) -> str:
    """Check that ``text`` is JSON; replace NUL characters, which PostgreSQL's jsonb refuses."""
    value = json.loads(text)  # raises ValueError: a caller bug, caught before the database
    if "\\u0000" in text:
        return json.dumps(_no_nul(value), ensure_ascii=False)
    return text


def json_value(value: Any) -> str:
    return json.dumps(_no_nul(value), ensure_ascii=False, default=str)


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times given to the store must be timezone-aware")
    return value.astimezone(UTC)


def cutoff_at(now: datetime, seconds: float) -> datetime:
    return now - timedelta(seconds=seconds)


class Part:
    """One group of the store's operations over the shared database and clock."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime],
        replica: str,
        lease_seconds: float,
    ) -> None:
        self._db = db
        #: What "now" is for every decision (expiry of cards and approvals, leases); tests
        #: replace it to move time instead of sleeping.
        self.clock = clock
        #: This process's name in leases (:mod:`bot.store.leases`); every part shares it.
        self.replica = replica
        #: How long a lease lasts unless renewed.
        self.lease_seconds = lease_seconds

    def lease_end(self, at: datetime) -> datetime:
        """When a lease taken or renewed at ``at`` lapses."""
        return at + timedelta(seconds=self.lease_seconds)

    def _now(self, now: datetime | None) -> datetime:
        return utc(now or self.clock())

    async def _changed(self, sql: str, params: Sequence[Any], *, light: bool = False) -> bool:
        """Run a ``… RETURNING`` decision; True when it touched a row (this caller won)."""
        fetch = self._db.fetch_light if light else self._db.fetch
        return bool(await fetch(sql, params))

    async def _one(
        self, as_record: Callable[[Row], T], sql: str, params: Sequence[Any]
    ) -> T | None:
        """The one row ``sql`` selects, as a record; None when there is none."""
        rows = await self._db.fetch(sql, params)
        return as_record(rows[0]) if rows else None
