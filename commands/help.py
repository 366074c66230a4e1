"""`help`: what this person may do, from the policy — never a list of things they can't."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import replies
from bot.events import Context
from bot.router import Handler

if TYPE_CHECKING:
    from bot.app import Services


def handler(services: Services) -> Handler:
    async def run(ctx: Context, _args: str) -> None:
        ev = ctx.event
        actions = await services.policy.actions_for(ev.actor, ev.space, services.membership)
        await ctx.reply(
            replies.help_text(
                actions, direct=ev.space.is_direct, policy_problem=services.policy.problem
            )
        )

    return run
