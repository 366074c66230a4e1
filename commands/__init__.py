"""The explicit list of commands the router knows, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.router import Command

if TYPE_CHECKING:
    from bot.app import Services


def all_commands(services: Services) -> list[Command]:
    """Every command, bound to the services it needs."""
    from commands import create_trunk, help

    return [
        Command(("create", "trunk"), "trunk.create", create_trunk.handler(services)),
        Command(("help",), None, help.handler(services)),
    ]
