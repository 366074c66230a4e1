"""Card nonces: bearer capabilities bound to a space, a person and a card, used once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.store.common import Part, Row, dt, json_text, opt_dt
from bot.store.models import CardNonce, NonceOutcome, NonceResult

# 24 bytes = 192 bits: card nonces are bearer capabilities.
_NONCE_BYTES = 24


class Nonces(Part):
    """Card nonces (part of :class:`bot.store.sql.SqlStore`)."""

    @staticmethod
    def _nonce(row: Row) -> CardNonce:
        return CardNonce(
            nonce=row["nonce"],
            purpose=row["purpose"],
            room_id=row["room_id"],
            person_id=row["person_id"],
            message_id=row["message_id"],
            payload_json=row["payload"],
            created_at=dt(row["created_at"]),
            expires_at=dt(row["expires_at"]),
            used_at=opt_dt(row["used_at"]),
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
                json_text(payload_json),
                at,
                at + timedelta(seconds=ttl_seconds),
            ],
        )
        return nonce

    async def attach_message(self, nonce: str, message_id: str) -> bool:
        """Bind the card's message id once it is posted; False if unknown or bound elsewhere."""
        return await self._changed(
            "UPDATE card_nonces SET message_id = ?"
            " WHERE nonce = ? AND (message_id IS NULL OR message_id = ?) RETURNING nonce",
            [message_id, nonce, message_id],
        )

    async def get_nonce(self, nonce: str) -> CardNonce | None:
        return await self._one(self._nonce, "SELECT * FROM card_nonces WHERE nonce = ?", [nonce])

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
