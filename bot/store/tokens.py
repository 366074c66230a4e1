"""The service app's token blob (its rotated refresh token), kept across restarts."""

from __future__ import annotations

from datetime import datetime

from bot.store.common import Part


class Tokens(Part):
    """Service app tokens (part of :class:`bot.store.sql.SqlStore`)."""

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
