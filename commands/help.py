"""`help`: what this person may do, from the policy — never a list of things they can't."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot import replies
from bot.events import Context
from bot.gate import PUBLIC, Permit
from bot.router import Command, Scope

if TYPE_CHECKING:
    from bot.services import Services


def command(services: Services, registry: Callable[[], Sequence[Command]]) -> Command:
    """``registry``: every registered command; help lists those this person may use, so it
    can't promise a command that doesn't exist."""

    async def run(ctx: Context, _permit: Permit, _scope: Scope) -> None:
        ev = ctx.event
        policy = services.gate.policy
        actions = await policy.actions_for(ev.actor, ev.space, services.gate.membership)
        usages = [
            c.usage.replace("{password}", ", `password=<password>`" if ev.space.is_direct else "")
            for c in registry()
            if c.words and c.usage and c.action in actions
        ]
        await ctx.reply(replies.help_text(usages, policy_problem=policy.problem))

    return Command(
        action=PUBLIC,
        words=("help",),
        handler=run,
        example="help",
        usage="`help` — this list",
    )
