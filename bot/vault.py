"""Typed passwords between a card step and the change, in memory only, never stored."""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TLRUCache
from pydantic import SecretStr

MAX_PASSWORDS = 10_000


class PasswordVault:
    """Typed passwords between a card step and the change, in memory only, never stored.

    A restart forgets them (the person is asked to submit again): better than a password in
    the database. Each entry expires with its card (or its approval); at most
    ``maxsize`` are kept, the least recently used going first.
    """

    def __init__(
        self, *, maxsize: int = MAX_PASSWORDS, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._timer = timer
        self._items: TLRUCache[str, tuple[float, SecretStr]] = TLRUCache(
            maxsize=maxsize, ttu=lambda _key, item, _now: item[0], timer=timer
        )

    def put(self, key: str, password: SecretStr, ttl: float) -> None:
        self._items[key] = (self._timer() + ttl, password)

    def get(self, key: str) -> SecretStr | None:
        item = self._items.get(key)
        return item[1] if item else None

    def pop(self, key: str) -> SecretStr | None:
        item = self._items.pop(key, None)
        return item[1] if item else None
