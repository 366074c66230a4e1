"""PostgreSQL, for deployments with several replicas: psycopg 3, an async connection pool.

Connections run in autocommit: every statement the store sends decides on its own (see
``bot.store.sql``), so there is no transaction to hold open across an ``await``. The one
exception is the migration, which takes a transaction-scoped advisory lock so that replicas
starting together migrate one after the other; the second finds the work done.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bot.errors import ConfigError
from bot.store.common import Row
from bot.store.errors import StoreDown, StoreUnavailable
from bot.store.placeholders import to_psycopg
from bot.store.schema import SCHEMA_VERSION_DDL

# pg_advisory_xact_lock(class, key): our class, and the schema (so two test schemas, or two
# deployments sharing one database under different search_paths, don't wait on each other).
_LOCK = "SELECT pg_advisory_xact_lock(7412, hashtext(coalesce(current_schema(), '')))"


def describe(url: str) -> str:
    """host:port/dbname for messages; never the password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unreadable URL)"
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname', '')}"


def _reason(exc: Exception, url: str) -> str:
    """libpq's words on one line, with the password cut out just in case."""
    reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    reason = reason or "no answer"
    try:
        password = conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError:
        password = None
    return reason.replace(str(password), "[redacted]") if password else reason


#: Bounds, so that a database in trouble makes callers fail fast instead of piling up:
#: a statement runs at most STATEMENT_TIMEOUT on the server; a caller waits at most POOL_WAIT
#: for a connection, and at most MAX_WAITING callers wait at once (more fail at once); a
#: silent network (packets dropped, nothing refused) is noticed by TCP keepalives and
#: tcp_user_timeout within about LINK_TIMEOUT seconds instead of the kernel's minutes.
STATEMENT_TIMEOUT_MS = 30_000
POOL_WAIT = 5.0
MAX_WAITING = 200
LINK_TIMEOUT = 15
_LINK: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": LINK_TIMEOUT * 1000,
}


async def _configure(conn: psycopg.AsyncConnection[Any]) -> None:
    # JSON comes back as the text it is, as from SQLite; callers parse it.
    conn.adapters.register_loader("jsonb", TextLoader)
    conn.adapters.register_loader("json", TextLoader)
    # Not through the URL's `options`: the operator's (such as a search_path) stay theirs.
    await conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    @classmethod
    async def open(
        cls, url: str, *, max_size: int = 10, connect_timeout: float = 10.0
    ) -> PostgresDatabase:
        where = describe(url)
        # One plain connection first: if the server is down or refuses us, say why at once
        # (the pool would only retry quietly until its timeout).
        try:
            probe = await psycopg.AsyncConnection.connect(
                url, connect_timeout=max(1, int(connect_timeout))
            )
        except psycopg.ProgrammingError as exc:
            # Not the driver's words: libpq quotes the URL, password and all.
            raise ConfigError(
                "TRUNKBOT_DATABASE_URL is not a usable PostgreSQL URL; "
                "expected postgresql://user:password@host:port/dbname."
            ) from exc
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(
                f"Cannot connect to PostgreSQL at {where}: {_reason(exc, url)}"
            ) from exc
        await probe.close()
        pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            timeout=POOL_WAIT,
            max_waiting=MAX_WAITING,
            reconnect_timeout=24 * 3600.0,  # keep trying through an outage, never give up
            kwargs={
                "autocommit": True,
                "connect_timeout": max(1, int(connect_timeout)),
                **_LINK,
            },
            configure=_configure,
            check=AsyncConnectionPool.check_connection,  # a restarted server costs no error
            name="trunkbot-store",
            open=False,
        )
        await pool.open(wait=True, timeout=connect_timeout)
        return cls(pool)

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A pooled connection; the database going away meanwhile (the connection lost, no
        connection free within POOL_WAIT) is :class:`StoreDown`, a sentence for the person
        rather than the driver's error. SQL mistakes (ProgrammingError…) stay bugs."""
        try:
            async with self._pool.connection() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise StoreDown from exc

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(to_psycopg(sql), params)
            return await cur.fetchall() if cur.description else []

    async def fetch_light(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One transaction with ``synchronous_commit = off``: durable against a crash of
        this process (the server has it), not against the server losing power."""
        async with (
            self._connection() as conn,
            conn.transaction(),
            conn.cursor(row_factory=dict_row) as cur,
        ):
            await cur.execute("SET LOCAL synchronous_commit = off")
            await cur.execute(to_psycopg(sql), params)
            return await cur.fetchall() if cur.description else []

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._connection() as conn, conn.cursor() as cur:
            await cur.execute(to_psycopg(sql), params)
            return cur.rowcount

    async def migrate(self, migrations: Sequence[Sequence[str]], now: datetime) -> int:
        async with self._pool.connection() as conn, conn.transaction():
            # Held until this transaction ends; the statements below are DDL, and DDL in
            # PostgreSQL is transactional: a failed migration leaves nothing behind.
            await conn.execute(_LOCK)
            await conn.execute(SCHEMA_VERSION_DDL[self.dialect])
            cur = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
            row = await cur.fetchone()
            current = int(row[0]) if row else 0
            for version in range(current + 1, len(migrations) + 1):
                for statement in migrations[version - 1]:
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)",
                    [version, now],
                )
        return max(current, len(migrations))

    async def schema_version(self) -> int:
        async with self._connection() as conn:
            cur = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
            row = await cur.fetchone()
            if not row or not row[0]:
                return 0
            cur = await conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
            row = await cur.fetchone()
            return int(row[0]) if row else 0

    async def close(self) -> None:
        await self._pool.close()
