"""Handled events and the intake: the first claim of each delivery, and the commands
received but not yet finished (what :meth:`bot.intake.dispatch.Intake.recover` re-runs
after a crash)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store.common import Part, cutoff_at, dt, json_text, opt_dt
from bot.store.models import Intake


class EventsAndIntake(Part):
    """Handled events and the intake (part of :class:`bot.store.sql.SqlStore`)."""

    async def claim_event(self, event_id: str, *, now: datetime | None = None) -> bool:
        """True the first time ``event_id`` is seen, False for every redelivery."""
        return await self._changed(
            "INSERT INTO handled_events (event_id, handled_at) VALUES (?, ?)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [event_id, self._now(now)],
        )

    async def record_intake(
        self,
        event_id: str,
        kind: str,
        payload_json: str,
        *,
        leased: bool = False,
        now: datetime | None = None,
    ) -> bool:
        """Record a received command before handling it; False if it was already recorded.

        ``leased``: this replica holds it under a lease (:mod:`bot.store.leases`) that it
        renews while it works; others take it over only once the lease lapses.
        """
        at = self._now(now)
        columns, values = "", ""
        params: list[Any] = [event_id, kind, json_text(payload_json), at, at]
        if leased:  # (only then, so a database not yet migrated takes the plain row)
            columns, values = ", lease_owner, lease_until", ", ?, ?"
            params += [self.replica, self.lease_end(at)]
        return await self._changed(
            "INSERT INTO intake (event_id, kind, payload, received_at, touched_at,"  # noqa: S608
            f" attempts{columns}) VALUES (?, ?, ?, ?, ?, 0{values})"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            params,
            light=True,
        )

    async def complete_intake(self, event_id: str, *, now: datetime | None = None) -> bool:
        """Mark it finished or answered, and forget its payload; False if unknown or done."""
        return await self._changed(
            "UPDATE intake SET completed_at = ?, payload = NULL"
            " WHERE event_id = ? AND completed_at IS NULL RETURNING event_id",
            [self._now(now), event_id],
            light=True,
        )

    async def intake_fetch_failed(self, event_id: str) -> int:
        """Count one more failed fetch of an unfinished command; returns the count so far
        (0 when it is unknown or finished)."""
        rows = await self._db.fetch(
            "UPDATE intake SET fetch_failures = fetch_failures + 1"
            " WHERE event_id = ? AND completed_at IS NULL RETURNING fetch_failures",
            [event_id],
        )
        return int(rows[0]["fetch_failures"]) if rows else 0

    async def unfinished_intake(self, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` are recorded and not finished yet: each will be handled
        (or resumed by recovery, here or on another replica) and answered."""
        if not event_ids:
            return set()
        marks = ", ".join("?" for _ in event_ids)
        rows = await self._db.fetch(
            f"SELECT event_id FROM intake WHERE completed_at IS NULL AND event_id IN ({marks})",  # noqa: S608
            list(event_ids),
        )
        return {str(r["event_id"]) for r in rows}

    async def abandon_intake(self, event_id: str, *, now: datetime | None = None) -> bool:
        """Give up on an unfinished command for good: finished, marked abandoned, payload
        forgotten. True for the one caller that did it; False if unknown or already done."""
        at = self._now(now)
        return await self._changed(
            "UPDATE intake SET completed_at = ?, abandoned_at = ?, payload = NULL"
            " WHERE event_id = ? AND completed_at IS NULL RETURNING event_id",
            [at, at, event_id],
        )

    async def pending_intake(
        self,
        older_than_seconds: float,
        *,
        leased: bool = False,
        now: datetime | None = None,
        limit: int = 100,
    ) -> list[Intake]:
        """Unfinished commands nobody is working on, oldest first: those whose lease has
        lapsed, and those without a lease (or under this replica's own, which knows what it
        is still working on) untouched for ``older_than_seconds``.

        Each row returned is taken by this caller: its ``attempts`` goes up and its clock
        restarts, so another replica asking at the same moment does not get it too. With
        ``leased`` it comes under this replica's lease (renewed while it works); without, it
        comes back only if this caller, too, leaves it unfinished for ``older_than_seconds``.
        """
        at = self._now(now)
        cutoff = cutoff_at(at, older_than_seconds)
        owner, until = (self.replica, self.lease_end(at)) if leased else (None, None)
        free = (
            "completed_at IS NULL AND (lease_until <= ?"
            " OR ((lease_until IS NULL OR lease_owner = ?) AND touched_at <= ?))"
        )
        # The outer condition repeats the inner one on purpose: a replica that loses the row
        # lock to another re-checks it (PostgreSQL re-evaluates WHERE on the newest row
        # version) and skips a row the winner has just taken.
        rows = await self._db.fetch(
            "UPDATE intake SET attempts = attempts + 1, touched_at = ?, lease_owner = ?,"  # noqa: S608
            " lease_until = ? WHERE event_id IN (SELECT event_id FROM intake"
            f"   WHERE {free} ORDER BY received_at LIMIT ?) AND {free}"
            " RETURNING event_id, kind, payload, received_at, attempts, completed_at,"
            " fetch_failures",
            [at, owner, until, at, self.replica, cutoff, limit, at, self.replica, cutoff],
        )
        intakes = [
            Intake(
                event_id=r["event_id"],
                kind=r["kind"],
                payload_json=r["payload"],
                received_at=dt(r["received_at"]),
                attempts=r["attempts"],
                completed_at=opt_dt(r["completed_at"]),
                fetch_failures=r["fetch_failures"],
            )
            for r in rows
        ]
        return sorted(intakes, key=lambda i: (i.received_at, i.event_id))
