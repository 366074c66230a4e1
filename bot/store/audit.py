"""The audit trail: append-only rows (secrets stripped), read back with filters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.store.common import Part, Row, dt, json_value, utc
from bot.store.models import AuditRecord
from bot.store.redact import scrub_text, strip_secrets


class Audit(Part):
    """The audit trail (part of :class:`bot.store.sql.SqlStore`)."""

    _AUDIT_COLUMNS = (
        "at, event_id, person_id, email, room_id, action, location_id, location_name,"
        " request, decision, reason, approver_id, result, trunk_id, status, error_code,"
        " tracking_id, duration_ms"
    )

    async def append_audit(self, record: AuditRecord) -> int:
        """Append one row (secrets stripped from ``request``); returns its id."""
        if record.decision not in ("allowed", "refused"):
            raise ValueError(f"decision must be 'allowed' or 'refused', not {record.decision!r}")
        request = None if record.request is None else json_value(strip_secrets(record.request))
        rows = await self._db.fetch(
            f"INSERT INTO audit ({self._AUDIT_COLUMNS})"  # noqa: S608  -- constant column list
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                utc(record.at),
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
            params.append(utc(since))
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
            at=dt(row["at"]),
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


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {"value": value}
