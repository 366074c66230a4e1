"""An audit row as its readers get it: the fields chosen here and nothing else, the few
scalars of ``request`` a reader needs (never the request as a whole), times in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.store import AuditRecord

#: The columns of CSV and the keys of JSON, in order.
FIELDS: tuple[str, ...] = (
    "id",
    "at",
    "action",
    "decision",
    "reason",
    "email",
    "person_id",
    "room_id",
    "event_id",
    "location_name",
    "location_id",
    "trunk_name",
    "trunk_type",
    "org_id",
    "approver_id",
    "result",
    "trunk_id",
    "status",
    "error_code",
    "tracking_id",
    "duration_ms",
)

# Output field → the request key it is read from. Nothing else of a request is ever shown.
_REQUEST_FIELDS = {"trunk_name": "name", "trunk_type": "type", "org_id": "org"}

Value = str | int | None


def request_value(record: AuditRecord, key: str) -> str | None:
    """One scalar of the request (``name``, ``type``, ``org``), or None; never a structure."""
    if record.request is None:
        return None
    value = record.request.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def iso(at: datetime) -> str:
    """``2026-11-02T14:05:07.123Z``: UTC, milliseconds (rows a moment apart stay apart)."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def flatten(record: AuditRecord) -> dict[str, Value]:
    """The row as :data:`FIELDS` → value: what CSV and JSON print."""
    row: dict[str, Value] = {
        "id": record.id,
        "at": iso(record.at),
        "action": record.action,
        "decision": record.decision,
        "reason": record.reason,
        "email": record.email,
        "person_id": record.person_id,
        "room_id": record.room_id,
        "event_id": record.event_id,
        "location_name": record.location_name,
        "location_id": record.location_id,
        "approver_id": record.approver_id,
        "result": record.result,
        "trunk_id": record.trunk_id,
        "status": record.status,
        "error_code": record.error_code,
        "tracking_id": record.tracking_id,
        "duration_ms": record.duration_ms,
    }
    for out, key in _REQUEST_FIELDS.items():
        row[out] = request_value(record, key)
    return {name: row[name] for name in FIELDS}
