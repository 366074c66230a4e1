"""Trunks watched until their gateway registers, each look leased to one replica."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.store.common import Part, Row, dt
from bot.store.models import TrunkWatch


class Watches(Part):
    """Watched trunks (part of :class:`bot.store.sql.SqlStore`)."""

    @staticmethod
    def _watch(row: Row) -> TrunkWatch:
        return TrunkWatch(
            trunk_id=row["trunk_id"],
            name=row["name"],
            org_id=row["org_id"],
            requester=row["requester"],
            email=row["email"],
            attempts=row["attempts"],
            created_at=dt(row["created_at"]),
            next_at=dt(row["next_at"]),
            deadline=dt(row["deadline"]),
        )

    async def add_watch(
        self,
        trunk_id: str,
        *,
        name: str,
        org_id: str | None,
        requester: str,
        email: str | None,
        first_in: float,
        watch_for: float,
        now: datetime | None = None,
    ) -> bool:
        """Watch ``trunk_id`` from ``first_in`` seconds on, for ``watch_for`` seconds; False
        when it is watched already (the first watch, and its requester, stay)."""
        at = self._now(now)
        return await self._changed(
            "INSERT INTO trunk_watches (trunk_id, name, org_id, requester, email, attempts,"
            " created_at, next_at, deadline) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)"
            " ON CONFLICT (trunk_id) DO NOTHING RETURNING trunk_id",
            [
                trunk_id,
                name,
                org_id,
                requester,
                email,
                at,
                at + timedelta(seconds=first_in),
                at + timedelta(seconds=watch_for),
            ],
        )

    async def due_watches(
        self, *, limit: int, lease_seconds: float, now: datetime | None = None
    ) -> list[TrunkWatch]:
        """Up to ``limit`` watches whose time has come, each leased to this caller for
        ``lease_seconds`` (another replica gets others, or none)."""
        at = self._now(now)
        rows = await self._db.fetch(
            "UPDATE trunk_watches SET lease_until = ?"
            " WHERE trunk_id IN (SELECT trunk_id FROM trunk_watches"
            "  WHERE next_at <= ? AND (lease_until IS NULL OR lease_until <= ?)"
            "  ORDER BY next_at, trunk_id LIMIT ?)"
            " AND next_at <= ? AND (lease_until IS NULL OR lease_until <= ?)"
            " RETURNING *",
            [at + timedelta(seconds=lease_seconds), at, at, limit, at, at],
        )
        return sorted((self._watch(r) for r in rows), key=lambda w: (w.next_at, w.trunk_id))

    async def reschedule_watch(
        self, trunk_id: str, *, next_in: float, now: datetime | None = None
    ) -> bool:
        """Counted one look; the next in ``next_in`` seconds (the lease ends)."""
        at = self._now(now)
        return await self._changed(
            "UPDATE trunk_watches SET attempts = attempts + 1, next_at = ?, lease_until = NULL"
            " WHERE trunk_id = ? RETURNING trunk_id",
            [at + timedelta(seconds=next_in), trunk_id],
        )

    async def end_watch(self, trunk_id: str) -> bool:
        """Stop watching; True for the one caller that ended it (it tells the requester)."""
        return await self._changed(
            "DELETE FROM trunk_watches WHERE trunk_id = ? RETURNING trunk_id", [trunk_id]
        )

    async def get_watch(self, trunk_id: str) -> TrunkWatch | None:
        return await self._one(
            self._watch, "SELECT * FROM trunk_watches WHERE trunk_id = ?", [trunk_id]
        )
