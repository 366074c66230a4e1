"""SQLite, the embedded default: stdlib sqlite3 on one dedicated thread, WAL, waits on locks.

One connection lives on one worker thread and every statement runs there in order, so the
event loop never blocks on disk and the connection is never shared across threads. Other
processes (a second ``trunkbot`` on the same file, the CLI's ``audit``) get their own
connection; WAL lets them read while we write, and ``busy_timeout`` makes writers queue
rather than fail. ``synchronous=FULL``: a create key recorded as pending must survive a
power cut, or the POST after it could be made twice. Intake bookkeeping (one row per
activity) is committed with ``NORMAL`` (:meth:`SqliteDatabase.fetch_light`): it survives
the process dying, and a flood of messages doesn't queue every command behind an fsync each.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import ConfigError
from bot.store.common import Row
from bot.store.schema import SCHEMA_VERSION_DDL

T = TypeVar("T")

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 10_000
MIN_SQLITE = (3, 35, 0)  # RETURNING


def _adapt(value: Any) -> Any:
    # Fixed-width ISO-8601 in UTC, so comparing the text compares the times.
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def prepare_path(path: Path) -> None:
    """Create a missing parent directory owner-only (0700) and the file itself 0600.

    The file holds the service app's refresh token and the audit trail; SQLite gives its
    -wal and -shm files the main file's mode.
    """
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        parent.chmod(0o700)  # exactly 0700, whatever the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _retry_busy(fn: Callable[[], T]) -> T:
    """Run ``fn``, retrying "database is locked" for up to the busy timeout.

    Switching a new file to WAL takes an exclusive lock, and SQLite answers a second
    connection doing the same at the same moment with SQLITE_BUSY at once, without its busy
    handler (seen with two replicas opening a fresh file; SQLite 3.40).
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trunkbot-sqlite")
        self._conn: sqlite3.Connection | None = None  # used on the executor's thread only
        self._closed = False

    @classmethod
    async def open(cls, path: str) -> SqliteDatabase:
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise ConfigError(
                f"This Python's SQLite is {sqlite3.sqlite_version}; Trunkbot needs 3.35 or "
                "newer. Use a newer Python, or set TRUNKBOT_DATABASE_URL to PostgreSQL."
            )
        db = cls(path)
        try:
            await db._run(db._connect)
        except BaseException:
            await db.close()
            raise
        return db

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def _connect(self) -> None:
        if self._path != MEMORY:
            try:
                prepare_path(Path(self._path))
            except OSError as exc:
                raise ConfigError(
                    f"Cannot create the database file {self._path}: {exc.strerror}. "
                    "Set TRUNKBOT_DATABASE_URL to a writable place."
                ) from exc
        conn = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        conn.execute("PRAGMA synchronous = FULL")
        self._conn = conn

    def _c(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("the store is closed")
        return self._conn

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Row]:
        cur = self._c().execute(sql, [_adapt(p) for p in params])
        try:
            return [dict(row) for row in cur.fetchall()]
        finally:
            cur.close()

    def _execute(self, sql: str, params: Sequence[Any]) -> int:
        cur = self._c().execute(sql, [_adapt(p) for p in params])
        try:
            return cur.rowcount
        finally:
            cur.close()

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._run(self._fetch, sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._run(self._execute, sql, params)

    def _fetch_light(self, sql: str, params: Sequence[Any]) -> list[Row]:
        conn = self._c()
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: safe from a crash, not a power cut
        try:
            return self._fetch(sql, params)
        finally:
            conn.execute("PRAGMA synchronous = FULL")

    async def fetch_light(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._run(self._fetch_light, sql, params)

    def _version(self) -> int:
        conn = self._c()
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if not exists:
            return 0
        return int(
            conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        )

    def _migrate(self, migrations: Sequence[Sequence[str]], now: datetime) -> int:
        conn = self._c()
        # IMMEDIATE takes the write lock up front: a second process migrating the same file
        # waits here (busy_timeout), then finds the work done.
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(SCHEMA_VERSION_DDL[self.dialect])
            current = self._version()
            for version in range(current + 1, len(migrations) + 1):
                for statement in migrations[version - 1]:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                    [version, _adapt(now)],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return max(current, len(migrations))

    async def migrate(self, migrations: Sequence[Sequence[str]], now: datetime) -> int:
        return await self._run(self._migrate, migrations, now)

    async def schema_version(self) -> int:
        return await self._run(self._version)

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def close(self) -> None:
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._disconnect)
        finally:
            self._closed = True
            await asyncio.to_thread(self._executor.shutdown, wait=True)
