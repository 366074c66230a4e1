"""Moving the store's clock instead of sleeping: card, nonce and approval expiry in tests."""

from __future__ import annotations

from datetime import timedelta

from bot.store import Store
from bot.store.models import utcnow


class StoreClock:
    """Takes over ``store.clock``: real time plus however far :meth:`advance` has moved it."""

    def __init__(self, store: Store) -> None:
        self.offset = timedelta()
        store.clock = lambda: utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)
