"""The summary card pressed, and the change made once per key (a PUT or a DELETE)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import cards, replies
from bot.errors import CardRefused, UsageError, WebexConflict, WebexError
from bot.events import Context
from bot.gate import Permit
from bot.logs import GENERATED, PASSWORD_TTL, SECRETS, delivering_to, scrub_in_request
from bot.router import CardSubmission, Request, Scope
from bot.store import ClaimStatus
from bot.webex.models import TrunkDetails, TrunkUpdate
from commands.approvals import ask_approval
from commands.cardkit import DELETE, UPDATE, consume
from commands.lifecycle import words
from commands.lifecycle.propose import label, value, where

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


UPDATE_ACTION, DELETE_ACTION = "trunk.update", "trunk.delete"


def card_of(request: Request) -> CardSubmission:
    if request.card is None:
        raise CardRefused(replies.CARD_NOT_OURS)
    return request.card


async def summary_scope(ctx: Context, request: Request) -> Scope:
    card = card_of(request)
    summary = card.payload.get("summary") or {}
    ctx.audit.request = {"trunk": card.payload.get("name"), **(card.payload.get("changes") or {})}
    ctx.audit.trunk_id = card.payload.get("trunk_id")
    if card.verb == cards.CANCEL:
        return Scope(org=summary.get("org"), request=request)
    return Scope(
        org=summary.get("org"),
        location=str(summary.get("location_id", "")),
        parsed=card.payload,
        request=request,
    )


async def confirmed(
    services: Services, ctx: Context, permit: Permit, scope: Scope, kind: str
) -> None:
    card = card_of(scope.request)
    used = await consume(services, ctx, card, resume=card.verb == cards.CONFIRM)
    key = f"{kind}:card:{card.nonce}"
    if not used.ok and await answered(services, ctx, key):
        return
    if card.verb == cards.CANCEL:
        services.vault.pop(card.nonce)
        await ctx.delete(card.record.message_id)
        await ctx.reply("Cancelled — nothing was changed.")
        ctx.audit.result = "cancelled"
        return
    payload = card.payload
    password = services.vault.get(card.nonce)
    if payload.get("typed_password") and password is None:
        raise UsageError(replies.TYPED_PW_FORGOTTEN)
    if permit.needs_approval:
        if not used.ok:
            raise CardRefused(replies.CARD_ALREADY_USED)
        await ask_approval(
            services,
            ctx,
            permit,
            kind=kind,
            name=str(payload["name"]),
            summary=payload["summary"],
            facts=[(str(k), str(v)) for k, v in payload.get("facts") or []],
            password=password,
            extra={"trunk_id": payload["trunk_id"], "changes": payload.get("changes") or {}},
        )
        services.vault.pop(card.nonce)
        return
    try:
        await make_change(services, ctx, permit, kind, payload, password, key=key)
    finally:
        services.vault.pop(card.nonce)


async def approved_update(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], pw: SecretStr | None
) -> None:
    await make_change(services, ctx, permit, UPDATE, stored, pw, key=f"update:{ctx.event.id}")


async def approved_delete(
    services: Services, ctx: Context, permit: Permit, stored: dict[str, Any], pw: SecretStr | None
) -> None:
    await make_change(services, ctx, permit, DELETE, stored, pw, key=f"delete:{ctx.event.id}")


async def answered(services: Services, ctx: Context, key: str) -> bool:
    """A second press of the same card: the first answer again, never a second change."""
    record = await services.store.get_create(key)
    if record is None or record.state.value == "released":
        return False
    ctx.audit.result = "duplicate"
    if record.state.value == "done":
        await ctx.reply(str(json.loads(record.result_json or "{}").get("sentence", "Done.")))
    elif record.state.value == "failed":
        failed = json.loads(record.error_json or "{}")
        await ctx.reply(str(failed.get("sentence") or replies.ALREADY_FAILED))
    else:
        await ctx.reply(f"I'm already on it for trunk **{replies.esc(record.name)}**.")
    return True


# --- making the change, once ---------------------------------------------------------------


async def make_change(
    services: Services,
    ctx: Context,
    permit: Permit,
    kind: str,
    request: dict[str, Any],
    password: SecretStr | None,
    *,
    key: str,
) -> None:
    """Claim ``key``, then PUT or DELETE once, and answer (or give the first answer again)."""
    action = UPDATE_ACTION if kind == UPDATE else DELETE_ACTION
    summary = request["summary"]
    org_id, location_id = summary.get("org"), str(summary.get("location_id", ""))
    permit.check_write(action, org_id, location_id)
    trunk_id, name = str(request["trunk_id"]), str(request["name"])
    ctx.audit.trunk_id = trunk_id
    claim = await services.store.begin_create(
        key, name=name, org_id=org_id, location_id=location_id, requester=ctx.event.actor.person_id
    )
    if claim.status is not ClaimStatus.OWNER:
        await answered(services, ctx, key)
        return
    try:
        if kind == DELETE:
            sentence = await delete_now(services, ctx, trunk_id, name, org_id)
            done = {"sentence": sentence}
        else:
            done = await update_now(services, ctx, permit, request, password)
    except (WebexError, UsageError) as exc:
        sentence = exc.user_message
        retryable = True  # nothing was changed: the same request may work later
        if isinstance(exc, WebexError):
            sentence = replies.webex_refused(exc.user_message)
            retryable = exc.status is None or exc.status >= 500
            if isinstance(exc, WebexConflict) and kind == DELETE:
                sentence = words.in_use_now(name)
        await services.store.fail_create(
            key, json.dumps({"sentence": sentence}), retryable=retryable
        )
        raise
    await services.store.complete_create(key, json.dumps(done))


async def delete_now(
    services: Services, ctx: Context, trunk_id: str, name: str, org_id: str | None
) -> str:
    usage = await services.trunks.usage(trunk_id, org_id=org_id)
    if usage.in_use:
        raise UsageError(words.in_use_refusal(name, usage))
    removed = await services.trunks.delete_trunk(trunk_id, org_id=org_id)
    ctx.audit.result = "deleted" if removed else "already-gone"
    log.info("trunk.deleted", extra={"trunk_id": trunk_id, "already_gone": not removed})
    sentence = words.deleted(name, already=not removed)
    await ctx.reply(sentence)
    return sentence


async def update_now(
    services: Services,
    ctx: Context,
    permit: Permit,
    request: dict[str, Any],
    password: SecretStr | None,
) -> dict[str, Any]:
    trunk_id, name = str(request["trunk_id"]), str(request["name"])
    org_id = permit.org_id
    changes: dict[str, Any] = request.get("changes") or {}
    generated = None
    if password is None:
        location_id = permit.location.id if permit.location else ""
        generated = password = await services.calling.generate_password(location_id, org_id)
        SECRETS.add(password.get_secret_value(), ttl=PASSWORD_TTL, kind=GENERATED)
    else:
        scrub_in_request(password.get_secret_value())
    body = TrunkUpdate(
        name=str(changes.get("name") or name),
        password=password,
        max_concurrent_calls=changes.get("max-calls"),
        dual_identity_support_enabled=changes.get("dual-identity"),
    )
    await services.trunks.update_trunk(trunk_id, body, org_id=org_id)
    ctx.audit.result = "updated"
    new_name = body.name
    try:
        details: TrunkDetails | None = await services.calling.get_trunk(trunk_id, org_id=org_id)
    except WebexError:
        details = None
    shown = [f"{label(k).lower()} {value(v)}" for k, v in changes.items()]
    head = words.updated(new_name, shown)
    settings = replies.gateway_settings(details)
    secret = generated.get_secret_value() if generated is not None else None
    ev = ctx.event
    if secret is not None:
        delivering_to(secret, ev)
    if ev.space.is_direct:
        await ctx.reply(head + "\n" + replies.with_password(settings, secret))
    else:
        await ctx.reply(head + "\n" + replies.sent_privately(secret is not None))
        await ctx.reply_private(replies.private_delivery(new_name, where(permit), settings, secret))
    return {"sentence": head}
