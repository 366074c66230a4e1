"""Two-person approval for any change a grant says needs it (create, update, delete).

The request goes to the approvers' space; an approver the gate admits for ``approve`` on the
request's own org and location (never the requester) decides. On Approve the requester is
authorized again, now, for the change's own action, and the gate puts the approver on that
permit; each feature's executor then makes the change. A write refuses a permit whose grant
requires approval without one, so no entry path can skip this.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import cards, replies
from bot.errors import CardRefused, NotAllowed, UsageError
from bot.events import Actor, Context, Event, Space, SpaceKind
from bot.gate import APPROVE, Permit
from bot.router import Command, Request, Scope
from bot.store import ApprovalOutcome
from bot.webex.models import Location
from commands.cardkit import APPROVAL, consume

if TYPE_CHECKING:
    from bot.services import Services

#: Makes the approved change: (services, the requester's context, their approved permit,
#: the stored request, a typed password kept in memory) → nothing; it answers the requester.
Executor = Callable[
    ["Services", Context, Permit, dict[str, Any], SecretStr | None], Awaitable[None]
]


async def ask_approval(
    services: Services,
    ctx: Context,
    permit: Permit,
    *,
    kind: str,
    name: str,
    summary: dict[str, Any],
    facts: list[tuple[str, str]],
    password: SecretStr | None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Post the request to the approvers' space and tell the requester it waits there; the
    approval's ID (a caller that must follow its fate keeps it)."""
    ev = ctx.event
    approvers_space = permit.approvers_space
    if not approvers_space:
        raise UsageError(replies.NO_APPROVERS_SPACE)
    request = {
        "kind": kind,
        "name": name,
        "summary": summary,
        "requester": {
            "person_id": ev.actor.person_id,
            "email": ev.actor.email,
            "org_id": ev.actor.org_id,
        },
        "room_id": ev.space.room_id,
        "room_kind": ev.space.kind.value,
        "thread_id": ev.thread_id,
        "typed_password": password is not None,
        **(extra or {}),
    }
    approval_id = await services.store.create_approval(
        request_json=json.dumps(request),
        requester_id=ev.actor.person_id,
        approvers_room=approvers_space,
        ttl_seconds=services.approval_ttl,
    )
    if password is not None:
        services.vault.put(f"approval:{approval_id}", password, services.approval_ttl)
    nonce = await services.store.issue_nonce(
        purpose=APPROVAL,
        room_id=approvers_space,
        person_id=ev.actor.person_id,
        message_id=None,
        payload_json=json.dumps({"approval_id": approval_id}),
        ttl_seconds=services.approval_ttl,
    )
    card = cards.approval_card(
        nonce=nonce,
        facts=facts,
        requester=ev.actor.email or ev.actor.person_id,
        expires=replies.expires_in(services.approval_ttl),
    )
    message_id = await ctx.post(
        approvers_space,
        replies.approval_request_text(ev.actor.email or ev.actor.person_id, name, kind),
        card=card,
    )
    if message_id:
        await services.store.attach_message(nonce, message_id)
    ctx.audit.result = "awaiting-approval"
    await ctx.reply(replies.sent_for_approval(name, kind))
    return approval_id


def command(services: Services, executors: Mapping[str, tuple[str, Executor]]) -> Command:
    """The approvers' card: action ``approve``, scoped to the request's org and location.
    ``executors`` maps a request's kind to (the action it needs, what makes it)."""

    async def scope(ctx: Context, request: Request) -> Scope:
        card = request.card
        if card is None:
            raise CardRefused(replies.CARD_NOT_OURS)
        approval = await services.store.get_approval(str(card.payload.get("approval_id", "")))
        if approval is None:
            raise CardRefused(replies.CARD_NOT_OURS)
        if approval.requester_id == ctx.event.actor.person_id:  # the reader checked the card's
            raise NotAllowed(replies.NO_SELF_APPROVAL, reason="requester can't approve")
        stored = json.loads(approval.request_json)
        if stored.get("kind", "create") not in executors:
            raise CardRefused(replies.CARD_NOT_OURS)
        summary = stored.get("summary") or {}
        ctx.audit.request = summary
        return Scope(
            org=summary.get("org"),
            location=str(summary.get("location_id", "")),
            parsed=(approval.approval_id, stored),
            request=request,
        )

    async def run(ctx: Context, permit: Permit, scope_: Scope) -> None:
        card = scope_.request.card
        if card is None:  # scope() refused it already
            raise CardRefused(replies.CARD_NOT_OURS)
        approval_id, stored = scope_.parsed
        # A request over several locations (a file): the approver must cover every one.
        await check_every_location(services, permit, stored.get("summary") or {})
        await consume(services, ctx, card)
        await decide(services, ctx, permit, card.verb, approval_id, stored, executors)

    return Command(action=APPROVE, purpose=APPROVAL, scope=scope, handler=run)


def not_every_location(names: list[str]) -> str:
    listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return (
        f"You can't approve this request: it also creates trunks in {listed}, which your "
        "grants don't let you approve; an approver who covers every location of it can."
    )


async def check_every_location(
    services: Services, approver: Permit, summary: Mapping[str, Any]
) -> None:
    """NotAllowed (naming them) unless the gate lets ``approver`` approve in each of the
    request's ``locations`` ([{id, name}], beyond the one the router narrowed to)."""
    uncovered: list[str] = []
    for place in summary.get("locations") or []:
        location = Location(id=str(place["id"]), name=str(place.get("name") or place["id"]))
        try:
            await services.gate.narrow(approver, location)
        except NotAllowed:
            uncovered.append(location.name)
    if uncovered:
        raise NotAllowed(not_every_location(uncovered), reason="approver misses locations")


async def decide(
    services: Services,
    ctx: Context,
    approver: Permit,
    verb: str,
    approval_id: str,
    stored: dict[str, Any],
    executors: Mapping[str, tuple[str, Executor]],
) -> None:
    ev = ctx.event
    ctx.audit.approver_id = ev.actor.person_id
    result = await services.store.decide_approval(
        approval_id, approver_id=ev.actor.person_id, approve=verb == cards.APPROVE
    )
    if result.outcome is ApprovalOutcome.EXPIRED:
        raise CardRefused(replies.APPROVAL_EXPIRED)
    if not result.decided:
        raise CardRefused(replies.CARD_ALREADY_USED)
    kind = str(stored.get("kind", "create"))
    action, executor = executors[kind]
    requester = stored["requester"]
    name = str(stored.get("name") or stored["summary"]["name"])
    requester_ctx = Context(
        event=Event(
            id=f"approval:{approval_id}",
            actor=Actor(requester["person_id"], requester["email"], requester.get("org_id")),
            space=Space(stored["room_id"], SpaceKind(stored["room_kind"])),
            message_id=stored.get("thread_id"),
        ),
        outbox=ctx.outbox,
        sent=ctx.sent,
        audit=ctx.audit,
    )
    who = ev.actor.email or ev.actor.person_id
    if verb == cards.REJECT:
        ctx.audit.result = "rejected"
        await ctx.reply(replies.approval_rejected_here(name, kind))
        await requester_ctx.reply(replies.approval_rejected(name, who, kind))
        return
    await ctx.reply(replies.approval_approved_here(name, kind))
    password = services.vault.pop(f"approval:{approval_id}")
    if stored.get("typed_password") and password is None:
        await requester_ctx.reply(replies.TYPED_PW_FORGOTTEN)
        return
    # The requester, authorized again now, for this org and location; then the approver on it.
    if approver.location is None:  # the router narrowed it
        raise NotAllowed(replies.not_allowed(APPROVE), reason="approver permit without location")
    requester_permit = await services.gate.reauthorize(
        requester_ctx.event.actor,
        requester_ctx.event.space,
        action,
        approver.org_id,
        approver.location,
    )
    approved = services.gate.approve(requester_permit, approver)
    await requester_ctx.reply(replies.approval_approved(name, who, kind))
    await executor(services, requester_ctx, approved, stored, password)
