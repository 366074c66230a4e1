"""The store's own failure: its database did not answer when opened.

A bad URL is a :class:`bot.errors.ConfigError` (exit code 2). A database that fails later,
mid-command, raises the driver's own error: that is the router's "unexpected" path, logged
with an incident id and answered generically.
"""

from __future__ import annotations

from bot.errors import BotError


class StoreUnavailable(BotError):
    """The database did not answer, or refused us, when the store was opened."""
