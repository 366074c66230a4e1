"""What the store hands back: frozen records and the outcome of each atomic step.

Every time is an aware UTC ``datetime``. JSON goes in and comes out as ``str`` (the caller
owns its shape); PostgreSQL may normalise the text (key order, spacing), so parse it, don't
compare it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- handled events and durable intake ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Intake:
    """A command received but not yet finished (or answered)."""

    event_id: str
    kind: str
    payload_json: str | None  # None once completed: the raw command may hold a password
    received_at: datetime
    attempts: int  # how many times pending_intake handed it out, this time included
    completed_at: datetime | None = None
    fetch_failures: int = 0  # how many times fetching it again from Webex failed


# --- idempotency keys for trunk creates ---------------------------------------------------


class CreateState(StrEnum):
    PENDING = "pending"  # an owner may be POSTing right now
    DONE = "done"  # created; result_json holds what the first answer said
    FAILED = "failed"  # failed for good; error_json holds why, a redelivery gets it again
    RELEASED = "released"  # failed and certainly created nothing; the next begin_create owns it


@dataclass(frozen=True, slots=True)
class CreateRecord:
    key: str
    name: str
    org_id: str | None
    location_id: str
    requester: str
    state: CreateState
    attempts: int  # how many owners this key has had
    result_json: str | None
    error_json: str | None
    created_at: datetime
    updated_at: datetime


class ClaimStatus(StrEnum):
    OWNER = "owner"  # yours: POST, then complete_create or fail_create
    DONE = "done"  # already created: answer with record.result_json, POST nothing
    FAILED = "failed"  # already failed for good: answer with record.error_json
    IN_PROGRESS = "in_progress"  # someone else holds it pending: POST nothing


@dataclass(frozen=True, slots=True)
class CreateClaim:
    """The answer to ``begin_create``: who owns this key, or what became of it."""

    status: ClaimStatus
    record: CreateRecord

    @property
    def owner(self) -> bool:
        return self.status is ClaimStatus.OWNER


# --- card nonces --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardNonce:
    nonce: str
    purpose: str
    room_id: str
    person_id: str  # the person the card was made for
    message_id: str | None  # the card's message; None until attach_message
    payload_json: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by: str | None = None  # the person whose submission used it


class NonceOutcome(StrEnum):
    OK = "ok"  # live, this room, this card: now marked used, by this call only
    UNKNOWN = "unknown"  # no such nonce (forged, or pruned long ago)
    EXPIRED = "expired"
    USED = "used"  # a double click, a replay: the first submission already won
    WRONG_ROOM = "wrong_room"  # the submission came from another space
    WRONG_MESSAGE = "wrong_message"  # not the card this nonce was posted with
    WRONG_PERSON = "wrong_person"  # someone other than the card's person (when required)


@dataclass(frozen=True, slots=True)
class NonceResult:
    outcome: NonceOutcome
    record: CardNonce | None  # None only when UNKNOWN

    @property
    def ok(self) -> bool:
        return self.outcome is NonceOutcome.OK


# --- approvals ----------------------------------------------------------------------------


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Approval:
    approval_id: str
    request_json: str
    requester_id: str
    approvers_room: str
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    approver_id: str | None = None
    decided_at: datetime | None = None


class ApprovalOutcome(StrEnum):
    APPROVED = "approved"  # this call decided it
    REJECTED = "rejected"  # this call decided it
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    ALREADY_DECIDED = "already_decided"  # someone else decided first; record says how


@dataclass(frozen=True, slots=True)
class ApprovalResult:
    outcome: ApprovalOutcome
    record: Approval | None  # None only when UNKNOWN

    @property
    def decided(self) -> bool:
        """True when *this* call made the decision."""
        return self.outcome in (ApprovalOutcome.APPROVED, ApprovalOutcome.REJECTED)


# --- audit trail --------------------------------------------------------------------------

Decision = Literal["allowed", "refused"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One attempt, allowed or refused. ``request`` is stored without any secret."""

    action: str  # "trunk.create", "audit.read", …
    decision: Decision
    at: datetime = field(default_factory=utcnow)
    event_id: str | None = None
    person_id: str | None = None
    email: str | None = None
    room_id: str | None = None
    location_id: str | None = None
    location_name: str | None = None
    request: Mapping[str, Any] | None = None
    reason: str | None = None
    approver_id: str | None = None
    result: str | None = None  # "created", "failed", "refused", "duplicate", …
    trunk_id: str | None = None
    status: int | None = None  # Webex's HTTP status
    error_code: int | None = None  # Webex's errorCode
    tracking_id: str | None = None
    duration_ms: int | None = None
    id: int | None = None  # set by the store on the way out; ascending in insertion order


# --- trunks watched until their gateway registers -------------------------------------------


@dataclass(frozen=True, slots=True)
class TrunkWatch:
    """A trunk whose status is looked at until it is online or ``deadline`` passes."""

    trunk_id: str
    name: str
    org_id: str | None
    requester: str  # the person to tell, 1:1
    email: str | None
    attempts: int  # how many times its status was asked
    created_at: datetime
    next_at: datetime
    deadline: datetime
