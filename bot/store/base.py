"""The store's interface: what the bot may ask of its durable state, and nothing more.

Every step that decides something (the first claim of an event, the owner of a create key,
the one use of a nonce, the one decision on an approval) is a single atomic SQL statement
keyed on a unique constraint, so it holds across tasks, processes and replicas alike; no
lock lives in memory. Times default to the store's clock; pass ``now`` to pin them.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.store.models import (
    Approval,
    ApprovalResult,
    AuditRecord,
    CardNonce,
    CreateClaim,
    CreateRecord,
    Intake,
    NonceResult,
)


class EventLog(Protocol):
    async def claim_event(self, event_id: str, *, now: datetime | None = None) -> bool:
        """True the first time ``event_id`` is seen, False for every redelivery."""
        ...

    async def record_intake(
        self, event_id: str, kind: str, payload_json: str, *, now: datetime | None = None
    ) -> bool:
        """Record a received command before handling it; False if it was already recorded."""
        ...

    async def complete_intake(self, event_id: str, *, now: datetime | None = None) -> bool:
        """Mark it finished or answered, and forget its payload; False if unknown or done."""
        ...

    async def intake_fetch_failed(self, event_id: str) -> int:
        """Count one more failed fetch of an unfinished command; returns the count so far
        (0 when it is unknown or finished)."""
        ...

    async def abandon_intake(self, event_id: str, *, now: datetime | None = None) -> bool:
        """Give up on an unfinished command for good: finished, marked abandoned, payload
        forgotten. True for the one caller that did it; False if unknown or already done."""
        ...

    async def pending_intake(
        self, older_than_seconds: float, *, now: datetime | None = None, limit: int = 100
    ) -> list[Intake]:
        """Unfinished commands not touched for ``older_than_seconds``, oldest first.

        Each row returned is leased to this caller: its ``attempts`` goes up and its clock
        restarts, so another replica asking at the same moment does not get it too, and it
        comes back only if this caller, too, leaves it unfinished for ``older_than_seconds``.
        """
        ...


class CreateKeys(Protocol):
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
        ...

    async def complete_create(
        self, key: str, result_json: str, *, now: datetime | None = None
    ) -> bool:
        """PENDING → DONE with the answer to give any redelivery; False if not pending."""
        ...

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
        ...

    async def get_create(self, key: str) -> CreateRecord | None: ...

    async def pending_creates(
        self, older_than_seconds: float, *, now: datetime | None = None
    ) -> list[CreateRecord]:
        """Keys PENDING for longer than ``older_than_seconds``: owners that died mid-create.

        Choose ``older_than_seconds`` above the longest a create call may take (timeouts and
        retries included), or reconciliation may race a POST still in flight.
        """
        ...


class NonceStore(Protocol):
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
        ...

    async def attach_message(self, nonce: str, message_id: str) -> bool:
        """Bind the card's message id once it is posted; False if unknown or bound elsewhere."""
        ...

    async def get_nonce(self, nonce: str) -> CardNonce | None: ...

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
        ...


class Approvals(Protocol):
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
        ...

    async def get_approval(self, approval_id: str) -> Approval | None: ...

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
        ...

    async def expire_approvals(self, now: datetime | None = None) -> list[Approval]:
        """Mark every pending approval past its expiry EXPIRED and return those, each once."""
        ...


class AuditLog(Protocol):
    async def append_audit(self, record: AuditRecord) -> int:
        """Append one row (secrets stripped from ``request``); returns its id."""
        ...

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
        ...


class TokenStore(Protocol):
    async def save_tokens(self, key: str, blob: str, *, now: datetime | None = None) -> None:
        """Keep the token manager's blob (the rotated refresh token) across restarts."""
        ...

    async def load_tokens(self, key: str) -> str | None: ...


class Store(EventLog, CreateKeys, NonceStore, Approvals, AuditLog, TokenStore, Protocol):
    """Everything durable, in one place: SQLite for one process, PostgreSQL for replicas."""

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        ...

    async def migrate(self) -> int:
        """Bring the schema to the latest version (``open_store`` does); returns the version."""
        ...

    async def schema_version(self) -> int: ...

    async def prune(self, *, keep_seconds: float, now: datetime | None = None) -> int:
        """Delete housekeeping rows older than ``keep_seconds``; never audit rows.

        Handled events, completed intake, finished create keys, dead nonces and decided
        approvals. Keep at least as long as Webex may redeliver (a day is plenty).
        Returns how many rows went.
        """
        ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
