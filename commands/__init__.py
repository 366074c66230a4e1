"""Every command the router knows, declared in one place, and the jobs features run.

Each feature is a package or module owning its grammar, flow and cards; each command
declares its action and how its scope is read (bot.router.Command), and the router's gate
decides before any handler runs. A command without a known action fails at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.events import Job
from bot.router import CardCheck, CardReader, Command
from commands import approvals, audit, bulk, cardkit, create, gateway, help, lifecycle

if TYPE_CHECKING:
    from bot.services import Services


def all_commands(services: Services) -> list[Command]:
    """Every command, bound to the services it needs."""
    registry: list[Command] = []
    registry += [
        *create.commands(services),
        *lifecycle.commands(services),
        *bulk.commands(services),
        *gateway.commands(services),
        approvals.command(
            services,
            {
                **create.approval_kinds(),
                **lifecycle.approval_kinds(),
                **gateway.approval_kinds(),
                **bulk.approval_kinds(),
            },
        ),
        help.command(services, lambda: registry),
        audit.command(services),
    ]
    return registry


def card_reader(services: Services) -> tuple[CardReader, CardCheck]:
    """Reads a submission (ours, this space, this card, an offered verb), then checks the
    person is the one it is for (after the router knows which command it is)."""
    return cardkit.reader(services), cardkit.check_person


def all_jobs(services: Services) -> list[Job]:
    """What the intake runs every minute: each feature's housekeeping."""
    return [*create.jobs(services), *bulk.jobs(services), *gateway.jobs(services)]
