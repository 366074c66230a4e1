"""The explicit list of commands the router knows, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.events import Context
from bot.router import Command, Handler

if TYPE_CHECKING:
    from bot.app import Services


def card_handler(services: Services) -> Handler:
    """Every card submission goes here (commands/card_actions.py)."""
    from commands import card_actions

    async def run(ctx: Context, _args: str) -> None:
        await card_actions.handle(services, ctx)

    return run


def all_commands(services: Services) -> list[Command]:
    """Every command, bound to the services it needs."""
    from commands import audit, create_trunk, help

    return [
        Command(("create", "trunk"), "trunk.create", create_trunk.handler(services)),
        Command(("help",), None, help.handler(services)),
        Command(("audit",), "audit.read", audit.handler(services)),
    ]
