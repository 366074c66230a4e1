"""Every command the router knows, declared in one place: text commands and card commands.

Each declares its action and how its scope is read (bot.router.Command); the router's gate
decides before any handler runs. A command without a known action fails at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.router import CardCheck, CardReader, Command
from commands import approval, audit, card_actions, cardkit, create_trunk, help

if TYPE_CHECKING:
    from bot.app import Services


def all_commands(services: Services) -> list[Command]:
    """Every command, bound to the services it needs."""
    return [
        create_trunk.command(services),
        help.command(services),
        audit.command(services),
        *card_actions.commands(services),
        approval.command(services),
    ]


def card_reader(services: Services) -> tuple[CardReader, CardCheck]:
    """Reads a submission (ours, this space, this card, an offered verb), then checks the
    person is the one it is for (after the router knows which command it is)."""
    return cardkit.reader(services), cardkit.check_person
