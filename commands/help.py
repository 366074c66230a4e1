"""`help`: what this person may do, from the policy — never a list of things they can't."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import replies
from bot.events import Context
from bot.gate import PUBLIC, Permit
from bot.router import Command, Scope

if TYPE_CHECKING:
    from bot.services import Services


def command(services: Services) -> Command:
    async def run(ctx: Context, _permit: Permit, _scope: Scope) -> None:
        ev = ctx.event
        policy = services.gate.policy
        actions = await policy.actions_for(ev.actor, ev.space, services.gate.membership)
        await ctx.reply(
            replies.help_text(actions, direct=ev.space.is_direct, policy_problem=policy.problem)
        )

    return Command(action=PUBLIC, words=("help",), handler=run, example="help")
