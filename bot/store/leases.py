"""Leases on pending work, so that replicas can take over from one that died.

An unfinished intake row and a pending create key carry the replica working on them
(``lease_owner``) and until when (``lease_until``). The owner renews its leases while it works
(:meth:`Leases.renew_leases`, from the intake's lease loop); when a replica dies its leases
lapse, and another replica takes the work over: the intake row is fetched again and handled,
the create key is reconciled by name (never POSTed again). A row without a lease (written by
a version before leases, or a create outside any intake task, such as a bulk row) keeps the
older rule: it is taken over once untouched for the caller's ``older_than_seconds``.

Which create keys are "being worked on" is known per task: :func:`working_on` gives an
intake task a set that :meth:`bot.store.creates.Creates.begin_create` adds its keys to.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Collection
from contextvars import ContextVar
from datetime import datetime

from bot.store.common import Part

#: How long a lease lasts unless renewed; the intake renews every third of it.
LEASE_SECONDS = 30.0
_CHUNK = 400  # ids per statement: well under SQLite's bound-parameter limit

_WORKING: ContextVar[set[str] | None] = ContextVar("trunkbot_working_keys", default=None)


def replica_id() -> str:
    """This process's name in leases: host, pid and a random tail (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def working_on(keys: set[str]) -> None:
    """From here on in this task (and tasks it starts), create keys begun go into ``keys``."""
    _WORKING.set(keys)


def note_working(key: str) -> None:
    """Record that this task owns the create ``key`` (if it is an intake task)."""
    keys = _WORKING.get()
    if keys is not None:
        keys.add(key)


def leased_here() -> bool:
    """Whether a create begun now is being done for an intake task (so it gets a lease)."""
    return _WORKING.get() is not None


class Leases(Part):
    """Renewing this replica's leases (part of :class:`bot.store.sql.SqlStore`)."""

    async def renew_leases(
        self,
        event_ids: Collection[str],
        create_keys: Collection[str],
        *,
        now: datetime | None = None,
    ) -> int:
        """Extend this replica's leases on the unfinished intake rows ``event_ids`` and the
        pending create keys ``create_keys``; returns how many were still ours to extend."""
        until = self.lease_end(self._now(now))
        renewed = 0
        for table, column, extra, ids in (
            ("intake", "event_id", "completed_at IS NULL", list(event_ids)),
            ("create_keys", "idem_key", "state = 'pending'", list(create_keys)),
        ):
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ", ".join("?" * len(chunk))
                renewed += await self._db.execute(
                    f"UPDATE {table} SET lease_until = ?"  # noqa: S608  -- constants, placeholders
                    f" WHERE lease_owner = ? AND {extra} AND {column} IN ({marks})",
                    [until, self.replica, *chunk],
                )
        return renewed
