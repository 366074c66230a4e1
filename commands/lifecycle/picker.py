"""The picker: `update trunk` or `delete trunk` alone offers a card of the person's trunks."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot import cards, replies
from bot.errors import CardRefused, NotAllowed, UsageError
from bot.events import Context
from bot.gate import Permit
from bot.grammar import Fields
from bot.router import Request, Scope
from commands import cardkit
from commands.cardkit import PICK_UPDATE, UPDATE, consume
from commands.lifecycle import cards as lcards
from commands.lifecycle import words
from commands.lifecycle.propose import propose_delete, propose_update
from commands.lifecycle.target import TrunkQuery
from commands.lifecycle.write import card_of

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

MAX_PICK = 100  # a picker lists at most this many trunks (Webex's card size)


async def send_picker(services: Services, ctx: Context, permit: Permit, purpose: str) -> None:
    """``update trunk`` / ``delete trunk`` alone: a card to pick one of the person's trunks."""
    verb = "update" if purpose == PICK_UPDATE else "delete"
    trunks = sorted(
        (
            t
            for t in await services.calling.list_trunks(org_id=permit.org_id)
            if t.location is not None and permit.covers(t.location.id, t.location.name)
        ),
        key=lambda t: t.name.casefold(),
    )[:MAX_PICK]
    if not trunks:
        raise UsageError(words.NO_TRUNKS.format(verb=verb))
    choices = [(f"{t.name} ({t.location.name if t.location else '?'})", t.id) for t in trunks]
    ev = ctx.event
    payload = {
        "trunks": [t.id for t in trunks],
        "org": permit.org_id,
        "thread_id": ev.thread_id if not ev.space.is_direct else None,
        "for": ev.actor.email or None,
    }
    nonce = await cardkit.issue_nonce(services, ctx, purpose, payload)
    card = lcards.picker(nonce=nonce, verb=verb, trunks=choices)
    await cardkit.post_card(services, ctx, nonce, words.WHICH_TRUNK.format(verb=verb), card)
    ctx.audit.result = "asked"


def picked_scope(services: Services) -> Any:
    async def scope(ctx: Context, request: Request) -> Scope:
        card = card_of(request)
        org = card.payload.get("org")
        if card.verb == cards.CANCEL:
            return Scope(org=org, request=request)
        trunk_id = card.inputs.get(lcards.TRUNK_INPUT)
        offered = card.payload.get("trunks") or []
        if not isinstance(trunk_id, str) or trunk_id not in offered:
            raise CardRefused(replies.card_not_offered("trunk"))
        fields = Fields()
        for key in lcards.UPDATE_INPUTS:
            value = card.inputs.get(key)
            if isinstance(value, int | float) and key == "max-calls":
                value = str(int(value))
            if key == "dual-identity" and value == lcards.KEEP:
                continue  # left as it is
            if isinstance(value, str) and value.strip():
                if len(value) > 256:
                    raise CardRefused(replies.card_oversized(key))
                fields[key] = value.strip()
        query = TrunkQuery(trunk_id, fields)
        inner, _ = trunk_locator(services, query)
        return Scope(org=org, parsed=query, request=request, locate=inner)

    return scope


def trunk_locator(services: Services, query: TrunkQuery) -> tuple[Any, None]:
    from bot.webex.models import Location

    async def locate(permit: Permit) -> Location:
        trunk = await services.trunks.find_trunk(str(query.target), permit.org_id)
        if trunk.location is None:
            raise NotAllowed(replies.not_allowed(permit.action), reason="trunk has no location")
        query.trunk.append(trunk)
        return Location(id=trunk.location.id, name=trunk.location.name)

    return locate, None


async def picked(services: Services, ctx: Context, permit: Permit, scope: Scope, kind: str) -> None:
    card = card_of(scope.request)
    await consume(services, ctx, card)
    await ctx.delete(card.record.message_id)
    if card.verb == cards.CANCEL:
        await ctx.reply("Cancelled — nothing was changed.")
        ctx.audit.result = "cancelled"
        return
    query: TrunkQuery = scope.parsed
    if kind == UPDATE:
        await propose_update(services, ctx, permit, query, query.fields)
    else:
        await propose_delete(services, ctx, permit, query)
