"""The gate, in order, around a command's handler: the action (before anything typed is
read), the org (before any Webex call about it), the location; then the handler, with the
permit the gate gave."""

from __future__ import annotations

from bot.events import Context
from bot.gate import NO_TARGET, PUBLIC, Gate
from bot.router.declare import Command, LocationFinder, OrgResolver, Request, Scope
from bot.webex.models import Location


async def run_gated(
    ctx: Context,
    command: Command,
    request: Request,
    *,
    gate: Gate,
    resolve_org: OrgResolver,
    find_location: LocationFinder,
) -> None:
    """Run ``command`` for ``request`` only as far as the gate admits it; what it refuses
    raises (the router's boundary answers it)."""
    ev = ctx.event
    ctx.audit.action = None if command.action == PUBLIC else command.action
    if command.action == PUBLIC:
        permit = await gate.admit(ev.actor, ev.space, PUBLIC)
        await command.handler(ctx, permit, Scope(request=request))
        return
    await gate.admit(ev.actor, ev.space, command.action)
    scope = await command.scope(ctx, request)
    org: str | object | None = NO_TARGET
    if scope.org is not NO_TARGET:
        org = await resolve_org(scope.org if isinstance(scope.org, str) else None)
    permit = await gate.admit(ev.actor, ev.space, command.action, org)
    location: Location | None = None
    if scope.location is not None:
        location = await find_location(scope.location, permit.org_id, permit)
    elif scope.locate is not None:
        location = await scope.locate(permit)
    if location is not None:
        ctx.audit.location_id, ctx.audit.location_name = location.id, location.name
        permit = await gate.narrow(permit, location)
    await command.handler(ctx, permit, scope)
