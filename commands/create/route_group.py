"""``route-group=`` on a create: the requester's permit for the group, asked before anything
is created, and the new trunk joining its group after (made if missing)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.errors import NotAllowed, UsageError, WebexError
from bot.events import Context
from bot.gate import Permit
from bot.webex.errors import user_sentence
from bot.webex.routing import RoutingAdmin, add_after_create_failed, added_sentence
from commands.create.prepare import Prepared

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

ROUTE_GROUP_ACTION = "routegroup.write"  # `route-group=`: the new trunk joins that group
ROUTE_GROUP_NEEDS_APPROVAL = (
    "Changing route groups needs a second person's approval for you, so `route-group=` can't "
    "come with a create. Create the trunk without it, then ask for `add trunk <name> to "
    "route group <group>`."
)


async def route_group_permit(services: Services, ctx: Context, prepared: Prepared) -> Permit | None:
    """With ``route-group=``: the requester's ``routegroup.write`` on the trunk's location,
    asked now, before anything is created (NotAllowed when they don't have it)."""
    if not prepared.request.route_group:
        return None
    ev = ctx.event
    permit = await services.gate.reauthorize(
        ev.actor, ev.space, ROUTE_GROUP_ACTION, prepared.org_id, prepared.location
    )
    if permit.needs_approval:
        raise NotAllowed(ROUTE_GROUP_NEEDS_APPROVAL, reason="route-group= needs approval")
    return permit


async def join_route_group(
    services: Services, ctx: Context, prepared: Prepared, trunk_id: str, permit: Permit
) -> None:
    """Put the new trunk in its route group (made if missing). A failure leaves the trunk
    created and says so, with what to retry; a retry finds it there already."""
    req, org_id = prepared.request, prepared.org_id
    group = str(req.route_group)
    permit.check_write(ROUTE_GROUP_ACTION, org_id, prepared.location.id)
    try:
        added = await RoutingAdmin(services.calling).add_trunk(
            trunk_id, group, org_id=org_id, create_missing=True
        )
    except (WebexError, UsageError) as exc:
        log.warning("trunk.route_group_failed", extra={"trunk_id": trunk_id})
        sentence = user_sentence(exc) if isinstance(exc, WebexError) else exc.user_message
        await ctx.reply(add_after_create_failed(req.name, group, sentence))
        return
    await ctx.reply(added_sentence(req.name, added))
