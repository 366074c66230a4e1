"""SQLite, the embedded default: stdlib sqlite3 on one dedicated thread, WAL, waits on locks.

One connection lives on one worker thread and every statement runs there in order, so the
event loop never blocks on disk and the connection is never shared across threads. Other
processes (a second ``trunkbot`` on the same file, the CLI's ``audit``) get their own
connection; WAL lets them read while we write, and ``busy_timeout`` makes writers queue
rather than fail. ``synchronous=FULL``: a create key recorded as pending must survive a
power cut, or the POST after it could be made twice. Intake bookkeeping (one row per
activity) is committed with ``NORMAL`` (:meth:`SqliteDatabase.fetch_light`): it survives
the process dying, and a flood of messages doesn't queue every command behind an fsync each.

Group commit: statements that arrive while the thread is busy run together as one
transaction — each under its own savepoint, so one that fails leaves the others as they were
— committed once (``FULL`` when any of them asked for it). A burst of creates writes a few
commits, not four fsyncs per command, each caller still hears back only once its statement
is durable, and the thread hands the loop a batch's answers in one wake-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import ConfigError
from bot.store.common import Row
from bot.store.schema import SCHEMA_VERSION_DDL
from bot.store.sqlite_worker import Call, Done, Worker, attempt, in_one_transaction

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
        self._worker = Worker(self.run_batch, "trunkbot-sqlite")
        self._conn: sqlite3.Connection | None = None  # used on the worker's thread only
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
        """``fn(*args)`` alone on the worker's thread (it may manage a transaction itself)."""
        return await self._call(functools.partial(fn, *args), statement=False, durable=True)

    async def _statement(self, fn: Callable[..., T], *args: Any, durable: bool = True) -> T:
        """One statement, committed with whatever else is waiting (see the module's doc)."""
        return await self._call(functools.partial(fn, *args), statement=True, durable=durable)

    async def _call(self, fn: Callable[[], T], *, statement: bool, durable: bool) -> T:
        if self._closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._worker.submit(Call(fn, future, loop, statement, durable))
        return await future

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
        return await self._statement(self._fetch, sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._statement(self._execute, sql, params)

    async def fetch_light(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Committed with ``synchronous=NORMAL`` (WAL: safe from a crash, not a power cut)
        unless it shares its commit with a statement that asked for ``FULL``."""
        return await self._statement(self._fetch, sql, params, durable=False)

    def run_batch(self, calls: list[Call]) -> list[Done]:
        """On the worker's thread: ``calls`` in order, statements side by side in one
        transaction each run of them; what each returned or raised."""
        done: list[Done] = []
        start = 0
        while start < len(calls):
            if not calls[start].statement:
                done.append(attempt(calls[start]))
                start += 1
                continue
            end = start
            while end < len(calls) and calls[end].statement:
                end += 1
            done += self._together(calls[start:end])
            start = end
        return done

    def _together(self, calls: list[Call]) -> list[Done]:
        """The statements' outcomes; a failure around them (the connection gone, the disk)
        is each one's, never the batch's other calls'."""
        try:
            conn = self._c()
            full = any(call.durable for call in calls)
            conn.execute(f"PRAGMA synchronous = {'FULL' if full else 'NORMAL'}")
            try:
                if len(calls) == 1:  # on its own: its own (autocommit) transaction
                    return [attempt(calls[0])]
                return in_one_transaction(conn, calls)
            finally:
                conn.execute("PRAGMA synchronous = FULL")
        except (sqlite3.Error, RuntimeError) as exc:
            if self._conn is not None and self._conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            return [(call, False, exc) for call in calls]

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
        try:
            await self._run(self._disconnect)
        finally:
            self._closed = True
            await asyncio.to_thread(self._worker.stop)
