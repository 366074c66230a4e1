"""The store's interface: what the bot may ask of its durable state, and nothing more.

Every step that decides something (the first claim of an event, the owner of a create key,
the one use of a nonce, the one decision on an approval) is a single atomic SQL statement
keyed on a unique constraint, so it holds across tasks, processes and replicas alike; no
lock lives in memory. Times default to the store's clock; pass ``now`` to pin them.

There is one implementation, :class:`~bot.store.sql.SqlStore` (over SQLite or PostgreSQL),
and its methods are the interface: :data:`Store` names it, so nothing restates their
signatures. :class:`AuditLog` is the narrow part the router depends on (a test may hand it
something smaller); mypy checks below that the store provides it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeAlias

from bot.store.models import AuditRecord
from bot.store.sql import SqlStore

#: The bot's durable state: the one implementation is the interface.
Store: TypeAlias = SqlStore


class AuditLog(Protocol):
    """The audit trail: append-only rows, read back with filters (see :class:`SqlStore`)."""

    async def append_audit(self, record: AuditRecord) -> int: ...

    async def list_audit(
        self,
        *,
        since: datetime | None = None,
        person: str | None = None,
        location: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> list[AuditRecord]: ...


if TYPE_CHECKING:

    def _the_store_is_an_audit_log(store: Store) -> AuditLog:
        return store  # mypy: SqlStore provides every AuditLog method, signatures included
