"""`add trunk <trunk> to route group <name> [priority=<n>] [org=…]` (``routegroup.write``,
on the trunk's location).

Reads the group, appends the trunk (the next free priority unless given), PUTs the whole
``localGateways`` list back (Webex replaces it) and reports the members; a trunk already in
the group is answered "already there" and nothing is written. Made once per request: the
message's key is claimed in the store before the PUT, so a redelivery gets the first answer.
Approval where the grant requires it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot.errors import UsageError, WebexError
from bot.events import Context
from bot.gate import Permit
from bot.router import Command, Request, Scope
from bot.store import ClaimStatus
from bot.webex.models import TrunkSummary
from bot.webex.routing import RoutingAdmin, added_sentence
from commands.approvals import Executor, ask_approval
from commands.args import take_target
from commands.gateway import words
from commands.gateway.reading import number, read_keys, split_words, the_trunk, trunk_locator
from commands.gateway.replay import answered, key_failed

if TYPE_CHECKING:
    from bot.services import Services

ACTION = "routegroup.write"
NAME = "add trunk"
KIND = "routegroup"
KEYS = frozenset({"priority", "org"})
_TO_GROUP = re.compile(r"to\s+route[\s-]*group\s+(?P<rest>.+)$", re.IGNORECASE | re.DOTALL)


@dataclass
class AddRequest:
    target: str
    group: str
    priority: int | None
    trunk: list[TrunkSummary] = field(default_factory=list)


def read_request(args: str) -> tuple[AddRequest, str | None]:
    """The trunk, the group's name (quoted, or the words up to the first ``key=``), the
    options; and the ``org=`` asked for."""
    target, rest = take_target(args)
    match = _TO_GROUP.match(rest)
    if target is None or match is None:
        raise UsageError(words.ADD_FORM)
    tail = split_words(NAME, match.group("rest"))
    name_words: list[str] = []
    while tail and "=" not in tail[0]:
        name_words.append(tail.pop(0))
    group = " ".join(name_words).strip()
    if not group:
        raise UsageError(words.ADD_FORM)
    keys = read_keys(NAME, tail, KEYS)
    priority = number("priority", keys.get("priority"), low=1, high=100)
    return AddRequest(target, group, priority), keys.get("org") or None


def command(services: Services) -> Command:
    async def scope(_ctx: Context, request: Request) -> Scope:
        parsed, org = read_request(request.args)
        return Scope(
            org=org,
            parsed=parsed,
            request=request,
            locate=trunk_locator(services, parsed.target, parsed.trunk),
        )

    async def handler(ctx: Context, permit: Permit, scope_: Scope) -> None:
        parsed: AddRequest = scope_.parsed
        trunk = the_trunk(parsed.trunk)
        location = permit.location
        stored: dict[str, Any] = {
            "trunk_id": trunk.id,
            "trunk": trunk.name,
            "group": parsed.group,
            "priority": parsed.priority,
            "summary": {
                "name": trunk.name,
                "org": permit.org_id,
                "location_id": location.id if location else "",
                "location": location.name if location else "",
            },
        }
        ctx.audit.trunk_id = trunk.id
        ctx.audit.request = {"trunk": trunk.name, "route-group": parsed.group}
        if permit.needs_approval:
            facts = [
                ("Trunk", trunk.name),
                ("Route group", parsed.group),
                ("Location", location.name if location else "?"),
            ]
            if parsed.priority is not None:
                facts.append(("Priority", str(parsed.priority)))
            await ask_approval(
                services,
                ctx,
                permit,
                kind=KIND,
                name=words.add_name(trunk.name, parsed.group),
                summary=stored["summary"],
                facts=facts,
                password=None,
                extra={k: v for k, v in stored.items() if k != "summary"},
            )
            return
        ev = ctx.event
        await add(services, ctx, permit, stored, key=f"{KIND}:message:{ev.message_id or ev.id}")

    return Command(
        action=ACTION,
        words=("add", "trunk"),
        scope=scope,
        handler=handler,
        example="add trunk lifecycle-1 to route group EU-LGWs",
        usage=words.ADD_USAGE,
    )


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    return {KIND: (ACTION, _approved)}


async def _approved(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], _pw: SecretStr | None
) -> None:
    await add(services, ctx, permit, stored, key=f"{KIND}:{ctx.event.id}")


async def add(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], *, key: str
) -> None:
    """Claim ``key``, then add the trunk once and answer (or give the first answer again)."""
    summary = stored["summary"]
    org_id, location_id = summary.get("org"), str(summary.get("location_id", ""))
    permit.check_write(ACTION, org_id, location_id)
    trunk_id, trunk, group = str(stored["trunk_id"]), str(stored["trunk"]), str(stored["group"])
    claim = await services.store.begin_create(
        key, name=trunk, org_id=org_id, location_id=location_id, requester=ctx.event.actor.person_id
    )
    if claim.status is not ClaimStatus.OWNER:
        await answered(services, ctx, key, trunk)
        return
    try:
        added = await RoutingAdmin(services.calling).add_trunk(
            trunk_id, group, priority=stored.get("priority"), org_id=org_id
        )
    except (WebexError, UsageError) as exc:
        await key_failed(services, key, exc)
        raise
    sentence = added_sentence(trunk, added)
    ctx.audit.result = "already-there" if added.already else "added"
    await services.store.complete_create(key, json.dumps({"sentence": sentence}))
    await ctx.reply(sentence)
