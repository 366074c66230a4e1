"""Creating a trunk: the text command, the form and summary cards, approval, and the
maintenance jobs that settle what a crash or the clock left open.

    text.py        `create trunk …`: scope, form, confirm, approval or create
    card_steps.py  the form (Review) and summary (Create) cards as gated commands
    prepare.py     prepare_create: the checks against Webex before anything is made
    flow.py        execute: the create, once per idempotency key; approvals' executor
    result.py      the answer: result card, the 1:1 password and gateway configuration
    route_group.py route-group=: the permit before, the join after
    reconcile.py   pending creates and expired approvals (jobs the intake runs)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.events import Job, Outbox
from bot.router import Command
from commands.approvals import Executor
from commands.create import card_steps, flow, prepare, text
from commands.create.reconcile import expire_approvals, reconcile_creates

if TYPE_CHECKING:
    from bot.services import Services


def commands(services: Services) -> list[Command]:
    return [text.command(services), *card_steps.commands(services)]


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    """What an approved create needs and does (commands.approvals)."""
    return {"create": (prepare.ACTION, flow.execute_approved)}


def jobs(services: Services) -> list[Job]:
    """Reconcile creates left pending, then close approvals nobody decided in time."""

    async def creates(outbox: Outbox, stale_after: float) -> object:
        return await reconcile_creates(services, outbox, older_than=stale_after)

    async def approvals(outbox: Outbox, _stale_after: float) -> object:
        return await expire_approvals(services, outbox)

    return [creates, approvals]
