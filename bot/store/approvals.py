"""Approvals: a pending request, the first decision on it, and expiry reported once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.store.common import Part, Row, dt, json_text, opt_dt
from bot.store.models import Approval, ApprovalOutcome, ApprovalResult, ApprovalStatus

# 18 bytes: approval ids are only ever compared, never guessed at.
_APPROVAL_BYTES = 18


class Approvals(Part):
    """Approvals (part of :class:`bot.store.sql.SqlStore`)."""

    @staticmethod
    def _approval(row: Row) -> Approval:
        return Approval(
            approval_id=row["approval_id"],
            request_json=row["request"],
            requester_id=row["requester_id"],
            approvers_room=row["approvers_room"],
            status=ApprovalStatus(row["status"]),
            created_at=dt(row["created_at"]),
            expires_at=dt(row["expires_at"]),
            approver_id=row["approver_id"],
            decided_at=opt_dt(row["decided_at"]),
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
                json_text(request_json),
                requester_id,
                approvers_room,
                at,
                at + timedelta(seconds=ttl_seconds),
            ],
        )
        return approval_id

    async def get_approval(self, approval_id: str) -> Approval | None:
        return await self._one(
            self._approval, "SELECT * FROM approvals WHERE approval_id = ?", [approval_id]
        )

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
