"""`connect location=<location> to trunk=<trunk>` or `… to route-group=<name>`
(``pstn.write``, on that location).

Sets the location's premises PSTN connection (``PUT /telephony/config/locations/{id}`` with
``connection: {type, id}``) after a summary card that names the current connection and warns
that calls will route differently (unless the grant says ``confirm = false``); approval where
the grant requires it; one PUT per key (the card's nonce, the message, the approval). A
location whose PSTN is a subscription (cloud-connected PSTN) is refused: the API can't
change it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import cards, replies
from bot.errors import CardRefused, UsageError, WebexError
from bot.events import Context
from bot.gate import Permit
from bot.router import CardSubmission, Command, Request, Scope
from bot.store import ClaimStatus
from bot.webex.routing import ROUTE_GROUP, TRUNK, RoutingAdmin, TelephonyLocation
from commands import cardkit
from commands.approvals import Executor, ask_approval
from commands.cardkit import CONNECT, consume
from commands.gateway import cards as gcards
from commands.gateway import words
from commands.gateway.reading import read_keys, split_words
from commands.gateway.replay import answered, key_failed

if TYPE_CHECKING:
    from bot.services import Services

ACTION = "pstn.write"
NAME = "connect"
KEYS = frozenset({"location", "trunk", "route-group", "org"})


def read_request(args: str) -> tuple[str, str, str, str | None]:
    """(location, TRUNK | ROUTE_GROUP, the target as typed, org)."""
    parts = split_words(NAME, args)
    if "to" not in [p.casefold() for p in parts]:
        raise UsageError(words.CONNECT_FORM)
    keys = read_keys(NAME, [p for p in parts if p.casefold() != "to"], KEYS)
    location = keys.get("location")
    targets = [k for k in ("trunk", "route-group") if k in keys]
    if not location or len(targets) != 1:
        raise UsageError(words.CONNECT_FORM)
    kind = TRUNK if targets[0] == "trunk" else ROUTE_GROUP
    return location, kind, keys[targets[0]], keys.get("org") or None


def commands(services: Services) -> list[Command]:
    async def scope(_ctx: Context, request: Request) -> Scope:
        location, kind, target, org = read_request(request.args)
        return Scope(org=org, location=location, parsed=(kind, target), request=request)

    async def handler(ctx: Context, permit: Permit, scope_: Scope) -> None:
        kind, target = scope_.parsed
        await propose(services, ctx, permit, kind, target)

    return [
        Command(
            action=ACTION,
            words=("connect",),
            scope=scope,
            handler=handler,
            example="connect location=Madrid to trunk=lifecycle-1",
            usage=words.CONNECT_USAGE,
        ),
        Command(
            action=ACTION,
            purpose=CONNECT,
            scope=_card_scope,
            handler=lambda ctx, permit, scope_: _confirmed(services, ctx, permit, scope_),
        ),
    ]


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    return {CONNECT: (ACTION, _approved)}


async def _name_of(
    services: Services, routing: RoutingAdmin, kind: str, target_id: str, org_id: str | None
) -> str:
    try:
        if kind == TRUNK:
            return (await services.calling.get_trunk(target_id, org_id=org_id)).name
        return (await routing.get_group(target_id, org_id)).name
    except WebexError:
        return target_id


async def propose(services: Services, ctx: Context, permit: Permit, kind: str, target: str) -> None:
    """Find the target and the current connection, then the summary card (or approval)."""
    location = permit.location
    if location is None:  # the router narrowed it
        raise UsageError(words.CONNECT_FORM)
    org_id = permit.org_id
    routing = RoutingAdmin(services.calling)
    if kind == TRUNK:
        trunk = await services.trunks.find_trunk(target, org_id)
        target_id, target_name = trunk.id, trunk.name
    else:
        found = await routing.find_group(target, org_id)
        if found is None:
            raise UsageError(words.no_route_group(target))
        target_id = found
        target_name = await _name_of(services, routing, kind, found, org_id)
    current: TelephonyLocation = await routing.location(location.id, org_id)
    ctx.audit.request = {"location": location.name, "to": words.describe(kind, target_name)}
    if kind == TRUNK:
        ctx.audit.trunk_id = target_id
    if not current.premises:
        ctx.audit.result = "not-premises"
        raise UsageError(words.not_premises(location.name))
    now = words.describe(None, None)
    if current.connection is not None:
        if (current.connection.type, current.connection.id) == (kind, target_id):
            ctx.audit.result = "already"
            await ctx.reply(
                words.already_connected(location.name, words.describe(kind, target_name))
            )
            return
        name = await _name_of(
            services, routing, current.connection.type, current.connection.id, org_id
        )
        now = words.describe(current.connection.type, name)
    new = words.describe(kind, target_name)
    stored: dict[str, Any] = {
        "summary": {
            "name": location.name,
            "org": org_id,
            "location_id": location.id,
            "location": location.name,
        },
        "target": {"type": kind, "id": target_id, "name": target_name},
        "before": now,
    }
    facts = [("Location", location.name), ("Now", now), ("From now on", new)]
    ev = ctx.event
    if permit.confirm:
        await _send_card(services, ctx, stored, facts)
    elif permit.needs_approval:
        await _ask(services, ctx, permit, stored, facts)
    else:
        await make_connect(
            services, ctx, permit, stored, key=f"{CONNECT}:message:{ev.message_id or ev.id}"
        )


async def _ask(
    services: Services,
    ctx: Context,
    permit: Permit,
    stored: dict[str, Any],
    facts: list[tuple[str, str]],
) -> None:
    location = str(stored["summary"]["location"])
    await ask_approval(
        services,
        ctx,
        permit,
        kind=CONNECT,
        name=words.connect_name(
            location, words.describe(stored["target"]["type"], stored["target"]["name"])
        ),
        summary=stored["summary"],
        facts=facts,
        password=None,
        extra={"target": stored["target"], "before": stored["before"]},
    )


async def _send_card(
    services: Services, ctx: Context, stored: dict[str, Any], facts: list[tuple[str, str]]
) -> None:
    ev = ctx.event
    location = str(stored["summary"]["location"])
    new = words.describe(stored["target"]["type"], stored["target"]["name"])
    payload = {
        **stored,
        "facts": facts,
        "thread_id": ev.thread_id if not ev.space.is_direct else None,
        "for": ev.actor.email or None,
    }
    nonce = await cardkit.issue_nonce(services, ctx, CONNECT, payload)
    title = words.connect_title(location)
    card = gcards.connect_summary(
        nonce=nonce,
        title=title,
        facts=facts,
        note=words.connect_note(location, str(stored["before"]), new),
    )
    await cardkit.post_card(
        services, ctx, nonce, f"{replies.esc(title)} Confirm on the card.", card
    )
    ctx.audit.result = "awaiting-confirmation"


def _card(request: Request) -> CardSubmission:
    if request.card is None:
        raise CardRefused(replies.CARD_NOT_OURS)
    return request.card


async def _card_scope(ctx: Context, request: Request) -> Scope:
    card = _card(request)
    summary = card.payload.get("summary") or {}
    target = card.payload.get("target") or {}
    ctx.audit.request = {"location": summary.get("location"), "to": target.get("name")}
    if card.verb == cards.CANCEL:
        return Scope(org=summary.get("org"), request=request)
    return Scope(
        org=summary.get("org"),
        location=str(summary.get("location_id", "")),
        parsed=card.payload,
        request=request,
    )


async def _confirmed(services: Services, ctx: Context, permit: Permit, scope_: Scope) -> None:
    card = _card(scope_.request)
    used = await consume(services, ctx, card, resume=card.verb == cards.CONFIRM)
    key = f"{CONNECT}:card:{card.nonce}"
    location = str((card.payload.get("summary") or {}).get("location", ""))
    if not used.ok and await answered(services, ctx, key, location):
        return
    if card.verb == cards.CANCEL:
        await ctx.delete(card.record.message_id)
        await ctx.reply("Cancelled — the PSTN connection stays as it was.")
        ctx.audit.result = "cancelled"
        return
    stored = card.payload
    if permit.needs_approval:
        if not used.ok:
            raise CardRefused(replies.CARD_ALREADY_USED)
        facts = [(str(k), str(v)) for k, v in stored.get("facts") or []]
        await _ask(services, ctx, permit, stored, facts)
        return
    await make_connect(services, ctx, permit, stored, key=key)


async def _approved(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], _pw: SecretStr | None
) -> None:
    await make_connect(services, ctx, permit, stored, key=f"{CONNECT}:{ctx.event.id}")


async def make_connect(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], *, key: str
) -> None:
    """Claim ``key``, then PUT the connection once and answer (or the first answer again)."""
    summary, target = stored["summary"], stored["target"]
    org_id, location_id = summary.get("org"), str(summary.get("location_id", ""))
    location = str(summary.get("location", ""))
    permit.check_write(ACTION, org_id, location_id)
    claim = await services.store.begin_create(
        key,
        name=location,
        org_id=org_id,
        location_id=location_id,
        requester=ctx.event.actor.person_id,
    )
    if claim.status is not ClaimStatus.OWNER:
        await answered(services, ctx, key, location)
        return
    new = words.describe(str(target["type"]), str(target["name"]))
    try:
        await RoutingAdmin(services.calling).set_connection(
            location_id, str(target["type"]), str(target["id"]), org_id
        )
    except WebexError as exc:
        await key_failed(services, key, exc)
        raise
    sentence = words.connected(location, new, str(stored.get("before", "")))
    if target["type"] == TRUNK:
        ctx.audit.trunk_id = str(target["id"])
    ctx.audit.result = "connected"
    await services.store.complete_create(key, json.dumps({"sentence": sentence}))
    await ctx.reply(sentence)
