"""The store: the bot's durable state over either database (:mod:`bot.store.base` says why
this one implementation is also the interface).

The SQL here is the common subset of SQLite (≥ 3.35) and PostgreSQL: ``INSERT … ON CONFLICT``,
``UPDATE … RETURNING``, ``?`` placeholders (:func:`bot.store.placeholders.to_psycopg` turns
them into psycopg's ``%s``, leaving literals alone). Each
decision is one statement, so its atomicity is the database's, whatever runs it; the read
that may follow a lost race only explains the loss.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, Self

from bot.store.bulk import BulkJobs
from bot.store.models import (
    Approval,
    ApprovalOutcome,
    ApprovalResult,
    ApprovalStatus,
    AuditRecord,
    CardNonce,
    ClaimStatus,
    CreateClaim,
    CreateRecord,
    CreateState,
    Intake,
    NonceOutcome,
    NonceResult,
    TrunkWatch,
    utcnow,
)
from bot.store.redact import scrub_text, strip_secrets
from bot.store.schema import MIGRATIONS

Row = dict[str, Any]


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


# Random tokens: 24 bytes = 192 bits for card nonces (they are bearer capabilities), 18 for
# approval ids (also only ever compared, never guessed at).
_NONCE_BYTES = 24
_APPROVAL_BYTES = 18


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


def _opt_dt(value: Any) -> datetime | None:
    return None if value is None else _dt(value)


def _no_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


def _json_text(text: str) -> str:
    """Check that ``text`` is JSON; replace NUL characters, which PostgreSQL's jsonb refuses."""
    value = json.loads(text)  # raises ValueError: a caller bug, caught before the database
    if "\\u0000" in text:
        return json.dumps(_no_nul(value), ensure_ascii=False)
    return text


def _json_value(value: Any) -> str:
    return json.dumps(_no_nul(value), ensure_ascii=False, default=str)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("times given to the store must be timezone-aware")
    return value.astimezone(UTC)


def _cutoff(now: datetime, seconds: float) -> datetime:
    return now - timedelta(seconds=seconds)


class SqlStore:
    """The bot's durable state over a :class:`Database`; its methods are the store's interface
    (:data:`bot.store.base.Store`)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        #: What "now" is for every decision (expiry of cards and approvals, leases); tests
        #: replace it to move time instead of sleeping.
        self.clock = clock

    def _now(self, now: datetime | None) -> datetime:
        return _utc(now or self.clock())

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
        cutoff = _cutoff(self._now(now), keep_seconds)
        statements = [
            "DELETE FROM handled_events WHERE handled_at < ?",
            "DELETE FROM intake WHERE completed_at IS NOT NULL AND completed_at < ?",
            "DELETE FROM create_keys WHERE state <> 'pending' AND updated_at < ?",
            "DELETE FROM card_nonces WHERE expires_at < ?",
            "DELETE FROM approvals WHERE status <> 'pending' AND expires_at < ?",
        ]
        return sum([await self._db.execute(sql, [cutoff]) for sql in statements])

    # --- handled events and intake --------------------------------------------------------

    async def claim_event(self, event_id: str, *, now: datetime | None = None) -> bool:
        """True the first time ``event_id`` is seen, False for every redelivery."""
        rows = await self._db.fetch(
            "INSERT INTO handled_events (event_id, handled_at) VALUES (?, ?)"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [event_id, self._now(now)],
        )
        return bool(rows)

    async def record_intake(
        self, event_id: str, kind: str, payload_json: str, *, now: datetime | None = None
    ) -> bool:
        """Record a received command before handling it; False if it was already recorded."""
        at = self._now(now)
        rows = await self._db.fetch_light(
            "INSERT INTO intake (event_id, kind, payload, received_at, touched_at, attempts)"
            " VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [event_id, kind, _json_text(payload_json), at, at],
        )
        return bool(rows)

    async def complete_intake(self, event_id: str, *, now: datetime | None = None) -> bool:
        """Mark it finished or answered, and forget its payload; False if unknown or done."""
        rows = await self._db.fetch_light(
            "UPDATE intake SET completed_at = ?, payload = NULL"
            " WHERE event_id = ? AND completed_at IS NULL RETURNING event_id",
            [self._now(now), event_id],
        )
        return bool(rows)

    async def intake_fetch_failed(self, event_id: str) -> int:
        """Count one more failed fetch of an unfinished command; returns the count so far
        (0 when it is unknown or finished)."""
        rows = await self._db.fetch(
            "UPDATE intake SET fetch_failures = fetch_failures + 1"
            " WHERE event_id = ? AND completed_at IS NULL RETURNING fetch_failures",
            [event_id],
        )
        return int(rows[0]["fetch_failures"]) if rows else 0

    async def abandon_intake(self, event_id: str, *, now: datetime | None = None) -> bool:
        """Give up on an unfinished command for good: finished, marked abandoned, payload
        forgotten. True for the one caller that did it; False if unknown or already done."""
        at = self._now(now)
        rows = await self._db.fetch(
            "UPDATE intake SET completed_at = ?, abandoned_at = ?, payload = NULL"
            " WHERE event_id = ? AND completed_at IS NULL RETURNING event_id",
            [at, at, event_id],
        )
        return bool(rows)

    async def pending_intake(
        self, older_than_seconds: float, *, now: datetime | None = None, limit: int = 100
    ) -> list[Intake]:
        """Unfinished commands not touched for ``older_than_seconds``, oldest first.

        Each row returned is leased to this caller: its ``attempts`` goes up and its clock
        restarts, so another replica asking at the same moment does not get it too, and it
        comes back only if this caller, too, leaves it unfinished for ``older_than_seconds``.
        """
        at = self._now(now)
        cutoff = _cutoff(at, older_than_seconds)
        # The outer condition repeats the inner one on purpose: a replica that loses the row
        # lock to another re-checks it (PostgreSQL re-evaluates WHERE on the newest row
        # version) and skips a row the winner has just leased.
        rows = await self._db.fetch(
            "UPDATE intake SET attempts = attempts + 1, touched_at = ?"
            " WHERE event_id IN (SELECT event_id FROM intake"
            "   WHERE completed_at IS NULL AND touched_at <= ? ORDER BY received_at LIMIT ?)"
            " AND completed_at IS NULL AND touched_at <= ?"
            " RETURNING event_id, kind, payload, received_at, attempts, completed_at,"
            " fetch_failures",
            [at, cutoff, limit, cutoff],
        )
        intakes = [
            Intake(
                event_id=r["event_id"],
                kind=r["kind"],
                payload_json=r["payload"],
                received_at=_dt(r["received_at"]),
                attempts=r["attempts"],
                completed_at=_opt_dt(r["completed_at"]),
                fetch_failures=r["fetch_failures"],
            )
            for r in rows
        ]
        return sorted(intakes, key=lambda i: (i.received_at, i.event_id))

    # --- idempotency keys -----------------------------------------------------------------

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
            created_at=_dt(row["created_at"]),
            updated_at=_dt(row["updated_at"]),
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
        claim_sql = (
            "INSERT INTO create_keys (idem_key, name, org_id, location_id, requester, state,"
            " attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 1, ?, ?)"
            " ON CONFLICT (idem_key) DO UPDATE SET state = 'pending',"
            " attempts = create_keys.attempts + 1, result = NULL, error = NULL,"
            " name = excluded.name, org_id = excluded.org_id,"
            " location_id = excluded.location_id, requester = excluded.requester,"
            " updated_at = excluded.updated_at"
            " WHERE create_keys.state = 'released'"
            " RETURNING *"
        )
        params = [key, name, org_id, location_id, requester, at, at]
        # Between our claim and our read, the owner may release the key (or prune drop it):
        # then claim again. Three rounds is far more than that window allows.
        for _ in range(3):
            rows = await self._db.fetch(claim_sql, params)
            if rows:
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
        rows = await self._db.fetch(
            "UPDATE create_keys SET state = 'done', result = ?, updated_at = ?"
            " WHERE idem_key = ? AND state = 'pending' RETURNING idem_key",
            [_json_text(result_json), self._now(now), key],
        )
        return bool(rows)

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
        rows = await self._db.fetch(
            "UPDATE create_keys SET state = ?, error = ?, updated_at = ?"
            " WHERE idem_key = ? AND state = 'pending' RETURNING idem_key",
            [state.value, _json_text(error_json), self._now(now), key],
        )
        return bool(rows)

    async def get_create(self, key: str) -> CreateRecord | None:
        rows = await self._db.fetch("SELECT * FROM create_keys WHERE idem_key = ?", [key])
        return self._create(rows[0]) if rows else None

    async def pending_creates(
        self, older_than_seconds: float, *, now: datetime | None = None
    ) -> list[CreateRecord]:
        """Keys PENDING for longer than ``older_than_seconds``: owners that died mid-create.

        Choose ``older_than_seconds`` above the longest a create call may take (timeouts and
        retries included), or reconciliation may race a POST still in flight.
        """
        rows = await self._db.fetch(
            "SELECT * FROM create_keys WHERE state = 'pending' AND updated_at <= ?"
            " ORDER BY updated_at, idem_key",
            [_cutoff(self._now(now), older_than_seconds)],
        )
        return [self._create(r) for r in rows]

    # --- card nonces ----------------------------------------------------------------------

    @staticmethod
    def _nonce(row: Row) -> CardNonce:
        return CardNonce(
            nonce=row["nonce"],
            purpose=row["purpose"],
            room_id=row["room_id"],
            person_id=row["person_id"],
            message_id=row["message_id"],
            payload_json=row["payload"],
            created_at=_dt(row["created_at"]),
            expires_at=_dt(row["expires_at"]),
            used_at=_opt_dt(row["used_at"]),
            used_by=row["used_by"],
        )

    async def issue_nonce(
        self,
        *,
        purpose: str,
        room_id: str,
        person_id: str,
        message_id: str | None,
        payload_json: str,
        ttl_seconds: float = 900,
        now: datetime | None = None,
    ) -> str:
        """A fresh random nonce (192 bits, URL-safe) bound to this space, person, purpose."""
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        at = self._now(now)
        nonce = secrets.token_urlsafe(_NONCE_BYTES)
        await self._db.execute(
            "INSERT INTO card_nonces (nonce, purpose, room_id, person_id, message_id, payload,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                nonce,
                purpose,
                room_id,
                person_id,
                message_id,
                _json_text(payload_json),
                at,
                at + timedelta(seconds=ttl_seconds),
            ],
        )
        return nonce

    async def attach_message(self, nonce: str, message_id: str) -> bool:
        """Bind the card's message id once it is posted; False if unknown or bound elsewhere."""
        rows = await self._db.fetch(
            "UPDATE card_nonces SET message_id = ?"
            " WHERE nonce = ? AND (message_id IS NULL OR message_id = ?) RETURNING nonce",
            [message_id, nonce, message_id],
        )
        return bool(rows)

    async def get_nonce(self, nonce: str) -> CardNonce | None:
        rows = await self._db.fetch("SELECT * FROM card_nonces WHERE nonce = ?", [nonce])
        return self._nonce(rows[0]) if rows else None

    async def use_nonce(
        self,
        nonce: str,
        *,
        room_id: str,
        person_id: str,
        message_id: str,
        person_must_match: bool = True,
        now: datetime | None = None,
    ) -> NonceResult:
        """Check and consume in one statement; of any number of racing callers one gets OK.

        Refusals consume nothing: someone else's click, a wrong room or message leaves the
        nonce live for the person it was made for. With ``person_must_match=False`` (a card
        meant for a group, such as an approval) any person may use it; ``used_by`` says who.
        """
        at = self._now(now)
        sql = (
            "UPDATE card_nonces SET used_at = ?, used_by = ?"
            " WHERE nonce = ? AND used_at IS NULL AND expires_at > ?"
            " AND room_id = ? AND message_id = ?"
        )
        params: list[Any] = [at, person_id, nonce, at, room_id, message_id]
        if person_must_match:
            sql += " AND person_id = ?"
            params.append(person_id)
        rows = await self._db.fetch(sql + " RETURNING *", params)
        if rows:
            return NonceResult(NonceOutcome.OK, self._nonce(rows[0]))
        # Lost, or refused: say why. The order puts "not for you/here" before "used" so a
        # stranger learns nothing about the card's state.
        record = await self.get_nonce(nonce)
        if record is None:
            return NonceResult(NonceOutcome.UNKNOWN, None)
        if record.room_id != room_id:
            outcome = NonceOutcome.WRONG_ROOM
        elif record.message_id != message_id:
            outcome = NonceOutcome.WRONG_MESSAGE
        elif person_must_match and record.person_id != person_id:
            outcome = NonceOutcome.WRONG_PERSON
        elif record.used_at is not None:
            outcome = NonceOutcome.USED
        else:
            outcome = NonceOutcome.EXPIRED
        return NonceResult(outcome, record)

    # --- approvals ------------------------------------------------------------------------

    @staticmethod
    def _approval(row: Row) -> Approval:
        return Approval(
            approval_id=row["approval_id"],
            request_json=row["request"],
            requester_id=row["requester_id"],
            approvers_room=row["approvers_room"],
            status=ApprovalStatus(row["status"]),
            created_at=_dt(row["created_at"]),
            expires_at=_dt(row["expires_at"]),
            approver_id=row["approver_id"],
            decided_at=_opt_dt(row["decided_at"]),
        )

    async def create_approval(
        self,
        *,
        request_json: str,
        requester_id: str,
        approvers_room: str,
        ttl_seconds: float,
        now: datetime | None = None,
    ) -> str:
        """A pending approval; returns its id (random, URL-safe)."""
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        at = self._now(now)
        approval_id = secrets.token_urlsafe(_APPROVAL_BYTES)
        await self._db.execute(
            "INSERT INTO approvals (approval_id, request, requester_id, approvers_room, status,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)",
            [
                approval_id,
                _json_text(request_json),
                requester_id,
                approvers_room,
                at,
                at + timedelta(seconds=ttl_seconds),
            ],
        )
        return approval_id

    async def get_approval(self, approval_id: str) -> Approval | None:
        rows = await self._db.fetch("SELECT * FROM approvals WHERE approval_id = ?", [approval_id])
        return self._approval(rows[0]) if rows else None

    async def decide_approval(
        self,
        approval_id: str,
        *,
        approver_id: str,
        approve: bool,
        now: datetime | None = None,
    ) -> ApprovalResult:
        """The first decision on a live approval wins; later ones get ALREADY_DECIDED.

        Who may decide (a role, not the requester) is the caller's check, made before.
        """
        at = self._now(now)
        status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
        rows = await self._db.fetch(
            "UPDATE approvals SET status = ?, approver_id = ?, decided_at = ?"
            " WHERE approval_id = ? AND status = 'pending' AND expires_at > ? RETURNING *",
            [status.value, approver_id, at, approval_id, at],
        )
        if rows:
            outcome = ApprovalOutcome.APPROVED if approve else ApprovalOutcome.REJECTED
            return ApprovalResult(outcome, self._approval(rows[0]))
        record = await self.get_approval(approval_id)
        if record is None:
            return ApprovalResult(ApprovalOutcome.UNKNOWN, None)
        if record.status in (ApprovalStatus.PENDING, ApprovalStatus.EXPIRED):
            # Pending here means past its expiry: expire_approvals will report it, once.
            return ApprovalResult(ApprovalOutcome.EXPIRED, record)
        return ApprovalResult(ApprovalOutcome.ALREADY_DECIDED, record)

    async def expire_approvals(self, now: datetime | None = None) -> list[Approval]:
        """Mark every pending approval past its expiry EXPIRED and return those, each once."""
        at = self._now(now)
        rows = await self._db.fetch(
            "UPDATE approvals SET status = 'expired', decided_at = ?"
            " WHERE status = 'pending' AND expires_at <= ? RETURNING *",
            [at, at],
        )
        return sorted((self._approval(r) for r in rows), key=lambda a: a.expires_at)

    # --- audit trail ----------------------------------------------------------------------

    _AUDIT_COLUMNS = (
        "at, event_id, person_id, email, room_id, action, location_id, location_name,"
        " request, decision, reason, approver_id, result, trunk_id, status, error_code,"
        " tracking_id, duration_ms"
    )

    async def append_audit(self, record: AuditRecord) -> int:
        """Append one row (secrets stripped from ``request``); returns its id."""
        if record.decision not in ("allowed", "refused"):
            raise ValueError(f"decision must be 'allowed' or 'refused', not {record.decision!r}")
        request = None if record.request is None else _json_value(strip_secrets(record.request))
        rows = await self._db.fetch(
            f"INSERT INTO audit ({self._AUDIT_COLUMNS})"  # noqa: S608  -- constant column list
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                _utc(record.at),
                record.event_id,
                record.person_id,
                record.email,
                record.room_id,
                record.action,
                record.location_id,
                record.location_name,
                request,
                record.decision,
                scrub_text(record.reason),
                record.approver_id,
                record.result,
                record.trunk_id,
                record.status,
                record.error_code,
                record.tracking_id,
                record.duration_ms,
            ],
        )
        return int(rows[0]["id"])

    async def list_audit(
        self,
        *,
        since: datetime | None = None,
        person: str | None = None,
        location: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[AuditRecord]:
        """Rows at or after ``since``; ``person`` matches a person id or an email (any case),
        ``location`` a location id or name (any case)."""
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append("at >= ?")
            params.append(_utc(since))
        if person is not None:
            where.append("(person_id = ? OR lower(email) = lower(?))")
            params += [person, person]
        if location is not None:
            where.append("(location_id = ? OR lower(location_name) = lower(?))")
            params += [location, location]
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT id, {self._AUDIT_COLUMNS} FROM audit"  # noqa: S608  -- constants only; values are bound
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY at {order}, id {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        rows = await self._db.fetch(sql, params)
        return [self._audit(r) for r in rows]

    @staticmethod
    def _audit(row: Row) -> AuditRecord:
        request = row["request"]
        return AuditRecord(
            id=int(row["id"]),
            at=_dt(row["at"]),
            event_id=row["event_id"],
            person_id=row["person_id"],
            email=row["email"],
            room_id=row["room_id"],
            action=row["action"],
            location_id=row["location_id"],
            location_name=row["location_name"],
            request=None if request is None else _as_mapping(json.loads(request)),
            decision=row["decision"],
            reason=row["reason"],
            approver_id=row["approver_id"],
            result=row["result"],
            trunk_id=row["trunk_id"],
            status=row["status"],
            error_code=row["error_code"],
            tracking_id=row["tracking_id"],
            duration_ms=row["duration_ms"],
        )

    # --- trunks watched until their gateway registers -------------------------------------

    @staticmethod
    def _watch(row: Row) -> TrunkWatch:
        return TrunkWatch(
            trunk_id=row["trunk_id"],
            name=row["name"],
            org_id=row["org_id"],
            requester=row["requester"],
            email=row["email"],
            attempts=row["attempts"],
            created_at=_dt(row["created_at"]),
            next_at=_dt(row["next_at"]),
            deadline=_dt(row["deadline"]),
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
        rows = await self._db.fetch(
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
        return bool(rows)

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
        rows = await self._db.fetch(
            "UPDATE trunk_watches SET attempts = attempts + 1, next_at = ?, lease_until = NULL"
            " WHERE trunk_id = ? RETURNING trunk_id",
            [at + timedelta(seconds=next_in), trunk_id],
        )
        return bool(rows)

    async def end_watch(self, trunk_id: str) -> bool:
        """Stop watching; True for the one caller that ended it (it tells the requester)."""
        rows = await self._db.fetch(
            "DELETE FROM trunk_watches WHERE trunk_id = ? RETURNING trunk_id", [trunk_id]
        )
        return bool(rows)

    async def get_watch(self, trunk_id: str) -> TrunkWatch | None:
        rows = await self._db.fetch("SELECT * FROM trunk_watches WHERE trunk_id = ?", [trunk_id])
        return self._watch(rows[0]) if rows else None

    # --- service app tokens ---------------------------------------------------------------

    async def save_tokens(self, key: str, blob: str, *, now: datetime | None = None) -> None:
        """Keep the token manager's blob (the rotated refresh token) across restarts."""
        await self._db.execute(
            "INSERT INTO service_tokens (token_key, blob, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (token_key) DO UPDATE SET blob = excluded.blob,"
            " updated_at = excluded.updated_at",
            [key, blob, self._now(now)],
        )

    async def load_tokens(self, key: str) -> str | None:
        rows = await self._db.fetch("SELECT blob FROM service_tokens WHERE token_key = ?", [key])
        return str(rows[0]["blob"]) if rows else None


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {"value": value}
