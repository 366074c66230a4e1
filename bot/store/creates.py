"""Create idempotency keys: exactly one owner per trunk create, and the answer every
redelivery gets (reconciliation by name settles keys whose owner died)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.store.common import Part, Row, cutoff_at, dt, json_text
from bot.store.leases import leased_here, note_working
from bot.store.models import ClaimStatus, CreateClaim, CreateRecord, CreateState


class Creates(Part):
    """Create idempotency keys (part of :class:`bot.store.sql.SqlStore`)."""

    @staticmethod
    def _create(row: Row) -> CreateRecord:
        return CreateRecord(
            key=row["idem_key"],
            name=row["name"],
            org_id=row["org_id"],
            location_id=row["location_id"],
            requester=row["requester"],
            state=CreateState(row["state"]),
            attempts=row["attempts"],
            result_json=row["result"],
            error_json=row["error"],
            created_at=dt(row["created_at"]),
            updated_at=dt(row["updated_at"]),
        )

    async def begin_create(
        self,
        key: str,
        *,
        name: str,
        org_id: str | None,
        location_id: str,
        requester: str,
        now: datetime | None = None,
    ) -> CreateClaim:
        """Claim the create ``key`` before POSTing: exactly one caller ever gets OWNER.

        OWNER also when the key was RELEASED by a failure that created nothing.
        """
        at = self._now(now)
        # A new key is inserted PENDING; a RELEASED one is taken over. Either way the row
        # comes back and the caller owns it. Anything else leaves the row alone (no row back).
        # In an intake task the owner holds the key under a lease it renews while it works
        # (bot.store.leases); when it dies the lease lapses and reconciliation settles it.
        owner, until = (self.replica, self.lease_end(at)) if leased_here() else (None, None)
        claim_sql = (
            "INSERT INTO create_keys (idem_key, name, org_id, location_id, requester, state,"
            " attempts, created_at, updated_at, lease_owner, lease_until)"
            " VALUES (?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?, ?)"
            " ON CONFLICT (idem_key) DO UPDATE SET state = 'pending',"
            " attempts = create_keys.attempts + 1, result = NULL, error = NULL,"
            " name = excluded.name, org_id = excluded.org_id,"
            " location_id = excluded.location_id, requester = excluded.requester,"
            " updated_at = excluded.updated_at, lease_owner = excluded.lease_owner,"
            " lease_until = excluded.lease_until"
            " WHERE create_keys.state = 'released'"
            " RETURNING *"
        )
        params = [key, name, org_id, location_id, requester, at, at, owner, until]
        # Between our claim and our read, the owner may release the key (or prune drop it):
        # then claim again. Three rounds is far more than that window allows.
        for _ in range(3):
            rows = await self._db.fetch(claim_sql, params)
            if rows:
                note_working(key)
                return CreateClaim(ClaimStatus.OWNER, self._create(rows[0]))
            record = await self.get_create(key)
            if record is None or record.state is CreateState.RELEASED:
                continue
            status = {
                CreateState.DONE: ClaimStatus.DONE,
                CreateState.FAILED: ClaimStatus.FAILED,
                CreateState.PENDING: ClaimStatus.IN_PROGRESS,
            }[record.state]
            return CreateClaim(status, record)
        raise RuntimeError(f"create key {key!r} kept changing under begin_create")

    async def complete_create(
        self, key: str, result_json: str, *, now: datetime | None = None
    ) -> bool:
        """PENDING → DONE with the answer to give any redelivery; False if not pending."""
        return await self._changed(
            "UPDATE create_keys SET state = 'done', result = ?, updated_at = ?"
            " WHERE idem_key = ? AND state = 'pending' RETURNING idem_key",
            [json_text(result_json), self._now(now), key],
        )

    async def fail_create(
        self, key: str, error_json: str, *, retryable: bool, now: datetime | None = None
    ) -> bool:
        """PENDING → FAILED (final: redeliveries get ``error_json``), or → RELEASED.

        ``retryable=True`` only when the failure *certainly created nothing* and trying again
        could succeed (429 or 5xx answered before any trunk existed, a connection refused):
        the next ``begin_create`` on the key owns it and POSTs again. Never for a timeout
        or a dropped connection after the request was sent: leave the key PENDING and let
        reconciliation look the trunk up by name. False if the key was not pending.
        """
        state = CreateState.RELEASED if retryable else CreateState.FAILED
        return await self._changed(
            "UPDATE create_keys SET state = ?, error = ?, updated_at = ?"
            " WHERE idem_key = ? AND state = 'pending' RETURNING idem_key",
            [state.value, json_text(error_json), self._now(now), key],
        )

    async def get_create(self, key: str) -> CreateRecord | None:
        return await self._one(self._create, "SELECT * FROM create_keys WHERE idem_key = ?", [key])

    def _free(self, at: datetime, older_than_seconds: float) -> tuple[str, list[Any]]:
        """The condition of a key nobody works on any more, and its parameters."""
        sql = (
            "state = 'pending' AND (lease_until <= ?"
            " OR ((lease_until IS NULL OR lease_owner = ?) AND updated_at <= ?))"
        )
        return sql, [at, self.replica, cutoff_at(at, older_than_seconds)]

    async def take_create(
        self, key: str, older_than_seconds: float, *, now: datetime | None = None
    ) -> CreateRecord | None:
        """The key, leased to this caller to settle, when nobody works on it any more (as
        :meth:`pending_creates` decides); None when it is settled or someone still works
        on it. A resumed request settles its own key with it instead of waiting."""
        at = self._now(now)
        free, params = self._free(at, older_than_seconds)
        rows = await self._db.fetch(
            "UPDATE create_keys SET lease_owner = ?, lease_until = ?"  # noqa: S608
            f" WHERE idem_key = ? AND {free} RETURNING *",
            [self.replica, self.lease_end(at), key, *params],
        )
        return self._create(rows[0]) if rows else None

    async def pending_creates(
        self, older_than_seconds: float, *, now: datetime | None = None
    ) -> list[CreateRecord]:
        """Keys nobody is working on any more: their owner died or gave up mid-create.

        Those whose lease has lapsed, and those PENDING longer than ``older_than_seconds``
        without a lease (a bulk row's, or one from before leases) or under this replica's own
        (it knows what it still works on): choose it above the longest a create call may take
        (timeouts and retries included), or reconciliation may race a POST still in flight.
        Each key returned is leased to this caller, so another
        replica reconciling at the same moment does not get it too.
        """
        at = self._now(now)
        free, params = self._free(at, older_than_seconds)
        rows = await self._db.fetch(
            "UPDATE create_keys SET lease_owner = ?, lease_until = ?"  # noqa: S608
            f" WHERE idem_key IN (SELECT idem_key FROM create_keys WHERE {free}) AND {free}"
            " RETURNING *",
            [self.replica, self.lease_end(at), *params, *params],
        )
        return sorted((self._create(r) for r in rows), key=lambda r: (r.updated_at, r.key))
