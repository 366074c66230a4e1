"""Typed passwords between a card step and the create, in memory only, never stored."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pydantic import SecretStr


@dataclass
class PasswordVault:
    """Typed passwords between a card step and the create, in memory only, never stored.

    A restart forgets them (the person is asked to submit again): better than a password in
    the database. Entries expire with their card.
    """

    _items: dict[str, tuple[float, SecretStr]] = field(default_factory=dict)

    def put(self, key: str, password: SecretStr, ttl: float) -> None:
        self._purge()
        self._items[key] = (time.monotonic() + ttl, password)

    def get(self, key: str) -> SecretStr | None:
        self._purge()
        item = self._items.get(key)
        return item[1] if item else None

    def pop(self, key: str) -> SecretStr | None:
        self._purge()
        item = self._items.pop(key, None)
        return item[1] if item else None

    def _purge(self) -> None:
        now = time.monotonic()
        for key in [k for k, (exp, _) in self._items.items() if exp < now]:
            del self._items[key]
