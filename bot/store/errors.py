"""The store's own failures: its database did not answer when opened, or later.

A bad URL is a :class:`bot.errors.ConfigError`, and so is a database that does not answer
at start (:class:`StoreUnavailable`): the process cannot do anything useful, so it stops
with one sentence and exit code 2 before it takes any work. A database that fails later,
mid-command, is :class:`StoreDown`: an expected failure whose sentence is
:data:`STORE_DOWN`, so the router answers the person "try again shortly" (never an
incident), readiness probes turn false, and nothing acknowledged is lost (see
:mod:`bot.transports.webhook`; over the websocket the command was not done and the person
is told to send it again).
"""

from __future__ import annotations

from bot.errors import BotError, ConfigError

STORE_DOWN = "The bot can't reach its database right now; try again shortly."


class StoreUnavailable(ConfigError):
    """The database did not answer, or refused us, when the store was opened."""


class StoreDown(BotError):
    """The database stopped answering mid-command (connection lost, pool wait ran out);
    nothing of the statement was done, or it is as if it wasn't (one statement, autocommit
    or one transaction)."""

    def __init__(self, user_message: str = STORE_DOWN) -> None:
        super().__init__(user_message)
