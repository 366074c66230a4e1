"""Changing: `update trunk` and `delete trunk` (actions ``trunk.update``, ``trunk.delete``).

Every change is confirmed on a summary card first (an update breaks the gateway's
registration until it has the new password; a delete can't be undone), goes to the
approvers where the grant requires it, and is made once per key: the summary card's nonce
(or the approval) names a keyed claim in the store, so a double click or a redelivery gets
the first answer and never a second PUT or DELETE. A delete reads the trunk's usage first
and refuses while anything routes calls through it, naming what does.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot import replies
from bot.errors import NotAllowed
from bot.events import Context
from bot.gate import Permit
from bot.grammar import Fields
from bot.logs import scrub_in_request
from bot.router import Command, Request, Scope
from commands.approvals import Executor
from commands.cardkit import DELETE, PICK_DELETE, PICK_UPDATE, UPDATE
from commands.lifecycle.picker import picked, picked_scope, send_picker
from commands.lifecycle.propose import propose_delete, propose_update
from commands.lifecycle.target import TrunkQuery, trunk_scope
from commands.lifecycle.write import (
    DELETE_ACTION,
    UPDATE_ACTION,
    approved_delete,
    approved_update,
    confirmed,
    summary_scope,
)

if TYPE_CHECKING:
    from bot.services import Services


log = logging.getLogger(__name__)

UPDATE_KEYS = frozenset({"name", "max-calls", "dual-identity", "password", "org"})
DELETE_KEYS = frozenset({"org"})


def commands(services: Services) -> list[Command]:
    update_scope, update_rewrite = trunk_scope(
        services, "update trunk", UPDATE_KEYS, need_target=False
    )
    delete_scope, delete_rewrite = trunk_scope(
        services, "delete trunk", DELETE_KEYS, need_target=False
    )

    async def update_text(ctx: Context, permit: Permit, scope: Scope) -> None:
        query: TrunkQuery = scope.parsed
        if query.target is None:
            await send_picker(services, ctx, permit, PICK_UPDATE)
            return
        await propose_update(services, ctx, permit, query, query.fields)

    async def delete_text(ctx: Context, permit: Permit, scope: Scope) -> None:
        query: TrunkQuery = scope.parsed
        if query.target is None:
            await send_picker(services, ctx, permit, PICK_DELETE)
            return
        await propose_delete(services, ctx, permit, query)

    async def guarded_update_scope(ctx: Context, request: Request) -> Scope:
        scope = await update_scope(ctx, request)
        _refuse_group_password(ctx, scope.parsed.fields)
        return scope

    return [
        Command(
            action=UPDATE_ACTION,
            words=("update", "trunk"),
            scope=guarded_update_scope,
            handler=update_text,
            example="update trunk lifecycle-1 max-calls=300",
            usage="`update trunk <name> [name=<new name>] [max-calls=<n>] [dual-identity=yes|no]` "
            "— change it (always with a new password); `update trunk` alone brings a card",
            rewrite=update_rewrite,
        ),
        Command(
            action=DELETE_ACTION,
            words=("delete", "trunk"),
            scope=delete_scope,
            handler=delete_text,
            example="delete trunk lifecycle-1",
            usage="`delete trunk <name>` — delete a trunk nothing uses; `delete trunk` alone "
            "brings a card",
            rewrite=delete_rewrite,
        ),
        Command(
            action=UPDATE_ACTION,
            purpose=PICK_UPDATE,
            scope=picked_scope(services),
            handler=lambda ctx, permit, scope: picked(services, ctx, permit, scope, UPDATE),
        ),
        Command(
            action=DELETE_ACTION,
            purpose=PICK_DELETE,
            scope=picked_scope(services),
            handler=lambda ctx, permit, scope: picked(services, ctx, permit, scope, DELETE),
        ),
        Command(
            action=UPDATE_ACTION,
            purpose=UPDATE,
            scope=summary_scope,
            handler=lambda ctx, permit, scope: confirmed(services, ctx, permit, scope, UPDATE),
        ),
        Command(
            action=DELETE_ACTION,
            purpose=DELETE,
            scope=summary_scope,
            handler=lambda ctx, permit, scope: confirmed(services, ctx, permit, scope, DELETE),
        ),
    ]


def approval_kinds() -> dict[str, tuple[str, Executor]]:
    """What an approved update or delete needs and does (commands.approvals)."""
    return {UPDATE: (UPDATE_ACTION, approved_update), DELETE: (DELETE_ACTION, approved_delete)}


def _refuse_group_password(ctx: Context, fields: Fields) -> None:
    typed = fields.get("password")
    if typed and typed.strip().casefold() != "auto":
        scrub_in_request(typed)
        if not ctx.event.space.is_direct:
            raise NotAllowed(replies.TYPED_IN_GROUP_REFUSAL, reason="password typed in a group")
