"""Which `trunkbot run` replica holds the websocket: active/standby on PostgreSQL.

Every replica on one PostgreSQL database starts as a standby and asks, every
``POLL_SECONDS``, for a session advisory lock on a connection of its own (not the store's
pool: a session lock lives and dies with its connection). The one that gets it is the
active replica and opens the websocket; the others hold no socket and fetch nothing. When
the active process dies its connection closes, PostgreSQL releases the lock, and the next
poll of a standby takes it. The active one checks its connection every ``POLL_SECONDS``; if
it is gone it asks for the lock again at once: taken back, it carries on; held by another
replica, it steps down (closes its websocket); the database not answering at all, it
carries on too (no one else can take the lock meanwhile, and the intake answers "try again
shortly"). Should two replicas ever both be connected for a moment, the store's atomic
intake record still lets only one of them answer each message.

The lock is per database *and schema* (two bots sharing a server in different schemas
don't fence each other). SQLite serves one process (bot/single.py), which is always active.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Literal, Protocol

log = logging.getLogger(__name__)

Role = Literal["active", "standby"]
ROLES: tuple[Role, ...] = ("active", "standby")
POLL_SECONDS = 2.0
CONNECT_TIMEOUT = 5
CHECK_TIMEOUT = 5.0
# pg_try_advisory_lock(classid, objid): our class, and a hash of the schema in use.
LOCK_CLASS = 0x7472_756E  # "trun"
_LOCK_SQL = "SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))"
_UNLOCK_SQL = "SELECT pg_advisory_unlock(%s, hashtext(current_schema()))"


class Leadership(Protocol):
    """What the runner needs from a lock: take it (or not yet), check it, give it back.
    ``unreachable`` is True when the last :meth:`try_acquire` got no answer at all."""

    unreachable: bool

    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


class Solo:
    """One process per store (SQLite): always the active replica."""

    unreachable = False

    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


def libpq_url(url: str) -> str:
    """The store's URL as libpq reads it (``postgresql+psycopg://`` → ``postgresql://``)."""
    for scheme in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme) :]
    return url


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a dedicated connection."""

    def __init__(self, url: str) -> None:
        self.url = libpq_url(url)
        self._conn: Any = None
        self.unreachable = False

    async def _connect(self) -> Any:
        import psycopg  # the postgres extra: only here when the store is PostgreSQL

        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
            )
        return self._conn

    async def try_acquire(self) -> bool:
        """True once this process holds the lock; False while another does or the
        database can't be reached (tried again at the next poll)."""
        try:
            conn = await self._connect()
            cur = await asyncio.wait_for(conn.execute(_LOCK_SQL, (LOCK_CLASS,)), CHECK_TIMEOUT)
            row = await cur.fetchone()
        except Exception as exc:  # noqa: BLE001  -- any failure: not ours this time
            log.warning("replica.lock_unavailable", extra={"error": type(exc).__name__})
            await self._drop()
            self.unreachable = True
            return False
        self.unreachable = False
        return bool(row and row[0])

    async def still_held(self) -> bool:
        """The lock's connection still answers (so PostgreSQL still holds the lock for us)."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            await asyncio.wait_for(self._conn.execute("SELECT 1"), CHECK_TIMEOUT)
        except Exception as exc:  # noqa: BLE001  -- a lost connection is a lost lock
            log.warning("replica.lock_lost", extra={"error": type(exc).__name__})
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._conn.execute(_UNLOCK_SQL, (LOCK_CLASS,)), 2.0)
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


def leadership_for(database_url: str) -> Leadership:
    """The advisory lock on PostgreSQL; on SQLite (one process per file) always active."""
    if database_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return AdvisoryLock(database_url)
    return Solo()
