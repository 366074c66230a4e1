"""The store's own failure: its database did not answer when opened.

A bad URL is a :class:`bot.errors.ConfigError`, and so is a database that does not answer
at start (:class:`StoreUnavailable`): the process cannot do anything useful, so it stops
with one sentence and exit code 2 before it takes any work. A database that fails later,
mid-command, raises the driver's own error: the transports tell readiness probes and the
person ("try again shortly"), and nothing acknowledged is lost (see
:mod:`bot.transports.webhook`).
"""

from __future__ import annotations

from bot.errors import ConfigError


class StoreUnavailable(ConfigError):
    """The database did not answer, or refused us, when the store was opened."""
